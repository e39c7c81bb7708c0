"""Signing webhook messages the Standard Webhooks way (https://www.standardwebhooks.com/).

A receiver recomputes `base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}"))` with the secret's bytes
(the base64 after `whsec_`) and compares it with the `v1,` signature in `webhook-signature`; the README's
"Webhooks" section shows how. Pure functions: no database, no network.
"""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix of every secret, not a secret
SECRET_BYTES = 32  # the convention allows 24 to 64


def secret_generate() -> str:
    """A new signing secret, `whsec_` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def secret_bytes(secret: str) -> bytes:
    """The key a secret stands for: the base64 after the `whsec_` prefix."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX), validate=True)


def signature(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The `webhook-signature` header's value: `v1,` and the base64 HMAC-SHA256 of id, timestamp and body."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def headers(*, secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The request headers of one attempt: the message's id (the same on every attempt, so a receiver can
    ignore a repeat), the attempt's time in Unix seconds and the signature of both with the body."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret=secret, message_id=message_id, timestamp=timestamp, body=body),
    }
