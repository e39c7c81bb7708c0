"""Field and record validators of agents and points: each accepts the valid case and refuses the near miss."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from agents import services, validators
from core.models import Province

# --- tax code (mã số thuế, python-stdnum vn.mst) ---


@pytest.mark.parametrize("value", ["0100109106", "0100109106-001", "0100109106001", ""])
def test_tax_code_accepts_a_valid_mst_a_branch_and_blank(value):
    # given / when / then: no error
    validators.validate_tax_code(value)


@pytest.mark.parametrize(
    "value",
    [
        "0100109107",  # checksum digit off by one
        "0100109106-000",  # branch 000 does not exist
        "ABCDEFGHIJ",
        "01001O9106",  # letter O for a zero
        "010010910",  # nine digits
    ],
)
def test_tax_code_refuses_a_bad_checksum_letters_and_a_wrong_length(value):
    # given / when
    with pytest.raises(ValidationError) as exc:
        validators.validate_tax_code(value)

    # then
    assert exc.value.code == "tax_code"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0100109106", "0100109106"),
        (" 0100109106 ", "0100109106"),
        ("0100109106-001", "0100109106001"),
        ("", ""),
    ],
)
def test_normalise_tax_code_strips_separators_and_spaces(value, expected):
    # given / when
    normalised = validators.normalise_tax_code(value)

    # then
    assert normalised == expected


# --- phone ---


@pytest.mark.parametrize(
    "value",
    ["+84912345678", "0912345678", "+84 91 234 5678", "02439350000", "0243 935 0000", ""],
)
def test_phone_accepts_vietnamese_mobile_and_landline_numbers_and_blank(value):
    # given / when / then: no error
    validators.validate_phone(value)


@pytest.mark.parametrize("value", ["+14155552671", "not a phone", "12", "09123"])
def test_phone_refuses_a_foreign_number_and_garbage(value):
    # given / when
    with pytest.raises(ValidationError) as exc:
        validators.validate_phone(value)

    # then
    assert exc.value.code == "phone"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0912345678", "+84912345678"),
        ("+84 91 234 5678", "+84912345678"),
        ("091.234.5678", "+84912345678"),
        ("02439350000", "+842439350000"),
        ("", ""),
    ],
)
def test_normalise_phone_gives_e164(value, expected):
    # given / when
    normalised = validators.normalise_phone(value)

    # then
    assert normalised == expected


def test_normalise_phone_leaves_an_unparseable_value_for_the_validator_to_refuse():
    # given
    value = "  not a phone "

    # when
    normalised = validators.normalise_phone(value)

    # then
    assert normalised == "not a phone"
    with pytest.raises(ValidationError):
        validators.validate_phone(normalised)


# --- coordinates ---


@pytest.mark.parametrize(
    ("latitude", "longitude"),
    [
        (Decimal("21.0285"), Decimal("105.8542")),  # Hà Nội
        (Decimal("10.7769"), Decimal("106.7009")),  # Hồ Chí Minh City
        (Decimal("6.0"), Decimal("102.0")),  # the lower bounds themselves
        (Decimal("23.5"), Decimal("117.9")),  # the upper bounds themselves
        (21.0285, 105.8542),  # floats
        (23.5, 117.9),  # float bounds (117.9 is not exact in binary)
        (None, None),  # no location at all
    ],
)
def test_coordinates_inside_vietnam_and_on_its_bounds_are_valid(latitude, longitude):
    # given / when / then: no error
    validators.validate_coordinates(latitude, longitude)


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        (Decimal("5.9"), Decimal("105.8"), "latitude"),
        (Decimal("23.6"), Decimal("105.8"), "latitude"),
        (Decimal("21.0"), Decimal("101.9"), "longitude"),
        (Decimal("21.0"), Decimal("118.0"), "longitude"),
        (Decimal("105.8542"), Decimal("21.0285"), "latitude"),  # swapped
    ],
)
def test_coordinates_outside_vietnam_are_refused_on_the_field_that_is_out(latitude, longitude, field):
    # given / when
    with pytest.raises(ValidationError) as exc:
        validators.validate_coordinates(latitude, longitude)

    # then
    assert field in exc.value.message_dict


@pytest.mark.parametrize(
    ("latitude", "longitude", "field"),
    [
        (Decimal("21.0285"), None, "longitude"),
        (None, Decimal("105.8542"), "latitude"),
    ],
)
def test_coordinates_with_only_one_of_the_pair_are_refused(latitude, longitude, field):
    # given / when
    with pytest.raises(ValidationError) as exc:
        validators.validate_coordinates(latitude, longitude)

    # then
    assert field in exc.value.message_dict


def test_coordinates_leave_an_unreadable_value_to_the_field_validation():
    # given: Model.clean() still runs after the latitude field failed to parse
    latitude, longitude = "abc", Decimal("105.8542")

    # when / then: no crash (decimal.InvalidOperation) and nothing more to say
    validators.validate_coordinates(latitude, longitude)


# --- opening hours ---


def test_hours_opening_before_closing_are_valid():
    # given / when / then: no error
    validators.validate_hours(dt.time(8, 0), dt.time(21, 0))


def test_hours_both_blank_mean_always_open_and_are_valid():
    # given / when / then: no error
    validators.validate_hours(None, None)


@pytest.mark.parametrize(
    ("opens_at", "closes_at"),
    [
        (dt.time(8, 0), dt.time(8, 0)),  # closes as it opens
        (dt.time(21, 0), dt.time(8, 0)),  # closes before it opens
        (dt.time(8, 0), None),
        (None, dt.time(21, 0)),
    ],
)
def test_hours_closing_not_after_opening_or_only_one_given_are_refused(opens_at, closes_at):
    # given / when
    with pytest.raises(ValidationError) as exc:
        validators.validate_hours(opens_at, closes_at)

    # then
    assert "closes_at" in exc.value.message_dict


def test_hours_leave_an_unreadable_time_to_the_field_validation():
    # given: Model.clean() still runs after opens_at failed to parse
    opens_at, closes_at = "25:00", dt.time(21, 0)

    # when / then: no crash (TypeError comparing a time with a str)
    validators.validate_hours(opens_at, closes_at)


# --- authorisation window ---


@pytest.mark.parametrize(
    ("authorised_from", "authorised_until"),
    [
        (dt.date(2025, 1, 1), dt.date(2025, 1, 2)),
        (dt.date(2025, 1, 1), None),
        (None, dt.date(2025, 1, 1)),
        (None, None),
    ],
)
def test_window_ending_after_its_start_or_open_ended_is_valid(authorised_from, authorised_until):
    # given / when / then: no error
    validators.validate_window(authorised_from, authorised_until)


@pytest.mark.parametrize(
    ("authorised_from", "authorised_until"),
    [
        (dt.date(2025, 1, 1), dt.date(2025, 1, 1)),  # the end is exclusive: no day authorised
        (dt.date(2025, 1, 2), dt.date(2025, 1, 1)),
    ],
)
def test_window_ending_on_or_before_its_start_is_refused(authorised_from, authorised_until):
    # given / when
    with pytest.raises(ValidationError) as exc:
        validators.validate_window(authorised_from, authorised_until)

    # then
    assert "authorised_until" in exc.value.message_dict


def test_window_leaves_an_unreadable_date_to_the_field_validation():
    # given: Model.clean() still runs after authorised_from failed to parse
    authorised_from, authorised_until = "not a date", dt.date(2025, 1, 1)

    # when / then: no crash (TypeError comparing a date with a str)
    validators.validate_window(authorised_from, authorised_until)


# --- parent agent ---


@pytest.fixture
def family(officer):
    """root -> child -> grandchild, and root -> sibling."""
    province = Province.objects.get(code="001")

    def make(code, parent=None):
        return services.agent_create(
            actor=officer, code=code, name=f"Agent {code}", kind="AUTHORISED", province=province, parent=parent
        )

    root = make("ROOT")
    child = make("CHILD", root)
    grandchild = make("GRANDCHILD", child)
    sibling = make("SIBLING", root)
    return {"root": root, "child": child, "grandchild": grandchild, "sibling": sibling}


@pytest.mark.django_db
def test_parent_cannot_be_the_agent_itself(family):
    # given
    agent = family["child"]

    # when
    with pytest.raises(ValidationError) as exc:
        validators.validate_parent(agent, agent)

    # then
    assert "parent" in exc.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("descendant", ["child", "grandchild"])
def test_parent_cannot_be_a_descendant_of_the_agent(family, descendant):
    # given: fresh rows, so the walk up goes through the database rather than cached objects
    root = type(family["root"]).objects.get(code="ROOT")
    candidate = type(family["root"]).objects.get(pk=family[descendant].pk)

    # when
    with pytest.raises(ValidationError) as exc:
        validators.validate_parent(root, candidate)

    # then
    assert "parent" in exc.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize(("agent", "parent"), [("child", "sibling"), ("sibling", "grandchild")])
def test_parent_may_be_a_sibling_or_a_sibling_s_descendant(family, agent, parent):
    # given / when / then: no error
    validators.validate_parent(family[agent], family[parent])


def test_parent_of_an_unsaved_agent_is_not_checked_for_loops():
    # given: a new agent has no descendants yet
    class Unsaved:
        pk = None

    # when / then: no error, no database access
    validators.validate_parent(Unsaved(), object())
