"""``manage.py load_refdata``: (re)load the shipped divisions and industries."""

from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from refdata.loader import load_all
from refdata.models import Division, Industry


class Command(BaseCommand):
    help = "Load GB/T 2260 divisions and GB/T 4754-2017 industries from refdata/data."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            divisions, industries = load_all(Division, Industry)
        self.stdout.write(f"divisions: {divisions} rows written; industries: {industries} rows written")
