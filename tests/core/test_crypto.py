"""Personal-data encryption (AES-256-GCM, key rotation), keyed ID hashes and masking."""

import base64

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import models
from django.test.utils import isolate_apps

from core import crypto
from core.crypto import (
    DecryptionError,
    EncryptedTextField,
    decrypt_text,
    encrypt_text,
    key_id_of,
    mask,
    needs_rotation,
    normalise_id_number,
    parse_keys,
    pii_hash,
    reencrypt,
)


def _key(seed: int) -> str:
    return base64.urlsafe_b64encode(bytes((seed + i) % 256 for i in range(32))).decode()


K1 = f"k1:{_key(1)}"
K2 = f"k2:{_key(100)}"


@pytest.fixture(autouse=True)
def keys(settings):
    settings.FIELD_ENCRYPTION_KEY = K1
    settings.PII_HMAC_KEY = "test-hmac-key"
    return settings


def _tamper(token: str) -> str:
    """Flip one bit of the first ciphertext byte (editing a base64 character may touch only padding bits)."""
    prefix, _, encoded = token.rpartition(":")
    payload = bytearray(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    payload[12] ^= 0x01  # just after the 12-byte nonce
    return f"{prefix}:{base64.urlsafe_b64encode(bytes(payload)).rstrip(b'=').decode()}"


# --- encryption -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "plain", ["12 Ly Thuong Kiet", "237 Lý Thường Kiệt, Phường Bến Nghé, Quận 1", "Đặng Thị Tâm ữ ỹ ặ", "a:b,c\n"]
)
def test_round_trip_keeps_text_including_vietnamese_diacritics(plain):
    token = encrypt_text(plain)
    assert token.isascii()
    assert plain not in token
    assert decrypt_text(token) == plain


def test_token_names_version_and_key_id():
    token = encrypt_text("079123456789")
    assert token.startswith("v1:k1:")
    assert key_id_of(token) == "k1"


@pytest.mark.parametrize("blank", [None, ""])
def test_blank_values_are_stored_as_they_are(blank):
    assert encrypt_text(blank) == blank
    assert decrypt_text(blank) == blank
    assert key_id_of(blank) == ""
    assert needs_rotation(blank) is False
    assert reencrypt(blank) == blank


def test_same_input_gives_different_tokens_because_the_nonce_is_random():
    tokens = {encrypt_text("same value") for _ in range(20)}
    assert len(tokens) == 20
    assert {decrypt_text(t) for t in tokens} == {"same value"}


def test_a_changed_ciphertext_is_detected():
    token = encrypt_text("secret address")
    with pytest.raises(DecryptionError, match="failed authentication"):
        decrypt_text(_tamper(token))


def test_a_token_relabelled_with_another_key_id_is_detected(settings):
    # k2 holds the same key material: only the associated data (version + key id) can catch this.
    settings.FIELD_ENCRYPTION_KEY = f"{K1},k2:{_key(1)}"
    token = encrypt_text("secret address")
    with pytest.raises(DecryptionError, match="failed authentication"):
        decrypt_text(token.replace("v1:k1:", "v1:k2:"))


def test_unknown_key_id_is_a_clear_error():
    token = encrypt_text("secret").replace("v1:k1:", "v1:k9:")
    with pytest.raises(DecryptionError, match="Unknown encryption key id 'k9'"):
        decrypt_text(token)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("plain text", "Not an encrypted token"),
        ("v1:k1:", "Not an encrypted token"),
        ("v1:k1:AAAA", "too short"),
        ("v1:k1:A", "not valid base64url"),
        ("v2:k1:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "Unsupported encrypted token version 'v2'"),
    ],
)
def test_things_that_are_not_tokens_are_refused(value, message):
    with pytest.raises(DecryptionError, match=message):
        decrypt_text(value)


# --- rotation -------------------------------------------------------------------------------------


