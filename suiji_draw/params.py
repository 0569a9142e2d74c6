"""Selection parameters of a draw and their canonical JSON form.

A draw has one or more *parts* (one per department of a joint task; a plain task has one).
All parts share the seed and therefore the tickets, so their samples overlap as much as their
designs allow (positive coordination). Each part selects either over its whole frame
(``overall``) or per stratum (``strata``), uniformly or weighted by risk, with counts or exact
decimal ratios and optional minimum and maximum per stratum.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .encoding import (
    VERSION,
    canonical_json,
    check_text,
    decimal_text,
    parse_multiplier,
    parse_ratio,
    tagged_hash,
)
from .errors import DrawInputError

METHODS = ("uniform", "weighted")
MAX_PARTS = 32


def _bad(zh: str, en: str) -> DrawInputError:
    return DrawInputError("bad_params", zh, en)


def _check_int(value: object, what: str, minimum: int = 0) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise _bad(f"参数{what}须为不小于{minimum}的整数", f"parameter {what} must be an integer >= {minimum}")
    return value


@dataclass(frozen=True)
class Allocation:
    """How many to draw from one group: a ``count`` or an exact decimal ``ratio`` of the eligible.

    For a ratio, k = ceil(ratio × N) where N is the number of eligible candidates of the group
    (so k >= 1 whenever N >= 1). Then k is raised to ``min`` and lowered to ``max``, and finally
    lowered to N. A ``count`` larger than N is refused.
    """

    count: int | None = None
    ratio: str | None = None
    min: int = 0
    max: int | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.ratio is None):
            raise _bad("须且只能指定抽取数量或比例之一", "give exactly one of count and ratio")
        if self.count is not None:
            _check_int(self.count, "count")
        else:
            object.__setattr__(self, "ratio", decimal_text(parse_ratio(self.ratio)))
        _check_int(self.min, "min")
        if self.max is not None:
            _check_int(self.max, "max")
            if self.max < self.min:
                raise _bad("最大值不能小于最小值", "max must not be below min")

    def size(self, eligible: int) -> int:
        """The number k to draw from a group of ``eligible`` candidates (see class docstring)."""
        if self.count is not None:
            if self.count > eligible:
                raise DrawInputError(
                    "count_exceeds_pool",
                    f"抽取数量{self.count}超过可抽对象数{eligible}",
                    f"count {self.count} is larger than the {eligible} eligible candidates",
                )
            k = self.count
        else:
            ratio = Fraction(self.ratio)  # type: ignore[arg-type]
            k = -((-ratio.numerator * eligible) // ratio.denominator)
        k = max(k, self.min)
        if self.max is not None:
            k = min(k, self.max)
        return min(k, eligible)

    def to_dict(self) -> dict[str, Any]:
        """Canonical dict form."""
        return {"count": self.count, "ratio": self.ratio, "min": self.min, "max": self.max}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Allocation:
        """Parse the dict form (missing ``min``/``max`` default to 0 and none)."""
        _only(data, {"count", "ratio", "min", "max"}, "allocation")
        return cls(data.get("count"), data.get("ratio"), data.get("min", 0), data.get("max"))


@dataclass(frozen=True)
class Part:
    """One selection design: its frame, method, allocation and rule for recently inspected firms.

    ``strata`` maps stratum names to allocations (given as a mapping or as pairs; stored sorted);
    the part's frame is then the candidates of those strata. With ``overall`` instead, the frame
    is the whole pool and one allocation applies to it. ``recent`` is ``"keep"`` (no effect),
    ``"exclude"`` (removed from this part and listed) or a multiplier such as ``"0.5"`` applied
    to their weights.
    """

    name: str = "main"
    method: str = "uniform"
    overall: Allocation | None = None
    strata: tuple[tuple[str, Allocation], ...] | Mapping[str, Allocation] = field(default=())
    recent: str = "keep"

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", check_text(self.name, "部分名称", "part name", 64))
        if self.method not in METHODS:
            raise _bad(f"抽取方法须为{'/'.join(METHODS)}", f"method must be one of {', '.join(METHODS)}")
        pairs = list(self.strata.items()) if isinstance(self.strata, Mapping) else list(self.strata)
        checked: dict[str, Allocation] = {}
        for name, alloc in pairs:
            key = check_text(name, "分层", "stratum", 64)
            if key in checked:
                raise _bad(f"分层{key}重复", f"stratum {key} is given twice")
            if not isinstance(alloc, Allocation):
                raise _bad("分层分配须为Allocation", "a stratum allocation must be an Allocation")
            checked[key] = alloc
        object.__setattr__(self, "strata", tuple(sorted(checked.items())))
        if (self.overall is None) == (not checked):
            raise _bad("须且只能指定总体分配或分层分配之一", "give exactly one of overall and strata")
        if self.recent not in ("keep", "exclude"):
            mult = parse_multiplier(self.recent)
            object.__setattr__(self, "recent", "keep" if mult == 1 else decimal_text(mult))

    @property
    def multiplier(self) -> Fraction | None:
        """The weight multiplier for recently inspected candidates, if any."""
        return None if self.recent in ("keep", "exclude") else Fraction(self.recent)

    def to_dict(self) -> dict[str, Any]:
        """Canonical dict form."""
        return {
            "name": self.name,
            "method": self.method,
            "recent": self.recent,
            "overall": None if self.overall is None else self.overall.to_dict(),
            "strata": [{"stratum": s, **a.to_dict()} for s, a in self.strata],  # type: ignore[union-attr]
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Part:
        """Parse the dict form."""
        _only(data, {"name", "method", "recent", "overall", "strata"}, "part")
        overall = data.get("overall")
        strata = []
        for item in data.get("strata") or []:
            if not isinstance(item, Mapping) or "stratum" not in item:
                raise _bad("分层分配须含stratum", "each stratum allocation needs a stratum")
            rest = {k: v for k, v in item.items() if k != "stratum"}
            strata.append((item["stratum"], Allocation.from_dict(rest)))
        return cls(
            data.get("name", "main"),
            data.get("method", "uniform"),
            None if overall is None else Allocation.from_dict(overall),
            tuple(strata),
            data.get("recent", "keep"),
        )


@dataclass(frozen=True)
class DrawParams:
    """All parts of one draw (at least one, names unique, order kept)."""

    parts: tuple[Part, ...]

    def __post_init__(self) -> None:
        parts = tuple(self.parts)
        if not parts or len(parts) > MAX_PARTS:
            raise _bad(f"须有1至{MAX_PARTS}个部分", f"a draw needs 1 to {MAX_PARTS} parts")
        if any(not isinstance(p, Part) for p in parts):
            raise _bad("部分须为Part", "parts must be Part objects")
        names = [p.name for p in parts]
        if len(set(names)) != len(names):
            raise _bad("部分名称重复", "part names must be unique")
        object.__setattr__(self, "parts", parts)

    @classmethod
    def simple(
        cls,
        count: int | None = None,
        ratio: str | None = None,
        *,
        method: str = "uniform",
        strata: Mapping[str, Allocation] | None = None,
        recent: str = "keep",
        name: str = "main",
    ) -> DrawParams:
        """One part: ``count``/``ratio`` over the whole pool, or per-stratum allocations."""
        overall = None if strata else Allocation(count, ratio)
        return cls((Part(name, method, overall, strata or (), recent),))

    def to_dict(self) -> dict[str, Any]:
        """Canonical dict form (the object hashed into the params digest)."""
        return {"algorithm": VERSION, "parts": [p.to_dict() for p in self.parts]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DrawParams:
        """Parse the dict form (for example from a JSON field)."""
        if not isinstance(data, Mapping):
            raise _bad("参数须为对象", "params must be an object")
        _only(data, {"algorithm", "parts"}, "params")
        if data.get("algorithm", VERSION) != VERSION:
            raise DrawInputError(
                "bad_version",
                f"不支持的算法版本“{data.get('algorithm')}”",
                f"unsupported algorithm version {data.get('algorithm')!r}",
            )
        parts = data.get("parts")
        if not isinstance(parts, list):
            raise _bad("parts须为列表", "parts must be a list")
        return cls(tuple(Part.from_dict(p) for p in parts))

    def canonical(self) -> bytes:
        """Canonical JSON bytes of :meth:`to_dict`."""
        return canonical_json(self.to_dict())

    @property
    def digest(self) -> str:
        """Hex params digest."""
        return params_digest(self)


def params_digest(params: DrawParams | Mapping[str, Any]) -> str:
    """Hex ``SHA-256(frame([tag("params"), canonical_json(params)]))``."""
    checked = params if isinstance(params, DrawParams) else DrawParams.from_dict(params)
    return tagged_hash("params", checked.canonical()).hex()


def _only(data: Mapping[str, Any], allowed: set[str], what: str) -> None:
    if not isinstance(data, Mapping):
        raise _bad(f"{what}须为对象", f"{what} must be an object")
    extra = sorted(set(data) - allowed)
    if extra:
        raise _bad(f"{what}含未知字段{extra[0]}", f"{what} has an unknown field {extra[0]!r}")
