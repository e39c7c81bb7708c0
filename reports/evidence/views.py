"""Pages of reports.evidence: the "Evidence pack" section of agent and point pages, asking for a pack,
and downloading one. Thin: they call selectors and services."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe

from agents import selectors as agent_selectors
from core.decorators import people_only

from . import ADD, VIEW, selectors, services


def staff(*perms):
    """Signed in, a person (not an integration account), with every permission in `perms` (else 403)."""

    def decorate(view):
        wrapped = view
        for perm in reversed(perms):
            wrapped = permission_required(perm, raise_exception=True)(wrapped)
        return login_required(people_only(wrapped))

    return decorate


SUBJECTS = {
    "agent": (agent_selectors.agent_get, "agents:agent_detail"),
    "point": (agent_selectors.point_get, "agents:point_detail"),
}


def _section(request, kind: str, subject, *, error: str = ""):
    packs = selectors.packs_of(user=request.user, subject=subject)
    if services.evidence_packs_mark_abandoned(packs):
        packs = selectors.packs_of(user=request.user, subject=subject)
    context = {
        "kind": kind,
        "subject": subject,
        "packs": packs,
        "polling": any(not pack.is_finished for pack in packs),
        "can_create": request.user.has_perm(ADD),
        "section_url": reverse(f"reports:{kind}_evidence_section", args=[subject.pk]),
        "create_url": reverse(f"reports:{kind}_evidence_create", args=[subject.pk]),
        "error": error,
    }
    return render(request, "reports/evidence/_section.html", context)


def _show(request, kind: str, pk):
    getter, _detail = SUBJECTS[kind]
    return _section(request, kind, getter(user=request.user, pk=pk))


def _create(request, kind: str, pk):
    getter, detail = SUBJECTS[kind]
    subject = getter(user=request.user, pk=pk)
    error = ""
    try:
        services.evidence_pack_request(subject=subject, actor=request.user)
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if request.headers.get("HX-Request"):
        return _section(request, kind, subject, error=error)
    if error:
        messages.error(request, error)
    return redirect(detail, pk=subject.pk)


@require_safe
@staff(VIEW)
def agent_evidence_section(request, pk):
    return _show(request, "agent", pk)


@require_safe
@staff(VIEW)
def point_evidence_section(request, pk):
    return _show(request, "point", pk)


@require_POST
@staff(ADD)
def agent_evidence_create(request, pk):
    return _create(request, "agent", pk)


@require_POST
@staff(ADD)
def point_evidence_create(request, pk):
    return _create(request, "point", pk)


@require_safe
@staff(VIEW)
def evidence_download(request, pk):
    """A pack's ZIP, for a user who may see its subject and every province it holds (else 404); audited."""
    pack = selectors.pack_get(user=request.user, pk=pk)
    if pack is None:
        raise Http404
    try:
        handle = services.evidence_pack_download(pack=pack, actor=request.user)
    except ValidationError as exc:
        raise Http404 from exc
    return FileResponse(handle, as_attachment=True, filename=pack.file_name(), content_type="application/zip")
