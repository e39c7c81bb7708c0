"""Business events other systems may hear of (issue 16: signed webhooks for the operator's systems).

Any app publishes through `publish()`; the webhooks delivery (core.webhooks) subscribes. Events carry codes,
ids and counts only, never a subscriber's personal data, and are handed on only once the transaction that
produced them commits, so a rolled-back review never announces anything.
"""

from django.db import transaction

# event type -> lazy label in words (the webhook pages list them for subscribing); apps register theirs.
EVENT_TYPES: dict[str, object] = {}
# callables(event_type: str, data: dict) -> None, called after commit
SUBSCRIBERS: list = []


def register_event_types(labels: dict) -> None:
    EVENT_TYPES.update(labels)


def subscribe(handler) -> None:
    if handler not in SUBSCRIBERS:
        SUBSCRIBERS.append(handler)


def publish(event_type: str, data: dict) -> None:
    """Announce `event_type` with `data` (JSON-able: codes, ids, counts) once the current transaction commits."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unregistered event type {event_type!r}")

    def deliver():
        for handler in list(SUBSCRIBERS):
            handler(event_type, data)

    transaction.on_commit(deliver)
