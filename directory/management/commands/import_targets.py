from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core import importcli
from directory.importing.mapping import MappingError, parse_overrides
from directory.importing.service import create_import_job
from jobs.runner import run_job


class Command(BaseCommand):
    help = (
        "Import targets from a CSV (UTF-8 or GBK) or .xlsx file into an organisation's directory; "
        "the last line printed is imported=N updated=N rejected=N."
    )

    def add_arguments(self, parser):
        importcli.add_arguments(parser)
        parser.add_argument("--map", action="append", default=[], metavar="HEADER=FIELD", help="map a column")
        parser.add_argument("--user", default="", help="user name the changes are attributed to")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args, file: str, organisation, mode: str, encoding: str, map: list, user: str, quiet: bool,
               **options):  # fmt: skip
        path, org, actor = importcli.resolve(file, organisation, user)
        mode = importcli.mode_name(mode)
        try:
            overrides = parse_overrides(map)
        except MappingError as exc:
            raise CommandError(exc.message_en) from exc
        job = create_import_job(
            path.resolve(),
            org,
            actor,
            mode=mode,
            mapping=overrides,
            filename=path.name,
            delete_upload=False,
            encoding=None if encoding == "auto" else encoding,
        )
        bar = tqdm(
            total=path.stat().st_size or None,
            unit="B",
            unit_scale=True,
            desc="import",
            disable=quiet,
            file=self.stderr._out if hasattr(self.stderr, "_out") else None,
        )

        def progress(done, total, message=""):
            if total and bar.total != total:
                bar.total = total
            bar.n = done
            bar.set_postfix_str(f"{message} rows", refresh=False)
            bar.refresh()

        job = run_job(job, extra_progress=progress)
        bar.close()
        result = job.result or {}
        if job.state == "failed":
            raise CommandError(f"import failed: {job.message}")
        if result.get("fatal"):
            self.stdout.write(importcli.summary_line(0, 0, 0))
            raise CommandError(f"{result['fatal']['message_en']} ({result['fatal']['message_zh']}); nothing imported")
        self.stdout.write(
            f"job {job.pk}: {result['rows']} rows, {result['created']} created, {result['updated']} updated, "
            f"{result['unchanged']} unchanged, {result['bad_rows']} bad rows"
            + ("" if result["committed"] else "; nothing stored")
        )
        for error in result.get("errors", [])[:20]:
            self.stdout.write(
                f"  line {error['line']}, column {error['column']}: {error['reason']}: {error['message_en']}"
            )
        if job.error_file:
            self.stdout.write(f"error report: {job.error_file}")
        self.stdout.write(importcli.summary_line(result["created"], result["updated"], result["bad_rows"]))