def test_rotation_old_token_still_decrypts_and_is_reencrypted_with_the_active_key(settings):
    # given a token written under k1
    old = encrypt_text("Nguyễn Văn An")
    # when k2 becomes the active key and k1 stays for decryption
    settings.FIELD_ENCRYPTION_KEY = f"{K2},{K1}"
    # then
    assert decrypt_text(old) == "Nguyễn Văn An"
    assert needs_rotation(old) is True
    new = reencrypt(old)
    assert key_id_of(new) == "k2"
    assert needs_rotation(new) is False
    assert decrypt_text(new) == "Nguyễn Văn An"
    assert encrypt_text("x").startswith("v1:k2:")


def test_reencrypt_leaves_a_token_on_the_active_key_unchanged():
    token = encrypt_text("x")
    assert needs_rotation(token) is False
    assert reencrypt(token) == token


def test_a_retired_key_can_no_longer_decrypt(settings):
    old = encrypt_text("x")
    settings.FIELD_ENCRYPTION_KEY = K2
    with pytest.raises(DecryptionError, match="Unknown encryption key id 'k1'"):
        decrypt_text(old)


def test_key_parsing_accepts_spaces_and_padding_and_is_cached():
    setting = f" {K2} , k1:{_key(1)}= "
    keyring = parse_keys(setting)
    assert keyring.active_id == "k2"
    assert set(keyring.ciphers) == {"k1", "k2"}
    assert parse_keys(setting) is keyring


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("", "FIELD_ENCRYPTION_KEY is empty"),
        (" , ", "FIELD_ENCRYPTION_KEY is empty"),
        (_key(1), "entry 1 is not 'keyid:base64urlkey'"),
        ("k1:", "entry 1 is not 'keyid:base64urlkey'"),
        (f"{K1},k 2:{_key(2)}", "entry 2: key id must be"),
        ("k1:not*base64!", "key 'k1' is not valid base64url"),
        ("k1:" + base64.urlsafe_b64encode(bytes(16)).decode(), "key 'k1' is 16 bytes; AES-256 needs 32"),
        (f"{K1},k1:{_key(7)}", "key id 'k1' more than once"),
    ],
)
def test_malformed_keys_are_refused_with_a_specific_message(settings, setting, message):
    settings.FIELD_ENCRYPTION_KEY = setting
    with pytest.raises(ImproperlyConfigured, match=message):
        encrypt_text("x")


def test_key_errors_never_show_the_key_material():
    short = base64.urlsafe_b64encode(bytes(range(16))).decode()
    with pytest.raises(ImproperlyConfigured) as exc:
        parse_keys(f"k1:{short}")
    assert short not in str(exc.value)


# --- keyed hash -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        (" 0791-2345.6789 ", "079123456789"),
        ("b 123\t4567", "B1234567"),
        ("c–123—456\u00a0789", "C123456789"),
        ("", ""),
        (None, ""),
    ],
)
def test_normalise_id_number_upper_cases_and_drops_whitespace_dots_and_dashes(raw, normalised):
    assert normalise_id_number(raw) == normalised


def test_pii_hash_judges_the_normalised_number():
    assert pii_hash("CCCD", " 0791-2345.6789 ") == pii_hash("CCCD", "079123456789")
    assert pii_hash("PASSPORT", "b1234567") == pii_hash("PASSPORT", "B1234567")
    assert len(pii_hash("CCCD", "079123456789")) == 64


def test_pii_hash_differs_by_document_type():
    assert pii_hash("CCCD", "079123456789") != pii_hash("CMND", "079123456789")


def test_pii_hash_differs_by_key(settings):
    first = pii_hash("CCCD", "079123456789")
    settings.PII_HMAC_KEY = "another-key"
    assert pii_hash("CCCD", "079123456789") != first


@pytest.mark.parametrize(("doc_type", "number"), [("", "079123456789"), ("  ", "1"), ("CCCD", ""), ("CCCD", " .-")])
def test_pii_hash_of_a_blank_type_or_number_is_blank(doc_type, number):
    assert pii_hash(doc_type, number) == ""


# --- masking --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "kwargs", "masked"),
    [
        ("079123456756", {}, "0791******56"),
        ("+84912345678", {}, "+849******78"),
        ("0912345678", {}, "091*****78"),  # shorter than twice what is kept: at most half shown
        ("123456789", {}, "12*****89"),
        ("abcde", {}, "a***e"),
        ("abcd", {}, "****"),
        ("a", {}, "*"),
        ("079123456756", {"keep_start": 0, "keep_end": 3}, "*********756"),
        ("079123456756", {"keep_start": 0, "keep_end": 0}, "************"),
        ("", {}, ""),
        (None, {}, ""),
    ],
)
def test_mask(value, kwargs, masked):
    assert mask(value, **kwargs) == masked


