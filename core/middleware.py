from contextvars import ContextVar

current_request: ContextVar = ContextVar("current_request", default=None)


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    """Keeps the current request at hand so services can audit the caller's address."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = current_request.set(request)
        try:
            return self.get_response(request)
        finally:
            current_request.reset(token)
