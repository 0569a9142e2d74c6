import sys

from django.core.management.base import BaseCommand, CommandError

from directory.importing.export import write_csv, write_xlsx
from directory.models import Target
from orgs.models import Organisation


class Command(BaseCommand):
    help = "Export the target directory as CSV or .xlsx, in the layout import_targets reads."

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=("csv", "xlsx"), default="csv")
        parser.add_argument("--organisation", type=int, help="only this organisation and those below it")
        parser.add_argument("--output", "-o", default="-", help="file to write (default: standard output, CSV only)")

    def handle(self, *args, format: str, organisation: int | None, output: str, **options):
        qs = Target.objects.all()
        if organisation is not None:
            org = Organisation.objects.filter(pk=organisation).first()
            if org is None:
                raise CommandError(f"no organisation with id {organisation}")
            qs = qs.filter(organisation__path__startswith=org.path)
        if format == "xlsx":
            if output == "-":
                raise CommandError("give --output FILE for .xlsx")
            with open(output, "wb") as fh:
                count = write_xlsx(qs, fh)
        elif output == "-":
            count = write_csv(qs, sys.stdout)
        else:
            with open(output, "w", encoding="utf-8-sig", newline="") as fh:
                count = write_csv(qs, fh)
        self.stderr.write(f"{count} targets exported")
