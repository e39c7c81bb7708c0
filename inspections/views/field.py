"""The field inspector's phone: "My tasks", the task page (check-in, checklist, photos, SIMs found, remarks,
submit), the JSON endpoints its script (static/js/inspection/main.js) sends the queued changes to, and the
photo files.

An inspector only ever reaches their own tasks: any other task answers 404, like one that does not exist.
Compliance staff and auditors do not work on the phone pages (403); they see photos of the tasks of their
provinces through `photo`.
"""

import json
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import FileResponse, Http404, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.decorators import people_only
from core.scoping import access_object

from ..forms.field import (
    AnswersForm,
    CheckInForm,
    CheckOutForm,
    PhotoForm,
    RemarksForm,
    SimForm,
    SimRemoveForm,
    SubmitForm,
)
from ..models import InspectionReport, InspectionTask, Photo, TaskStatus
from ..services import field_requests, fieldwork

PERFORM = fieldwork.PERFORM_PERMISSION
ON_THE_PHONE = (TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)


def field_page(view):
    """Signed-in field inspectors only (others: 403)."""
    return login_required(people_only(permission_required(PERFORM, raise_exception=True)(view)))


def _my_tasks(user):
    return InspectionTask.objects.for_user(user).filter(inspector=user)


def _task(request, pk) -> InspectionTask:
    queryset = _my_tasks(request.user).select_related("point", "point__province", "point__agent")
    return access_object(queryset, request.user, pk=pk)


def _report(task: InspectionTask) -> InspectionReport | None:
    return InspectionReport.objects.select_related("template").filter(task=task).first()


def maps_url(point) -> str:
    """A Google Maps search link: phones open it in the maps app; the address when there are no coordinates."""
    if point.latitude is not None and point.longitude is not None:
        query = f"{point.latitude:.6f},{point.longitude:.6f}"
    else:
        query = ", ".join(part for part in (point.address, point.province.name) if part)
    return "https://www.google.com/maps/search/?" + urlencode({"api": "1", "query": query})


# --- pages ---------------------------------------------------------------------------------------


@require_safe
@field_page
def my_tasks(request):
    """The inspector's home: open tasks grouped Overdue / Today / Upcoming / Returned to you."""
    today = timezone.localdate()
    groups = {"overdue": [], "today": [], "upcoming": [], "returned": []}
    tasks = _my_tasks(request.user).filter(status__in=ON_THE_PHONE).select_related("point", "point__province", "report")
    for task in tasks.order_by("due_date", "id"):
        task.maps_url = maps_url(task.point)
        if task.status == TaskStatus.RETURNED:
            groups["returned"].append(task)
        elif task.due_date < today:
            groups["overdue"].append(task)
        elif task.due_date == today:
            groups["today"].append(task)
        else:
            groups["upcoming"].append(task)
    sections = [
        ("overdue", _("Overdue"), groups["overdue"]),
        ("today", _("Today"), groups["today"]),
        ("upcoming", _("Upcoming"), groups["upcoming"]),
        ("returned", _("Returned to you"), groups["returned"]),
    ]
    sent = _my_tasks(request.user).filter(status=TaskStatus.SUBMITTED).select_related("point", "report")
    return render(
        request,
        "inspections/field/my_tasks.html",
        {
            "sections": sections,
            "open_count": sum(len(group) for group in groups.values()),
            "sent": sent.order_by("-updated_at")[:10],
            "today": today,
        },
    )


@require_safe
@field_page
def task_work(request, pk):
    """The task on the phone: check-in, then the checklist as one scrolling form; read-only once sent."""
    task = _task(request, pk)
    report = _report(task)
    checklist = report.template if report else None
    checklist_error = ""
    if checklist is None and task.status == TaskStatus.ASSIGNED:
        try:
            checklist = fieldwork.current_checklist()
        except ValidationError as exc:
            checklist_error = exc.messages[0]
    answers, photos, sims = {}, {}, []
    if report is not None:
        answers = {a.item_id: a for a in report.answers.all()}
        for photo in report.photos.all():
            photos.setdefault(photo.item_id, []).append(photo)
        sims = list(report.sims.select_related("registration", "activation"))
    items = [
        {"item": item, "answer": answers.get(item.pk), "photos": photos.get(item.pk, [])}
        for item in (checklist.items.all() if checklist else [])
    ]
    editable = task.status in ON_THE_PHONE and checklist is not None
    context = {
        "task": task,
        "point": task.point,
        "report": report,
        "checklist": checklist,
        "checklist_error": checklist_error,
        "items": items,
        "general_photos": photos.get(None, []),
        "sims": sims,
        "editable": editable,
        "checked_in": report is not None,
        "maps_url": maps_url(task.point),
        "answered": sum(1 for row in items if row["answer"] and row["answer"].value),
    }
    if editable:
        context["config"] = _script_config(request, task, report)
    return render(request, "inspections/field/task_work.html", context)


