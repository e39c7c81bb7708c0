"""Read-only admin views: campaigns change through their pages and services (audited), never here."""

from django.contrib import admin

from .models import Campaign


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ("id", "subject_type", "province", "period_from", "period_until", "trigger", "status")
    list_filter = ("status", "trigger", "subject_type")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
