"""E-mail today's deadline alerts (run daily, e.g. from cron; a second run the same day sends nothing new)."""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "E-mail each user the deadline alerts not yet sent to them today."

    def add_arguments(self, parser):  # type: ignore[no-untyped-def]
        parser.add_argument("--date", help="Pretend today is this day (YYYY-MM-DD).")
        parser.add_argument(
            "--queue", action="store_true", help="Queue a background job for manage.py run_jobs instead."
        )

    def handle(self, *args, **options):  # type: ignore[no-untyped-def]
        from jobs.models import Job
        from orgs.models import Organisation
        from oversight.alerts import send_alerts

        if options["queue"]:
            root = Organisation.objects.filter(parent__isnull=True).order_by("path").first()
            if root is None:
                raise CommandError("No organisation yet: nothing to alert.")
            job = Job.objects.create(kind="oversight.send_alerts", organisation=root)
            self.stdout.write(f"queued job {job.pk}")
            return
        today = None
        if options["date"]:
            try:
                today = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError("--date must be YYYY-MM-DD / 日期格式应为 YYYY-MM-DD") from None
        result = send_alerts(today)
        self.stdout.write(f"sent {result['emails']} e-mails with {result['alerts']} alerts")