# --- model field ----------------------------------------------------------------------------------


def test_field_encrypts_on_the_way_in_and_decrypts_on_the_way_out():
    field = EncryptedTextField()
    stored = field.get_prep_value("12 Hàng Bài, Hoàn Kiếm")
    assert stored.startswith("v1:k1:")
    assert field.from_db_value(stored, None, None) == "12 Hàng Bài, Hoàn Kiếm"


@pytest.mark.parametrize("blank", [None, ""])
def test_field_keeps_blanks_unencrypted_so_sql_can_find_them(blank):
    field = EncryptedTextField()
    assert field.get_prep_value(blank) == blank
    assert field.from_db_value(blank, None, None) == blank


def test_field_does_not_encrypt_a_token_twice():
    token = encrypt_text("x")
    assert EncryptedTextField().get_prep_value(token) == token


def test_field_encrypts_plaintext_that_only_looks_like_a_token():
    fake = "v1:k1:" + "A" * 40
    stored = EncryptedTextField().get_prep_value(fake)
    assert stored != fake
    assert decrypt_text(stored) == fake


def test_field_refuses_to_read_a_tampered_value():
    with pytest.raises(DecryptionError):
        EncryptedTextField().from_db_value(_tamper(encrypt_text("x")), None, None)


@isolate_apps("core")
def test_field_can_be_filtered_for_blanks_but_not_compared_with_plaintext():
    class Subscriber(models.Model):
        address = EncryptedTextField(blank=True, null=True)

        class Meta:
            app_label = "core"

        def __str__(self) -> str:
            return str(self.pk)

    # blanks are stored as they are, so INCOMPLETE_RECORD can find them in SQL
    assert "address" in str(Subscriber.objects.filter(address="").query)
    assert "IS NULL" in str(Subscriber.objects.filter(address__isnull=True).query)
    # a fresh nonce per encryption means equality with a plaintext could never match: refuse it
    with pytest.raises(ValueError, match="only be compared with ''"):
        Subscriber.objects.filter(address="12 Hàng Bài")
    with pytest.raises(FieldError):
        Subscriber.objects.filter(address__icontains="Hàng")


def test_text_encryptor_makes_tokens_that_decrypt_and_never_repeat_a_nonce(keys):
    # nonces are read from the OS a few at a time: cross a refill several times
    encrypt = crypto.text_encryptor(nonces_per_read=3)
    tokens = [encrypt(f"079190{i:06d}") for i in range(10)]
    assert [crypto.decrypt_text(t) for t in tokens] == [f"079190{i:06d}" for i in range(10)]
    assert all(crypto.key_id_of(t) == crypto.parse_keys(keys.FIELD_ENCRYPTION_KEY).active_id for t in tokens)
    nonces = {crypto._split(t)[1][: crypto.NONCE_BYTES] for t in tokens + [encrypt("same") for _ in range(5)]}
    assert len(nonces) == 15
    assert encrypt("") == ""
    assert encrypt(None) is None


def test_pii_digester_agrees_with_pii_digest(keys):
    digest_document = crypto.pii_digester()
    for doc_type, number in [("CCCD", " 079-123.456 789"), ("PASSPORT", "b1234567"), ("", "1"), ("CMND", " . ")]:
        assert digest_document(doc_type, number) == crypto.pii_digest(doc_type, number)


def test_pii_digest_is_the_32_bytes_pii_hash_spells_in_hex(keys):
    # registrations store the bytes (bytea), agents and the blacklist the hex: one key, two spellings
    digest = crypto.pii_digest("CCCD", "079123456789")
    assert isinstance(digest, bytes)
    assert len(digest) == 32
    assert digest.hex() == crypto.pii_hash("CCCD", "079123456789")
    assert crypto.pii_digest("CCCD", " . ") is None
    assert crypto.pii_hash("CCCD", " . ") == ""
