from django.contrib import admin

from core.admin_base import ReferenceAdmin
from refdata.models import Division, Industry


@admin.register(Division)
class DivisionAdmin(ReferenceAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(Industry)
class IndustryAdmin(ReferenceAdmin):
    list_display = ["code", "name", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
