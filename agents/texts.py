"""What agents writes into records in words (core.texts): stored in English, shown in the reader's language."""

from django.utils.translation import gettext_noop

CREATED = gettext_noop("Created")
IMPORT_LINE = gettext_noop("Import of %(file)s, line %(line)d")
CREATED_TERMINATED = gettext_noop("Created as terminated")

ALL = (CREATED, IMPORT_LINE, CREATED_TERMINATED)
