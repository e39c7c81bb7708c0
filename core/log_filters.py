"""Logging filters for the server log."""

import logging

from django.core.exceptions import PermissionDenied


class QuietForbidden(logging.Filter):
    """A refused request (a role without the permission) is expected: one warning line, no traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True
