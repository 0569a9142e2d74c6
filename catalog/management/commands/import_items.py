"""``manage.py import_items FILE [--encoding auto|utf-8|gbk] [--org CODE] [--department NAME] [--user NAME]``.

Imports the inspection item list (随机抽查事项清单) from an .xlsx workbook in the departments'
layout, or from a CSV file with the same header (UTF-8 or GBK), as the list page and the API do:
every row is checked, then all rows are stored in one transaction, or none (so ``--mode`` accepts
``all-or-nothing`` only). The last line printed is ``imported=N updated=N rejected=N``: items
created, items revised to a new version, rows refused.
"""

from django.core.management.base import BaseCommand, CommandError

from catalog.excel import ImportRefused, import_xlsx
from core import audit, importcli


class Command(BaseCommand):
    help = (
        "Import the inspection item list from an .xlsx workbook or a CSV file: all rows or none; "
        "the last line printed is imported=N updated=N rejected=N."
    )

    def add_arguments(self, parser):
        importcli.add_arguments(parser, default_mode="all_or_nothing")
        parser.add_argument("--department", default="", help="name of the department every row belongs to")
        parser.add_argument("--user", default="", help="user name the new versions are attributed to")

    def handle(self, *args, file: str, organisation, mode: str, encoding: str, department: str, user: str,
               **options):  # fmt: skip
        if importcli.mode_name(mode) != "all_or_nothing":
            raise CommandError("the item list is imported whole or not at all: use --mode all-or-nothing")
        path, org, actor = importcli.resolve(file, organisation, user)
        dept = None
        if department:
            dept = org.departments.filter(name=department).first()
            if dept is None:
                raise CommandError(f"{org.name} has no department named {department!r}")
        try:
            with audit.acting(actor):
                result = import_xlsx(actor, org, path.read_bytes(), dept, None if encoding == "auto" else encoding)
        except ImportRefused as exc:
            for error in (e.as_dict() for e in exc.errors[:50]):
                where = f"row {error['row']}" + (f" [{error['column']}]" if error["column"] else "")
                self.stderr.write(f"{where}: {error['message_en']} / {error['message_zh']}")
            rows = {e.row for e in exc.errors}
            self.stdout.write(f"nothing imported: {len(exc.errors)} errors in {len(rows)} rows")
            self.stdout.write(importcli.summary_line(0, 0, len(rows)))
            raise SystemExit(1) from None
        self.stdout.write(f"{result.created} created, {result.revised} revised, {result.unchanged} unchanged")
        self.stdout.write(importcli.summary_line(result.created, result.revised, 0))
