"""Read-only admin views: the ladder changes through its pages and services (audited), never here."""

from django.contrib import admin

from .models import CaseStep, LadderPolicyVersion, ListIssue, RemediationCase


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CaseStepInline(admin.TabularInline):
    model = CaseStep
    extra = 0
    can_delete = False
    fields = ("step", "due_at", "reached_at", "issue", "outcome", "done_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RemediationCase)
class RemediationCaseAdmin(ReadOnly):
    list_display = ("pk", "track", "status", "current_step", "next_due_at", "opened_at", "close_reason")
    list_filter = ("status", "track", "current_step", "source")
    raw_id_fields = ("registration",)
    inlines = [CaseStepInline]


@admin.register(ListIssue)
class ListIssueAdmin(ReadOnly):
    list_display = ("pk", "step", "day", "count", "channel", "issued_by", "issued_at")
    list_filter = ("step", "channel")


@admin.register(LadderPolicyVersion)
class LadderPolicyVersionAdmin(ReadOnly):
    list_display = ("version", "changed_at", "changed_by", "reason")
