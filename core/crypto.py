"""Personal data at rest: AES-256-GCM encryption with key rotation, keyed hashes for lookups, masking.

Tokens look like ``v1:<key id>:<base64url(nonce + ciphertext + tag)>``. The key id says which key of
``FIELD_ENCRYPTION_KEY`` decrypts a token, so old keys can be retired one row at a time.
"""

import base64
import binascii
import functools
import hmac
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models
from django.db.models.lookups import Exact, IsNull

VERSION = "v1"
NONCE_BYTES = 12  # 96 bits: the nonce size GCM is designed for
TAG_BYTES = 16
KEY_BYTES = 32  # AES-256

_KEY_ID = re.compile(r"[A-Za-z0-9_-]{1,32}")
_TOKEN = re.compile(r"v1:([A-Za-z0-9_-]{1,32}):([A-Za-z0-9_-]+)")
_VERSION_TAG = re.compile(r"v[0-9]{1,3}")
# Whitespace (any Unicode space), dots and the dash characters people type or paste from Word.
_ID_NUMBER_JUNK = re.compile(r"[\s.\-\u2010-\u2015\u2212\ufe58\ufe63\uff0d]")


class DecryptionError(Exception):
    """A token that cannot be decrypted: tampered with, unknown key id, or not a token at all."""


@dataclass(frozen=True)
class Keyring:
    active_id: str
    ciphers: dict[str, AESGCM]


def _b64decode(text: str) -> bytes:
    # Accept padded or unpadded, URL-safe or standard alphabet; reject anything else.
    text = text.rstrip("=")
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


@functools.lru_cache(maxsize=8)
def parse_keys(setting: str) -> Keyring:
    """Parse ``keyid:base64urlkey,...``; cached on the string so an overridden setting is parsed afresh."""
    ciphers: dict[str, AESGCM] = {}
    entries = [entry.strip() for entry in (setting or "").split(",") if entry.strip()]
    if not entries:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty; expected 'keyid:base64urlkey[,keyid:key...]'.")
    for position, entry in enumerate(entries, start=1):
        key_id, sep, encoded = entry.partition(":")
        key_id, encoded = key_id.strip(), encoded.strip()
        # Never echo the key material in an error: messages end up in logs.
        if not sep or not encoded:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY entry {position} is not 'keyid:base64urlkey'.")
        if not _KEY_ID.fullmatch(key_id):
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY entry {position}: key id must be 1-32 letters, digits, '-' or '_'."
            )
        if key_id in ciphers:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY has the key id {key_id!r} more than once.")
        try:
            key = _b64decode(encoded)
        except (binascii.Error, ValueError):
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEY key {key_id!r} is not valid base64url.") from None
        if len(key) != KEY_BYTES:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY key {key_id!r} is {len(key)} bytes; AES-256 needs {KEY_BYTES}."
            )
        ciphers[key_id] = AESGCM(key)
    return Keyring(active_id=next(iter(ciphers)), ciphers=ciphers)


def _keyring() -> Keyring:
    return parse_keys(settings.FIELD_ENCRYPTION_KEY)


def _aad(key_id: str) -> bytes:
    # Binding version and key id: a token relabelled with another id or version fails authentication.
    return f"{VERSION}:{key_id}".encode("ascii")


def _split(token: str) -> tuple[str, bytes]:
    match = _TOKEN.fullmatch(token)
    if not match:
        version = token.partition(":")[0]
        if _VERSION_TAG.fullmatch(version) and version != VERSION:
            raise DecryptionError(f"Unsupported encrypted token version {version!r}.")
        raise DecryptionError("Not an encrypted token.")
    try:
        payload = _b64decode(match.group(2))
    except (binascii.Error, ValueError):
        raise DecryptionError("Encrypted token is not valid base64url.") from None
    if len(payload) < NONCE_BYTES + TAG_BYTES:
        raise DecryptionError("Encrypted token is too short.")
    return match.group(1), payload


def encrypt_text(value: str | None) -> str | None:
    """Encrypt with the active key; blank values stay as they are (blank checks keep working in SQL)."""
    if value is None or value == "":
        return value
    keyring = _keyring()
    nonce = os.urandom(NONCE_BYTES)
    sealed = keyring.ciphers[keyring.active_id].encrypt(nonce, value.encode("utf-8"), _aad(keyring.active_id))
    return f"{VERSION}:{keyring.active_id}:{_b64encode(nonce + sealed)}"


