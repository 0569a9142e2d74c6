"""``manage.py seed_demo --firms N``: a demo province > city > two counties, users of every role, firms,
inspectors, and (unless ``--no-draw``) a published item list with one witnessed draw (``draws/demo.py``)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from core import audit
from directory import demo
from directory.models import Target


class Command(BaseCommand):
    help = (
        "Create demo organisations, one user per role (passwords printed once), firms, inspectors, "
        "and a published item list with one witnessed draw."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--firms", type=int, default=2000, help="number of demo firms (default 2000)")
        parser.add_argument(
            "--inspectors", type=int, default=None, help="inspectors per county (default firms/100, 30-3000)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="random seed for reproducible demo data")
        parser.add_argument("--reset-passwords", action="store_true", help="give the demo users new passwords")
        parser.add_argument("--quiet", action="store_true", help="no progress bar")
        parser.add_argument(
            "--no-draw", action="store_true", help="no demo item list and draw (firms, inspectors and users only)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        n = options["firms"]
        if n < 0 or n > 20_000_000:
            raise CommandError("--firms must be between 0 and 20,000,000")
        with audit.acting(None, reason="seed_demo"):
            _, counties = demo.ensure_structure()
            passwords = demo.ensure_users(counties[0], reset=options["reset_passwords"])
            already = Target.objects.filter(organisation=counties[0]).count()
            todo = max(0, n - already)
            bar = tqdm(total=todo, unit="firm", disable=options["quiet"] or todo == 0, file=sys.stderr)
            done = [0]

            def progress(count: int) -> None:
                bar.update(count - done[0])
                done[0] = count

            created = demo.create_firms(todo, counties[0], options["seed"] + already, progress) if todo else 0
            bar.close()
            second = 0
            if not Target.objects.filter(organisation=counties[1]).exists():
                second = demo.create_firms(max(10, n // 10), counties[1], options["seed"] + 7)
            per_county = options["inspectors"] or min(3000, max(30, n // 100))
            inspectors = sum(demo.create_inspectors(c, per_county, options["seed"] + i) for i, c in enumerate(counties))
            demo.link_inspector_user(counties[0])
            from draws.demo import NOTHING, ensure_scenario

            scenario = NOTHING if options["no_draw"] else ensure_scenario(counties[0])
        self.stdout.write(f"firms created: {created} in {counties[0].name}, {second} in {counties[1].name}")
        self.stdout.write(f"inspectors created: {inspectors}")
        if scenario["items"]:
            self.stdout.write(
                f"demo item list: {scenario['items']} published items; "
                f"demo task drawn with a witness: {scenario['drawn']} firms selected; "
                f"{scenario['records']} checks entered, {scenario['published']} of them approved and published"
            )
        if passwords:
            self.stdout.write("Demo users (passwords are shown only now):")
            for username, password in passwords.items():
                self.stdout.write(f"  {username:<12} {password}")
        else:
            self.stdout.write("Demo users already exist; use --reset-passwords for new passwords.")
