"""``manage.py import_experts FILE [--encoding auto|utf-8|gbk] [--mode all-or-nothing|good-rows] [--org CODE]``."""

from directory.management.commands.import_inspectors import Command as InspectorCommand


class Command(InspectorCommand):
    help = "Import experts from a CSV (UTF-8 or GBK) or .xlsx file into an organisation's expert directory."
    kind = "experts"
