"""``manage.py import_inspectors FILE [--encoding auto|utf-8|gbk] [--mode all-or-nothing|good-rows] [--org CODE]``."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core import audit, importcli
from directory.importing.people import run_people_import


class Command(BaseCommand):
    help = "Import inspectors from a CSV (UTF-8 or GBK) or .xlsx file into an organisation's inspector directory."
    kind = "inspectors"

    def add_arguments(self, parser):
        importcli.add_arguments(parser)
        parser.add_argument("--user", default="", help="user name the changes are attributed to")
        parser.add_argument("--errors", default="", help="write every row error to this CSV file")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, file: str, organisation, mode: str, encoding: str, user: str, errors: str, quiet: bool,
               **options):  # fmt: skip
        path, org, actor = importcli.resolve(file, organisation, user)
        mode = importcli.mode_name(mode)
        bar = tqdm(total=None, unit="rows", desc=self.kind, disable=quiet, file=self.stderr._out)

        def progress(done: int, total: int) -> None:
            bar.total = total
            bar.n = done
            bar.refresh()

        with audit.acting(actor):
            result = run_people_import(
                path,
                org,
                kind=self.kind,
                mode=mode,
                actor=actor,
                filename=path.name,
                error_path=Path(errors) if errors else None,
                progress=progress,
                encoding=None if encoding == "auto" else encoding,
            )
        bar.close()
        if result.fatal:
            self.stdout.write(importcli.summary_line(0, 0, 0))
            raise CommandError(f"{result.fatal['message_en']} ({result.fatal['message_zh']}); nothing imported")
        for error in result.errors[:20]:
            self.stderr.write(f"line {error['line']} [{error['column']}] {error['message_en']}: {error['value']}")
        state = "imported" if result.committed else "nothing imported"
        created, updated = (result.created, result.updated) if result.committed else (0, 0)
        self.stdout.write(
            f"{state}: {result.rows} rows, {created} created, {updated} updated, "
            f"{result.unchanged if result.committed else 0} unchanged, {result.bad_rows} bad rows"
        )
        self.stdout.write(importcli.summary_line(created, updated, result.bad_rows))
        if result.bad_rows:
            raise SystemExit(1)