def _script_config(request, task: InspectionTask, report: InspectionReport | None) -> dict:
    """What static/js/inspection/main.js needs: where to send each change, the point, and its words."""
    point = task.point
    urls = {
        name: reverse(f"inspections:field_{name}", args=[task.pk])
        for name in ("checkin", "answers", "remarks", "photo", "sim", "sim_remove", "checkout", "submit")
    }
    return {
        "task": task.pk,
        "checked_in": report is not None,
        "point": (
            {"latitude": float(point.latitude), "longitude": float(point.longitude)}
            if point.latitude is not None and point.longitude is not None
            else None
        ),
        "max_distance_m": fieldwork.CHECKIN_MAX_DISTANCE_M,
        "urls": urls,
        "csrf": get_token(request),
        "text": {
            "sent": _("All changes sent"),
            "waiting": _("Saved on this phone — waiting for the network"),
            "sending": _("Sending…"),
            "refused": _("Some changes were refused: see the messages in red."),
            "signed_out": _("You are signed out: sign in again (your changes are kept on this phone)."),
            "gone": _("This task is no longer assigned to you: your changes stay on this phone."),
            "too_far": _("You are %(distance)s m from the point (more than %(limit)s m). Say why to check in here."),
            "no_location": _("Your location is not available (%(reason)s). Say why to check in without it."),
            "locating": _("Finding your location…"),
            "checked_in": _("Checked in"),
            "in_progress": str(TaskStatus.IN_PROGRESS.label),
            "distance": _("%(distance)s m from the point, accurate to %(accuracy)s m"),
            "reason_needed": _("Say why first."),
            "iccid_ok": _("Check digit correct"),
            "iccid_bad": _("Check digit wrong: check the number on the SIM"),
            "iccid_length": _("An ICCID has 19 or 20 digits (%(n)s typed)"),
            "pending": _("Waiting to be sent"),
            "remove": _("Remove"),
            "submit_queued": _("The report will be sent as soon as the network is back."),
            "submit_blocked": _("Answer every item first:"),
            "photo_failed": _("This photo could not be read: take it again."),
            "answered": _("%(n)s of %(total)s answered"),
            "item_unanswered": _("Item %(n)s is not answered."),
            "item_photo": _("Item %(n)s needs a photo."),
            "geo_denied": _("permission refused"),
            "geo_unavailable": _("no position found"),
            "geo_timeout": _("it took too long"),
        },
    }


# --- JSON endpoints for the phone's queue ---------------------------------------------------------
#
# The contract with the phone's outbox (static/js/inspection/*), issue 14:
# - header `Idempotency-Key` (1-64 of [A-Za-z0-9-]): a key already answered for this user answers the same
#   status and body again (header `Idempotent-Replayed: true`) without doing the change again; the same
#   key on another task or endpoint is a 409; no header: the change is done as before (older pages);
# - body field `device_time` (ISO 8601 with offset): when the inspector did the change on the phone;
#   unreadable or more than a day ahead: 400, code "device_time" / "device_time_ahead";
# - header `X-Device-Clock` (ISO 8601 with offset): the phone's clock as it sent, for the clock gap;
# - photos (multipart) also carry `source`: "camera" or "gallery".
# Answers are JSON: {"ok": true, ...} with 200; {"ok": false, "error", "errors", "code", "status"} with 400.


def _payload(request) -> dict | None:
    if request.content_type == "application/json":
        cached = getattr(request, "_field_payload", False)
        if cached is not False:
            return cached
        try:
            data = json.loads(request.body or b"{}")
        except ValueError:
            data = None
        request._field_payload = data if isinstance(data, dict) else None
        return request._field_payload
    return request.POST


def _refused(task: InspectionTask, *, form=None, exc: ValidationError | None = None) -> JsonResponse:
    """HTTP 400 with a message the phone shows, the errors by field (or item code), and the task's status."""
    errors: dict[str, list[str]] = {}
    code = ""
    if form is not None:
        for field, field_errors in form.errors.get_json_data().items():
            errors[field] = [e["message"] for e in field_errors]
            code = code or field_errors[0].get("code", "")
    elif exc is not None:
        if hasattr(exc, "error_dict"):
            for field, field_errors in exc.error_dict.items():
                errors[field] = [m for e in field_errors for m in e.messages]
                code = code or (field_errors[0].code or "")
        else:
            errors["__all__"] = exc.messages
            code = getattr(exc, "code", None) or exc.error_list[0].code or ""
    messages_ = [m for field_messages in errors.values() for m in field_messages]
    task.refresh_from_db(fields=["status"])
    return JsonResponse(
        {
            "ok": False,
            "error": " ".join(messages_) or _("The change was refused."),
            "errors": errors,
            "code": code,
            "status": task.status,
        },
        status=400,
    )


