from django.contrib import admin

from .models import LadderVersion, SanctionSuggestion


class _ReadOnly(admin.ModelAdmin):
    """Read-only: the ladder changes on its page (a new version, audited); suggestions through their services."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(LadderVersion)
class LadderVersionAdmin(_ReadOnly):
    list_display = ("version", "window_days", "changed_by", "changed_at")


@admin.register(SanctionSuggestion)
class SanctionSuggestionAdmin(_ReadOnly):
    list_display = ("pk", "finding", "point", "ladder", "rung", "rung_count", "sanction_type", "status", "created_at")
    list_filter = ("status", "ladder")
