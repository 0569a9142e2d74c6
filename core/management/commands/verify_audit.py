"""``manage.py verify_audit``: exit 0 when the audit chain holds, 1 and the first broken entry otherwise."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand
from tqdm import tqdm

from core.audit import verify_chain
from core.models import AuditEntry


class Command(BaseCommand):
    help = "Verify the hash chain of the audit trail."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--quiet", action="store_true", help="no progress bar")

    def handle(self, *args: Any, **options: Any) -> None:
        total = AuditEntry.objects.count()
        bar = tqdm(total=total, unit="entry", disable=options["quiet"] or not sys.stderr.isatty(), file=sys.stderr)
        last = [0]

        def progress(n: int) -> None:
            bar.update(n - last[0])
            last[0] = n

        report = verify_chain(progress)
        bar.close()
        if report.ok:
            self.stdout.write(f"OK: {report.checked} entries, chain intact")
            return
        entry = AuditEntry.objects.filter(seq=report.first_broken_seq).first()
        detail = f" ({entry.at.isoformat()} {entry.action} {entry.object_repr})" if entry else ""
        self.stderr.write(
            f"BROKEN: first broken entry #{report.first_broken_seq}{detail}: {report.problem}; "
            f"{report.checked} entries before it are intact"
        )
        sys.exit(1)