def text_encryptor(nonces_per_read: int = 4096):
    """`encrypt_text` for many values in a row: the same kind of tokens, a good deal cheaper per value.

    For bulk imports: the active key and its AAD are looked up once, and the random nonces are read
    from the OS `nonces_per_read` at a time (each is used once, as with `encrypt_text`). The function
    keeps state, so use one per thread; take a new one per job so a changed key setting is picked up.
    """
    keyring = _keyring()
    cipher = keyring.ciphers[keyring.active_id]
    aad = _aad(keyring.active_id)
    prefix = f"{VERSION}:{keyring.active_id}:"
    urandom, b2a, seal = os.urandom, binascii.b2a_base64, cipher.encrypt
    url_safe = bytes.maketrans(b"+/", b"-_")
    pool, used = b"", 0

    def encrypt(value: str | None) -> str | None:
        nonlocal pool, used
        if value is None or value == "":
            return value
        if used + NONCE_BYTES > len(pool):
            pool, used = urandom(NONCE_BYTES * nonces_per_read), 0
        nonce = pool[used : used + NONCE_BYTES]
        used += NONCE_BYTES
        sealed = b2a(nonce + seal(nonce, value.encode("utf-8"), aad), newline=False)
        return prefix + sealed.translate(url_safe).rstrip(b"=").decode("ascii")

    return encrypt


def decrypt_text(token: str | None) -> str | None:
    if token is None or token == "":
        return token
    key_id, payload = _split(token)
    cipher = _keyring().ciphers.get(key_id)
    if cipher is None:
        raise DecryptionError(f"Unknown encryption key id {key_id!r}: is it still in FIELD_ENCRYPTION_KEY?")
    try:
        plain = cipher.decrypt(payload[:NONCE_BYTES], payload[NONCE_BYTES:], _aad(key_id))
    except InvalidTag:
        raise DecryptionError(f"Encrypted token failed authentication (tampered, or wrong key {key_id!r}).") from None
    return plain.decode("utf-8")


def is_token(value: object) -> bool:
    """True for a string shaped like a token (not proof that it decrypts)."""
    return isinstance(value, str) and _TOKEN.fullmatch(value) is not None


def key_id_of(token: str | None) -> str:
    """The key id a token was encrypted with; "" for a blank value."""
    if token is None or token == "":
        return ""
    return _split(token)[0]


def needs_rotation(token: str | None) -> bool:
    """True when the token was encrypted with a key other than the active one."""
    if token is None or token == "":
        return False
    return key_id_of(token) != _keyring().active_id


def reencrypt(token: str) -> str:
    """The same plaintext under the active key; a token already on the active key comes back unchanged."""
    if not needs_rotation(token):  # raises DecryptionError for a non-token
        return token
    return encrypt_text(decrypt_text(token))


def normalise_id_number(number: str | None) -> str:
    """DESIGN section 5: upper case; all whitespace, dots and dashes removed."""
    if not number:
        return ""
    return _ID_NUMBER_JUNK.sub("", number).upper()


def pii_digest(doc_type: str | None, number: str | None) -> bytes | None:
    """Keyed hash of one ID document (type + normalised number), 32 bytes (HMAC-SHA256); None when it is no
    document at all. What registrations store (`id_doc_hash`, bytea) and group by.

    The type is used as given (stripped), not upper-cased: a lower-case type is an unknown type to the
    rules, so it is a different document.
    """
    doc_type = (doc_type or "").strip()
    normalised = normalise_id_number(number)
    if not doc_type or not normalised:
        return None
    key = settings.PII_HMAC_KEY
    if not key:
        raise ImproperlyConfigured("PII_HMAC_KEY is empty.")
    message = f"{doc_type}|{normalised}".encode()
    return hmac.digest(key.encode("utf-8"), message, "sha256")


def pii_hash(doc_type: str | None, number: str | None) -> str:
    """`pii_digest` as 64 hexadecimal characters, "" when it is no document: the form of the keys kept in text
    columns (agents' and the blacklist's keys, a subject request's document), which are compared only with
    each other, never with the registrations' bytea column."""
    digest = pii_digest(doc_type, number)
    return digest.hex() if digest is not None else ""


