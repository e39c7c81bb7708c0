"""Signatures as the Standard Webhooks convention makes them: a known vector, and an independent receiver."""

import base64

import pytest

from core.webhooks import signing

from .verify import Invalid, verify

# the convention's own test vector (standard-webhooks, libraries/python/tests/test_webhooks.py: test_sign_function)
KNOWN_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
KNOWN_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
KNOWN_TIMESTAMP = 1614265330
KNOWN_BODY = b'{"test": 2432232314}'
KNOWN_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_the_signature_of_the_conventions_known_vector():
    assert (
        signing.signature(secret=KNOWN_SECRET, message_id=KNOWN_ID, timestamp=KNOWN_TIMESTAMP, body=KNOWN_BODY)
        == KNOWN_SIGNATURE
    )


def test_an_independent_receiver_accepts_the_headers_and_refuses_a_changed_body_or_an_old_timestamp():
    # given
    secret = signing.secret_generate()
    body = b'{"data":{"total":3},"type":"flags.critical_raised"}'
    headers = signing.headers(secret=secret, message_id="msg_1", timestamp=1_800_000_000, body=body)
    # then
    assert set(headers) == {"webhook-id", "webhook-timestamp", "webhook-signature"}
    verify(secret, headers, body, now=1_800_000_000)
    with pytest.raises(Invalid):
        verify(secret, headers, body.replace(b"3", b"4"), now=1_800_000_000)
    with pytest.raises(Invalid):
        verify(secret, headers, body, now=1_800_000_000 + 301)
    with pytest.raises(Invalid):
        verify(signing.secret_generate(), headers, body, now=1_800_000_000)


def test_a_new_secret_is_whsec_and_32_random_bytes():
    first, second = signing.secret_generate(), signing.secret_generate()
    assert first.startswith("whsec_")
    assert first != second
    assert len(base64.b64decode(first.removeprefix("whsec_"))) == 32
    assert signing.secret_bytes(first) == base64.b64decode(first[6:])
