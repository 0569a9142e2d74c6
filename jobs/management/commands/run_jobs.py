import time

from django.core.management.base import BaseCommand

from jobs.runner import claim_next, run_job


class Command(BaseCommand):
    help = "Run queued background jobs (imports and other long work); --once to run what is queued and stop."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run the queued jobs, then exit")
        parser.add_argument("--sleep", type=float, default=1.0, help="seconds to wait when nothing is queued")

    def handle(self, *args, once: bool = False, sleep: float = 1.0, **options):
        while True:
            job = claim_next()
            if job is None:
                if once:
                    return
                time.sleep(sleep)
                continue
            self.stdout.write(f"job {job.pk} ({job.kind}) started")
            job = run_job(job)
            self.stdout.write(f"job {job.pk} ({job.kind}) {job.state}: {job.message}")
