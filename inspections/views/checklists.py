"""Checklists: the versions, one version's items, and editing (which makes a new version)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from core.web import add_errors

from .. import selectors
from ..forms.office import (
    ChecklistItemFormSet,
    ChecklistMetaForm,
)
from ..models import (
    ChecklistTemplate,
)
from ..services import checklists as checklist_services
from ..services.checklists import ITEM_FIELDS
from ._common import EDIT_CHECKLIST, VIEW_CHECKLIST, staff


@require_safe
@staff(VIEW_CHECKLIST)
def checklist_list(request):
    return render(
        request,
        "inspections/office/checklist_list.html",
        {"versions": selectors.checklist_versions(), "can_edit": request.user.has_perm(EDIT_CHECKLIST)},
    )


@require_safe
@staff(VIEW_CHECKLIST)
def checklist_detail(request, pk):
    template = selectors.checklist_versions().filter(pk=pk).first()
    if template is None:
        raise Http404
    return render(
        request,
        "inspections/office/checklist_detail.html",
        {
            "template": template,
            "items": template.items.order_by("position"),
            "report_count": template.reports.count(),
            "can_edit": request.user.has_perm(EDIT_CHECKLIST),
        },
    )


@staff(VIEW_CHECKLIST, EDIT_CHECKLIST)
def checklist_edit(request, pk):
    """The items as a formset (reorder, delete, add); saving makes a new version that becomes the one in use."""
    template = ChecklistTemplate.objects.filter(pk=pk).first()
    if template is None:
        raise Http404
    items = [{f: getattr(i, f) for f in ITEM_FIELDS} for i in template.items.order_by("position")]
    meta = ChecklistMetaForm(request.POST or None, initial={"name": template.name})
    formset = ChecklistItemFormSet(
        request.POST or None, initial=[{**i, "ORDER": n} for n, i in enumerate(items, 1)], prefix="items"
    )
    if request.method == "POST" and meta.is_valid() and formset.is_valid():
        # ordered_forms leaves out deleted rows and the blank extra row
        new_items = [{k: f.cleaned_data.get(k) for k in ITEM_FIELDS} for f in formset.ordered_forms]
        try:
            new = checklist_services.checklist_new_version(
                template=template,
                items=new_items,
                name=meta.cleaned_data["name"],
                change_note=meta.cleaned_data["change_note"],
                actor=request.user,
            )
        except ValidationError as exc:
            add_errors(meta, exc)
        else:
            messages.success(request, _("Version %(v)d saved and now in use.") % {"v": new.version})
            return redirect("inspections:checklist_detail", pk=new.pk)
    return render(
        request,
        "inspections/office/checklist_edit.html",
        {"template": template, "meta": meta, "formset": formset},
        status=400 if request.method == "POST" else 200,
    )


urlpatterns = [
    path("checklists/", checklist_list, name="checklist_list"),
    path("checklists/<int:pk>/", checklist_detail, name="checklist_detail"),
    path("checklists/<int:pk>/edit/", checklist_edit, name="checklist_edit"),
]
