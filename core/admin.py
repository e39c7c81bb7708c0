from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from .audit import audit_record
from .models import AuditEvent, Province, User
from .roles import Role
from .webhooks import admin as webhooks_admin  # noqa: F401  (registers its models)


def _superusers_only(request) -> bool:
    """`/admin/` can do anything to anyone (raw permissions, any password): superusers only. Managers
    manage the accounts within their reach on the in-app user pages (core.services)."""
    return request.user.is_active and request.user.is_superuser


admin.site.has_permission = _superusers_only


class RoleFilter(admin.SimpleListFilter):
    """Filter by role, named in words (the groups behind the roles are named by code)."""

    title = _("role")
    parameter_name = "role"

    def lookups(self, request, model_admin):
        return [(role.value, role.label) for role in Role]

    def queryset(self, request, queryset):
        return queryset.filter(groups__name=self.value()) if self.value() else queryset


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "full_name", "email", "is_active", "all_provinces", "roles")
    list_filter = ("is_active", RoleFilter, "all_provinces")
    filter_horizontal = ("groups", "provinces")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("full name"))
    def full_name(self, obj):
        return obj.get_full_name()

    @admin.display(description=_("roles"))
    def roles(self, obj):
        # groups are named by role code: show the role's name in the reader's language
        labels = {role.value: role.label for role in Role}
        return ", ".join(str(labels.get(g.name, g.name)) for g in obj.groups.all())

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None:
            fieldsets = (*fieldsets, (_("Reach"), {"fields": ("all_provinces", "provinces")}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        obj._password_audited = True  # the event below records this save (a new account's password too)
        super().save_model(request, obj, form, change)
        audit_record(
            action="user.change" if change else "user.create",
            obj=obj,
            fields={"changed": form.changed_data},
            request=request,
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if {"groups", "provinces", "all_provinces"} & set(form.changed_data):
            obj = form.instance
            audit_record(
                action="user.access_change",
                obj=obj,
                request=request,
                fields={
                    "roles": sorted(g.name for g in obj.groups.all()),
                    "all_provinces": obj.all_provinces,
                    "provinces": sorted(obj.provinces.values_list("code", flat=True)),
                },
            )


@admin.register(Province)
class ProvinceAdmin(admin.ModelAdmin):
    list_display = ("code", "name")
    search_fields = ("code", "name")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("id", "created_at", "actor_label", "action", "object_type", "object_id", "ip")
    list_filter = ("action",)
    search_fields = ("actor_label", "object_id", "object_repr")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
