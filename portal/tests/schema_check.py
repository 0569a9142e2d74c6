"""A validator for the subset of JSON Schema the open-data schemas use.

Supported: ``type`` (one name or a list), ``properties``, ``required``,
``additionalProperties: false``, ``items``. Anything else in a schema is an
error, so the subset cannot silently grow beyond what is checked.
"""

from __future__ import annotations

from typing import Any

KNOWN = {"$schema", "$id", "title", "description", "type", "properties", "required", "additionalProperties", "items"}
TYPES = {
    "string": lambda v: isinstance(v, str),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "boolean": lambda v: isinstance(v, bool),
    "null": lambda v: v is None,
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}


def errors(schema: dict[str, Any], value: Any, where: str = "$") -> list[str]:
    unknown = set(schema) - KNOWN
    if unknown:
        return [f"{where}: unsupported schema keywords {sorted(unknown)}"]
    found: list[str] = []
    if "type" in schema:
        names = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(TYPES[n](value) for n in names):
            return [f"{where}: {value!r} is not of type {names}"]
    if isinstance(value, dict):
        props = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                found.append(f"{where}: missing {name!r}")
        if schema.get("additionalProperties") is False:
            found += [f"{where}: unexpected {k!r}" for k in value if k not in props]
        for k, v in value.items():
            if k in props:
                found += errors(props[k], v, f"{where}.{k}")
    if isinstance(value, list) and "items" in schema:
        for i, v in enumerate(value):
            found += errors(schema["items"], v, f"{where}[{i}]")
    return found
