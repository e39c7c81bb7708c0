"""An independent check of a Standard Webhooks signature, as a receiver would write it from the spec
(https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md): it shares no
code with core.webhooks."""

import base64
import hashlib
import hmac
import time


class Invalid(Exception):
    pass


def verify(secret: str, headers: dict, body: bytes, tolerance: int = 300, now: float | None = None) -> None:
    msg_id, stamp, signatures = headers["webhook-id"], headers["webhook-timestamp"], headers["webhook-signature"]
    if abs((now if now is not None else time.time()) - int(stamp)) > tolerance:
        raise Invalid("timestamp outside the tolerance")
    key = base64.b64decode(secret.split("_", 1)[1])
    expected = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    for candidate in signatures.split(" "):
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value.encode(), expected):
            return
    raise Invalid("no matching signature")
