"""What the import commands share: their stable interface and their last line.

    manage.py import_targets    FILE [--encoding auto|utf-8|gbk] [--mode all-or-nothing|good-rows] [--org CODE]
    manage.py import_inspectors FILE [same options]
    manage.py import_experts    FILE [same options]
    manage.py import_items      FILE [--org CODE] [--department NAME]

``--org`` takes the organisation's administrative division code (``411722``) or its id, and
may be left out when the database holds one organisation only (``--organisation`` is the same
option). ``--mode`` accepts ``all-or-nothing`` / ``good-rows`` and the underscore forms. The last
line a command prints is ``imported=N updated=N rejected=N``: rows created, rows changed, and
rows refused (all 0 stored when the file as a whole was refused), also when the command then
exits with an error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

ENCODING_CHOICES = ("auto", "utf-8", "gbk")
MODE_CHOICES = ("good_rows", "all_or_nothing")


def mode_name(text: str) -> str:
    """``all-or-nothing`` → ``all_or_nothing``."""
    return str(text).strip().lower().replace("-", "_")


def add_org_argument(parser: Any) -> None:
    parser.add_argument(
        "--org",
        "--organisation",
        dest="organisation",
        default="",
        metavar="CODE",
        help="the organisation: its administrative division code (e.g. 411722) or its id; "
        "may be left out when there is only one organisation",
    )


def add_arguments(parser: Any, *, default_mode: str = "good_rows") -> None:
    """The file, ``--org``, ``--encoding`` and ``--mode``."""
    parser.add_argument("file")
    add_org_argument(parser)
    parser.add_argument(
        "--encoding",
        type=lambda text: str(text).strip().lower(),
        choices=ENCODING_CHOICES,
        default="auto",
        help="a CSV file's text encoding; auto detects UTF-8 (with or without BOM) or GBK/GB18030",
    )
    parser.add_argument(
        "--mode",
        type=mode_name,
        choices=MODE_CHOICES,
        default=default_mode,
        help="good-rows stores the good rows and reports the bad ones; all-or-nothing stores nothing if any row is bad",
    )


def resolve_organisation(value: Any) -> Any:
    """The organisation named by a division code or an id (see the module docstring)."""
    from orgs.models import Organisation

    text = str(value if value is not None else "").strip()
    if not text:
        only = list(Organisation.objects.all()[:2])
        if len(only) == 1:
            return only[0]
        raise CommandError("--org is required: give the organisation's division code or id")
    by_code = list(Organisation.objects.filter(division_id=text)[:2])
    if len(by_code) == 1:
        return by_code[0]
    if len(by_code) > 1:
        raise CommandError(f"several organisations have the division code {text}: give the id instead")
    if text.isdigit():
        org = Organisation.objects.filter(pk=int(text)).first()
        if org is not None:
            return org
    raise CommandError(f"no organisation with the division code or id {text}")


def resolve(file: str, organisation: Any, user: str = "") -> tuple[Path, Any, Any]:
    """The command's file (which must exist), its organisation (``resolve_organisation``) and the
    user the changes are attributed to (none when ``user`` is empty)."""
    from accounts.models import User

    path = Path(file)
    if not path.is_file():
        raise CommandError(f"no such file: {file}")
    org = resolve_organisation(organisation)
    actor = None
    if user:
        actor = User.objects.filter(username=user).first()
        if actor is None:
            raise CommandError(f"no user {user!r}")
    return path, org, actor


def summary_line(imported: int, updated: int, rejected: int) -> str:
    return f"imported={int(imported)} updated={int(updated)} rejected={int(rejected)}"