def pii_digester():
    """`pii_digest` for many documents in a row: the same digests, with the key read once."""
    key = settings.PII_HMAC_KEY
    if not key:
        raise ImproperlyConfigured("PII_HMAC_KEY is empty.")
    key_bytes = key.encode("utf-8")
    digest, junk = hmac.digest, _ID_NUMBER_JUNK.sub

    def digest_document(doc_type: str | None, number: str | None) -> bytes | None:
        doc_type = (doc_type or "").strip()
        normalised = junk("", number).upper() if number else ""
        if not doc_type or not normalised:
            return None
        return digest(key_bytes, f"{doc_type}|{normalised}".encode(), "sha256")

    return digest_document


def digest_hex(value: bytes | memoryview | None) -> str:
    """A stored digest (bytea: a keyed document hash, a portrait's SHA-256) as the 64 hexadecimal characters
    pages, the API and exports show; "" for none."""
    return bytes(value).hex() if value else ""


DIGEST_BYTES = 32


def portrait_bytes(text: str | None) -> bytes | None:
    """registrations.csv's portrait_sha256 as stored: a SHA-256 (64 hexadecimal characters, either case) as its
    32 bytes; any other text as given, in UTF-8 (DESIGN section 4 stores what can be stored: the rules only
    compare the values), with one NUL added when it would be exactly 32 bytes, so that it never reads as a
    digest (a CSV value holds no NUL); blank: None. `portrait_text` gives the text back."""
    if not text:
        return None
    if len(text) == 2 * DIGEST_BYTES:
        try:
            digest = bytes.fromhex(text)
        except ValueError:
            digest = b""
        if len(digest) == DIGEST_BYTES:  # fromhex skips whitespace between pairs: 64 characters with spaces are text
            return digest
    raw = text.encode("utf-8")
    return raw + b"\x00" if len(raw) == DIGEST_BYTES else raw


def portrait_text(value: bytes | memoryview | None) -> str:
    """A stored portrait_sha256 as registrations.csv gave it: 64 lower-case hexadecimal characters for a digest,
    the text for any other value; "" for none."""
    if not value:
        return ""
    raw = bytes(value)
    if len(raw) == DIGEST_BYTES:
        return raw.hex()
    if len(raw) == DIGEST_BYTES + 1 and raw.endswith(b"\x00"):
        raw = raw[:-1]
    return raw.decode("utf-8", errors="replace")


def mask(value: str | None, keep_start: int = 4, keep_end: int = 2) -> str:
    """Show the ends, star the middle; never show more than half of a value, nothing of a tiny one."""
    if not value:
        return ""
    length = len(value)
    keep_start, keep_end = max(keep_start, 0), max(keep_end, 0)
    budget = length // 2 if length > 4 else 0
    if keep_start + keep_end > budget:
        # Shrink both ends in proportion so a short value stays mostly masked.
        wanted = keep_start + keep_end
        keep_start = budget * keep_start // wanted if wanted else 0
        keep_end = budget - keep_start if wanted else 0
    return value[:keep_start] + "*" * (length - keep_start - keep_end) + value[length - keep_end :]


class _BlankOnlyExact(Exact):
    # Every encryption uses a fresh nonce, so equality with a plaintext could never match; only the
    # blank value (stored unencrypted) can be compared, as INCOMPLETE_RECORD needs.
    def get_prep_lookup(self):
        if isinstance(self.rhs, str) and self.rhs != "":
            raise ValueError("An encrypted field can only be compared with ''; use the keyed hash to look up values.")
        return super().get_prep_lookup()


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with AES-256-GCM; Python code sees plaintext, the database sees tokens."""

    def get_lookup(self, lookup_name):
        lookups = {"exact": _BlankOnlyExact, "isnull": IsNull}
        return lookups.get(lookup_name)

    def get_transform(self, lookup_name):
        return None

    def from_db_value(self, value, expression, connection):
        return decrypt_text(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        if is_token(value):
            # Pass a genuine token through (e.g. one rotated by reencrypt); a plaintext that only
            # looks like one is encrypted like any other text.
            try:
                decrypt_text(value)
            except DecryptionError:
                pass
            else:
                return value
        return encrypt_text(value)
