"""Compute every organisation's dashboard figures for the year (run daily, e.g. from cron, before office hours).

The dashboard serves stored figures (``oversight.stats.indicators``); a scope with none computed
today is computed in the request that first asks for it. Running this early each day means that
request finds them ready.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compute and store the dashboard figures of every organisation for the year (whole organisation)."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--year", type=int, help="The year (default: this year).")
        parser.add_argument(
            "--queue", action="store_true", help="Queue a background job for manage.py run_jobs instead."
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        from jobs.models import Job
        from orgs.models import Organisation
        from oversight import stats

        year = options["year"]
        if year is not None and not 2000 <= year <= 2100:
            raise CommandError("--year must be between 2000 and 2100 / 年份应在 2000 至 2100 之间")
        if options["queue"]:
            root = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
            if root is None:
                raise CommandError("No organisation yet: nothing to compute. / 尚无组织，无需计算。")
            job = Job.objects.create(kind=stats.DEFAULTS_JOB, organisation=root, params={"year": year})
            self.stdout.write(f"queued job {job.pk}")
            return
        from tqdm import tqdm

        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="scopes", disable=None)
            bar.update(done - bar.n)

        n = stats.refresh_defaults(year, progress)
        if bar is not None:
            bar.close()
        self.stdout.write(f"computed={n}")