def _bad_body(task):
    return _refused(task, exc=ValidationError(_("The request could not be read."), code="bad_request"))


def _report_or_refuse(task: InspectionTask):
    report = _report(task)
    if report is None:
        return None, _refused(task, exc=ValidationError(_("Check in first."), code="not_checked_in"))
    return report, None


def _device_time(request):
    payload = _payload(request)
    return payload.get("device_time") if payload is not None else None


def _conflict(task: InspectionTask, message: str) -> JsonResponse:
    return JsonResponse(
        {
            "ok": False,
            "error": message,
            "errors": {"__all__": [message]},
            "code": "key_conflict",
            "status": task.status,
        },
        status=409,
    )


def field_endpoint(view):
    """POST only, signed-in field inspectors only; the task is theirs (404 otherwise). The view is called as
    view(request, task, device, **kwargs) inside one transaction with the claim of its Idempotency-Key
    (services.field_requests) and gets the change's DeviceStamp; its answer is recorded for replays."""

    @wraps(view)
    def endpoint(request, pk, **kwargs):
        task = _task(request, pk)
        key = request.headers.get("Idempotency-Key")
        if key is not None and not field_requests.key_is_valid(key):
            message = _("The change's key (Idempotency-Key) must be 1 to 64 letters, digits or dashes.")
            return _refused(task, exc=ValidationError(message, code="bad_key"))
        received = timezone.now()
        clock = request.headers.get("X-Device-Clock")
        with transaction.atomic():
            claim = None
            if key is not None:
                claim = field_requests.request_claim(
                    user=request.user,
                    key=key,
                    endpoint=request.resolver_match.url_name,
                    task=task,
                    path=request.path,
                    clock_skew_s=fieldwork.clock_skew(device_clock=clock, received=received),
                )
                if claim.conflict:
                    return _conflict(task, claim.conflict)
                if claim.replay:
                    status, body = claim.replay
                    response = JsonResponse(body, status=status)
                    response["Idempotent-Replayed"] = "true"
                    return response
            try:
                device = fieldwork.device_stamp(
                    device_time=_device_time(request), device_clock=clock, received=received
                )
            except ValidationError as exc:
                response = _refused(task, exc=exc)
            else:
                response = view(request, task, device, **kwargs)
            if claim is not None:
                field_requests.request_answered(
                    row=claim.row, status=response.status_code, body=json.loads(response.content)
                )
            return response

    return require_POST(field_page(endpoint))


@field_endpoint
def field_checkin(request, task, device):
    form = CheckInForm(_payload(request) or {})
    if not form.is_valid():
        return _refused(task, form=form)
    try:
        report = fieldwork.inspection_check_in(task=task, inspector=request.user, device=device, **form.cleaned_data)
    except ValidationError as exc:
        return _refused(task, exc=exc)
    return JsonResponse(
        {
            "ok": True,
            "status": TaskStatus.IN_PROGRESS,
            "checkin": {
                "at": timezone.localtime(report.checkin_at).strftime("%H:%M"),
                "distance_m": report.checkin_distance_m,
                "accuracy_m": report.checkin_accuracy_m,
            },
        }
    )


def _report_change(task, form, write):
    """The path every change to a checked-in report takes: a valid form, the report, the service. A
    ValidationError is a 400 carrying the task's status; `write(report, data)` returns the reply's fields.
    """
    if form is not None and not form.is_valid():
        return _refused(task, form=form)
    report, refused = _report_or_refuse(task)
    if refused:
        return refused
    try:
        return JsonResponse({"ok": True, **write(report, form.cleaned_data if form is not None else {})})
    except ValidationError as exc:
        return _refused(task, exc=exc)


@field_endpoint
def field_answers(request, task, device):
    payload = _payload(request)
    if payload is None:
        return _bad_body(task)

    def write(report, data):
        changed = fieldwork.answers_save(report=report, inspector=request.user, answers=data["answers"], device=device)
        return {"changed": [a.item.code for a in changed]}

    return _report_change(task, AnswersForm(payload), write)


