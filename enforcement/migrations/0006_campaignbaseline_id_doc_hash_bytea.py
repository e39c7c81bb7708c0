"""Issue 15: a campaign case's baseline keeps the registration's document key as the registration now does
(32-byte bytea, NULL for none): the nightly step compares the two in SQL (campaigns.services), so they
must have one type. Values copied from registrations, so 64 hexadecimal characters or blank."""

from django.db import migrations, models

from core.migration_ops import HexDigestsToBytea


class Migration(migrations.Migration):
    dependencies = [
        ("enforcement", "0005_campaign_withdrawal"),
        ("registrations", "0015_digests_bytea"),
    ]

    operations = [
        HexDigestsToBytea(
            "campaignbaseline",
            {
                "id_doc_hash": models.BinaryField(blank=True, max_length=32, null=True, verbose_name="ID document key"),
            },
        ),
    ]
