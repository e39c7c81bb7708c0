"""Hooks that higher apps register to hear of what happens here, without this app importing them.

`on_findings_recorded(handler)`: `handler(finding_ids: list[int])` is called once the transaction that made
the findings (an accepted report) commits. A handler that fails is logged and the others still run; the
acceptance stands (enforcement's nightly step catches findings a handler missed).
"""

import logging
from collections.abc import Callable, Iterable

from django.db import transaction

logger = logging.getLogger(__name__)

FINDINGS_RECORDED: list[Callable[[list[int]], None]] = []


def on_findings_recorded(handler: Callable[[list[int]], None]) -> None:
    if handler not in FINDINGS_RECORDED:
        FINDINGS_RECORDED.append(handler)


def findings_recorded(finding_ids: Iterable[int]) -> None:
    """Tell the registered handlers of these new findings after the current transaction commits."""
    ids = sorted(int(pk) for pk in finding_ids)
    if not ids:
        return

    def deliver():
        for handler in list(FINDINGS_RECORDED):
            try:
                handler(ids)
            except Exception:  # one handler's failure never undoes the review, nor stops the others
                logger.exception("findings_recorded handler %r failed for findings %s", handler, ids)

    transaction.on_commit(deliver)
