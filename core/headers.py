"""Response headers that depend on the page: Permissions-Policy (camera and geolocation only where the field
inspector works) and the opt-out from `Cache-Control: no-store` (core.middleware.NoStoreMiddleware)."""

from functools import wraps

# The inspector's phone pages (inspections/views/field.py): check-in reads the position, photos use the camera.
FIELD_URL_NAMES = frozenset(
    {
        "my_tasks",
        "task_work",
        "field_checkin",
        "field_answers",
        "field_remarks",
        "field_photo",
        "field_photo_remove",
        "field_sim",
        "field_sim_remove",
        "field_checkout",
        "field_submit",
    }
)
# Everything a page of ours never uses is denied to every origin, including our own scripts.
DENIED = ("microphone", "payment", "usb", "serial", "bluetooth", "midi", "display-capture")
FIELD_POLICY = ", ".join(["geolocation=(self)", "camera=(self)", *(f"{name}=()" for name in DENIED)])
OTHER_POLICY = ", ".join(["geolocation=()", "camera=()", *(f"{name}=()" for name in DENIED)])


def is_field_page(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.namespace == "inspections" and match.url_name in FIELD_URL_NAMES


class PermissionsPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if not response.has_header("Permissions-Policy"):
            response["Permissions-Policy"] = FIELD_POLICY if is_field_page(request) else OTHER_POLICY
        return response


def cacheable(view):
    """A view whose answers hold no personal data and may be cached (no `no-store` added)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.cacheable = True
        return response

    return wrapper