@field_endpoint
def field_remarks(request, task, device):
    def write(report, data):
        fieldwork.remarks_save(report=report, inspector=request.user, remarks=data["remarks"], device=device)
        return {}

    return _report_change(task, RemarksForm(_payload(request) or {}), write)


@field_endpoint
def field_photo(request, task, device):
    def write(report, data):
        photo = fieldwork.photo_add(
            report=report,
            inspector=request.user,
            file=data["file"],
            item_code=data["item_code"] or None,
            client_id=data["client_id"],
            source=data["source"],
            device=device,
        )
        html = render_to_string(
            "inspections/field/_photo.html", {"photo": photo, "task": task, "editable": True}, request=request
        )
        return {"id": photo.pk, "client_id": photo.client_id, "sha256": photo.sha256, "html": html}

    return _report_change(task, PhotoForm(request.POST, request.FILES), write)


@field_endpoint
def field_photo_remove(request, task, device, photo_pk):
    def write(report, data):
        photo = report.photos.filter(pk=photo_pk).first()
        if photo is not None:  # None: already removed (a retry)
            fieldwork.photo_remove(photo=photo, inspector=request.user, device=device)
        return {}

    return _report_change(task, None, write)


@field_endpoint
def field_sim(request, task, device):
    def write(report, data):
        sim = fieldwork.sim_add(report=report, inspector=request.user, device=device, **data)
        html = render_to_string(
            "inspections/field/_sim.html", {"sim": sim, "task": task, "editable": True}, request=request
        )
        return {"iccid": sim.iccid, "html": html}

    return _report_change(task, SimForm(_payload(request) or {}), write)


@field_endpoint
def field_sim_remove(request, task, device):
    def write(report, data):
        fieldwork.sim_remove(report=report, inspector=request.user, iccid=data["iccid"], device=device)
        return {}

    return _report_change(task, SimRemoveForm(_payload(request) or {}), write)


@field_endpoint
def field_checkout(request, task, device):
    def write(report, data):
        fieldwork.inspection_check_out(report=report, inspector=request.user, device=device, **data)
        return {}

    return _report_change(task, CheckOutForm(_payload(request) or {}), write)


@field_endpoint
def field_submit(request, task, device):
    payload = _payload(request) or {}
    form = SubmitForm(payload)
    if not form.is_valid():
        return _refused(task, form=form)
    remarks = form.cleaned_data["remarks"] if "remarks" in payload else None
    try:
        fieldwork.inspection_submit(task=task, inspector=request.user, remarks=remarks, device=device)
    except ValidationError as exc:
        return _refused(task, exc=exc)
    messages.success(
        request, _("Report for %(point)s sent for review.") % {"point": f"{task.point.name} ({task.point.code})"}
    )
    return JsonResponse({"ok": True, "status": TaskStatus.SUBMITTED, "redirect": reverse("inspections:my_tasks")})


# --- photo files ---------------------------------------------------------------------------------


@require_safe
@login_required
@people_only
def photo(request, pk):
    """A photo's file, for whoever may see its task (its inspector; staff and auditors of its province)."""
    visible = Photo.objects.filter(report__task__in=InspectionTask.objects.for_user(request.user))
    try:
        found = visible.get(pk=pk)
        handle = found.file.open("rb")
    except (Photo.DoesNotExist, FileNotFoundError) as exc:
        raise Http404 from exc
    extension = {"image/png": "png", "image/webp": "webp"}.get(found.content_type, "jpg")
    response = FileResponse(handle, content_type=found.content_type, filename=f"photo-{found.pk}.{extension}")
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("my-tasks/", my_tasks, name="my_tasks"),
    path("my-tasks/<int:pk>/", task_work, name="task_work"),
    path("my-tasks/<int:pk>/check-in/", field_checkin, name="field_checkin"),
    path("my-tasks/<int:pk>/answers/", field_answers, name="field_answers"),
    path("my-tasks/<int:pk>/remarks/", field_remarks, name="field_remarks"),
    path("my-tasks/<int:pk>/photos/", field_photo, name="field_photo"),
    path("my-tasks/<int:pk>/photos/<int:photo_pk>/remove/", field_photo_remove, name="field_photo_remove"),
    path("my-tasks/<int:pk>/sims/", field_sim, name="field_sim"),
    path("my-tasks/<int:pk>/sims/remove/", field_sim_remove, name="field_sim_remove"),
    path("my-tasks/<int:pk>/check-out/", field_checkout, name="field_checkout"),
    path("my-tasks/<int:pk>/submit/", field_submit, name="field_submit"),
    path("photos/<int:pk>/", photo, name="photo"),
]
