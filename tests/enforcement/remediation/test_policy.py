"""The ladder's policy: managers with every province change it, with a reason, as a new version."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEvent
from core.roles import Role
from enforcement.remediation.models import LadderPolicy, LadderPolicyVersion
from enforcement.remediation.services import policy_update, policy_values

pytestmark = pytest.mark.django_db

REASON = "Regulator's letter of March 2026"


def values(**changes):
    return {**policy_values(LadderPolicy.current()), **changes}


def test_a_change_is_a_new_version_with_its_reason(manager):
    policy = policy_update(actor=manager, values=values(termination_days=45), reason=REASON)
    assert (policy.version, policy.termination_days) == (2, 45)
    versions = {v.version: v for v in LadderPolicyVersion.objects.all()}
    assert versions[1].values["termination_days"] == 30
    assert (versions[2].values["termination_days"], versions[2].reason, versions[2].changed_by) == (45, REASON, manager)
    event = AuditEvent.objects.get(action="remediation.policy_update")
    assert event.fields["changes"] == {"termination_days": {"from": 30, "to": 45}}


@pytest.mark.parametrize(
    ("changes", "reason", "field"),
    [
        ({"termination_days": 0}, REASON, "termination_days"),
        ({"one_way_block_days": "x"}, REASON, "one_way_block_days"),
        ({"suspend_outgoing_hours": 24 * 30}, REASON, "suspend_outgoing_hours"),
        ({"termination_days": 40}, "short", "reason"),
    ],
)
def test_bad_values_are_refused_and_nothing_is_saved(manager, changes, reason, field):
    with pytest.raises(ValidationError) as caught:
        policy_update(actor=manager, values=values(**changes), reason=reason)
    assert field in caught.value.message_dict
    assert LadderPolicy.current().version == 1
    assert not LadderPolicyVersion.objects.exists()


def test_nothing_changed_saves_no_version(manager):
    with pytest.raises(ValidationError):
        policy_update(actor=manager, values=values(), reason=REASON)


@pytest.mark.parametrize("who", ["officer", "auditor", "inspector", "integration"])
def test_only_managers_change_the_policy(who, make_user):
    user = make_user(Role(who), username=who)
    with pytest.raises(PermissionDenied):
        policy_update(actor=user, values=values(termination_days=45), reason=REASON)
    assert LadderPolicy.current().version == 1
