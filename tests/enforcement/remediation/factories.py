"""Cases on the remediation ladder, made as the ladder makes them: a flag, then `ladder_advance`.

reg = flagged("INCOMPLETE_RECORD", point=point)      # a registration with an open ladder flag
ladder_advance(now=T0)                               # its case opens at T0, the reminder due at once
"""

from registrations.models import FlagStatus
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag


def flagged(*codes, status=FlagStatus.OPEN, **registration):
    reg = RegistrationFactory(**registration)
    for code in codes or ("INCOMPLETE_RECORD",):
        make_flag(code, registration=reg, status=status)
    return reg
