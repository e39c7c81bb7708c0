"""Key rotation: the command re-encrypts every encrypted column with the active key, once."""

import base64

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from core.crypto import decrypt_text, key_id_of
from core.models import AuditEvent
from tests.registrations.factories import RegistrationFactory

K1 = "k1:" + base64.urlsafe_b64encode(b"1" * 32).decode()
K2 = "k2:" + base64.urlsafe_b64encode(b"2" * 32).decode()


def raw_tokens():
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_doc_number, address FROM registrations_registration ORDER BY id")
        return cursor.fetchall()


@pytest.mark.django_db
def test_rotation_reencrypts_with_the_new_key_and_keeps_the_values(settings, capsys):
    # given rows written under k1
    settings.FIELD_ENCRYPTION_KEY = K1
    regs = [RegistrationFactory(id_doc_number=f"0012030{i:05d}", address=f"{i} Lê Lợi") for i in range(3)]
    assert {key_id_of(t) for row in raw_tokens() for t in row if t} == {"k1"}
    # when k2 becomes active, k1 still readable, and the command runs
    settings.FIELD_ENCRYPTION_KEY = f"{K2},{K1}"
    call_command("rotate_encryption_keys")
    # then every token is on k2 and decrypts to the same value
    tokens = raw_tokens()
    assert {key_id_of(t) for row in tokens for t in row if t} == {"k2"}
    assert [decrypt_text(row[0]) for row in tokens] == [r.id_doc_number for r in regs]
    assert "registrations.Registration: 3 of 3 rows re-encrypted" in capsys.readouterr().out
    assert AuditEvent.objects.filter(action="crypto.rotate").exists()
    # and a second run changes nothing
    call_command("rotate_encryption_keys")
    assert raw_tokens() == tokens
    assert "0 of 3 rows re-encrypted" in capsys.readouterr().out


@pytest.mark.django_db
def test_rotation_without_the_old_key_fails_clearly(settings):
    settings.FIELD_ENCRYPTION_KEY = K1
    RegistrationFactory(id_doc_number="001203000001")
    settings.FIELD_ENCRYPTION_KEY = K2  # k1 dropped too early
    with pytest.raises(CommandError, match="Unknown encryption key id 'k1'"):
        call_command("rotate_encryption_keys")
