"""Bring the name search index (SQLite) up to date: ``manage.py index_names [--rebuild]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from directory import namesearch


class Command(BaseCommand):
    help = "Index the names of targets not yet in the SQLite name search index (or all of them with --rebuild)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="empty the index and index every name again")

    def handle(self, *args, **options) -> None:
        if not namesearch.available():
            self.stdout.write("no name search index on this database (PostgreSQL uses pg_trgm); nothing to do")
            return
        from tqdm import tqdm

        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit="names", disable=None)
            bar.update(done - bar.n)

        if options["rebuild"]:
            namesearch.clear()
        indexed = namesearch.catch_up(progress)
        if bar is not None:
            bar.close()
        self.stdout.write(f"indexed={indexed} mark={namesearch.mark()}")
