"""Vietnamese number formats as Vietnamese readers write them (issue 13): `35.000.000`, `4.827`, `1,1`.

Django's own `vi` formats set the separators but no grouping, so `intcomma` printed `4827`. Dates keep
Django's Vietnamese formats. Templates group numbers with `intcomma` (or `number_format(...,
force_grouping=True)`); USE_THOUSAND_SEPARATOR stays off so ids in links are never grouped.
"""

from django.conf.locale.vi.formats import *  # noqa: F403

DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
# Short forms for tables and facts (the long ones read "Ngày 07 tháng 12 năm 2026")
SHORT_DATE_FORMAT = "d/m/Y"
SHORT_DATETIME_FORMAT = "d/m/Y H:i"
