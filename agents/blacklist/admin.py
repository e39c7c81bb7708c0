"""The blacklist in the admin: read-only (entries change through the services, audited)."""

from django.contrib import admin

from .models import BlacklistEntry, BlacklistKey


class KeyInline(admin.TabularInline):
    model = BlacklistKey
    fields = ["kind", "masked", "origin"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(BlacklistEntry)
class BlacklistEntryAdmin(admin.ModelAdmin):
    list_display = ["agent_code", "agent_name", "province", "source", "listed_at", "expires_at", "lifted_at"]
    list_filter = ["source", "province"]
    search_fields = ["agent_code", "agent_name"]
    inlines = [KeyInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
