"""agents.csv and points.csv imports: each reject reason, good rows kept, idempotent re-import."""

import io

import pytest
from django.core.management import CommandError, call_command

from agents.importers import AGENT_COLUMNS, POINT_COLUMNS, import_agents, import_points
from agents.models import Agent, RegistrationPoint, Status, StatusChange
from core.imports import ImportFileError
from core.models import AuditEvent
from core.roles import Role

AGENT_HEADER = ",".join(AGENT_COLUMNS)
POINT_HEADER = ",".join(POINT_COLUMNS)


def csv_file(header: str, *rows: str) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *rows]) + "\n").encode("utf-8"))


def agents(*rows):
    return csv_file(AGENT_HEADER, *rows)


def points(*rows):
    return csv_file(POINT_HEADER, *rows)


OP = "AG0,Operator,OPERATOR,,0100109106,+84912345678,001,ACTIVE,HD-0,2025-01-01,"
CHAIN = "AG1,Chain,AUTHORISED,AG0,,,079,ACTIVE,HD-1,2025-01-01,2027-01-01"
P1 = "P1,AG0,Point 1,OPERATOR_FIXED,1 Lê Lợi,001,21.02850,105.85420,08:00,21:00,ACTIVE,2025-01-01,"


def reasons(result):
    return {r.line: r.reason for r in result.rejects}


@pytest.mark.django_db
def test_agents_import_creates_rows_with_parent_even_when_the_parent_comes_later():
    # given a file where the child comes before its parent
    result = import_agents(agents(CHAIN, OP), actor=None)
    # then
    assert (result.created, result.updated, result.rejected) == (2, 0, 0)
    chain = Agent.objects.get(code="AG1")
    assert chain.parent.code == "AG0"
    assert chain.province_id == "079"
    assert str(chain.authorised_until) == "2027-01-01"
    assert Agent.objects.get(code="AG0").phone == "+84912345678"
    assert StatusChange.objects.filter(agent=chain, from_status="", to_status="ACTIVE").count() == 1


@pytest.mark.django_db
def test_reimporting_the_same_file_changes_nothing():
    import_agents(agents(OP, CHAIN), actor=None)
    import_points(points(P1), actor=None)
    before = list(Agent.objects.values()) + list(RegistrationPoint.objects.values())
    history = StatusChange.objects.count()
    # when
    again_a = import_agents(agents(OP, CHAIN), actor=None)
    again_p = import_points(points(P1), actor=None)
    # then
    assert (again_a.created, again_a.updated, again_a.unchanged) == (0, 0, 2)
    assert (again_p.created, again_p.updated, again_p.unchanged) == (0, 0, 1)
    assert list(Agent.objects.values()) + list(RegistrationPoint.objects.values()) == before
    assert StatusChange.objects.count() == history


@pytest.mark.django_db
def test_changed_row_is_updated_and_status_change_recorded():
    import_agents(agents(OP), actor=None)
    result = import_agents(agents(OP.replace("ACTIVE", "SUSPENDED").replace("Operator", "Operator Ltd")), actor=None)
    assert (result.created, result.updated) == (0, 1)
    agent = Agent.objects.get(code="AG0")
    assert (agent.name, agent.status) == ("Operator Ltd", Status.SUSPENDED)
    change = StatusChange.objects.filter(agent=agent).first()
    assert (change.from_status, change.to_status, change.source) == ("ACTIVE", "SUSPENDED", "IMPORT")
    assert "line 2" in change.reason


@pytest.mark.django_db
def test_blank_status_keeps_the_stored_one():
    import_agents(agents(OP.replace("ACTIVE", "SUSPENDED")), actor=None)
    result = import_agents(agents(OP.replace("ACTIVE", "")), actor=None)
    assert result.unchanged == 1
    assert Agent.objects.get(code="AG0").status == Status.SUSPENDED


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (",No code,AUTHORISED,,,,001,,,,", "Missing code"),
        ("AG2,X,RESELLER,,,,001,,,,", "Unknown kind 'RESELLER'"),
        ("AG2,X,,,,,001,,,,", "Missing kind"),
        ("AG2,X,AUTHORISED,,,,999,,,,", "Unknown province code '999'"),
        ("AG2,X,AUTHORISED,,,,,,,,", "Missing province_code"),
        ("AG2,X,AUTHORISED,,,,001,CLOSED,,,", "Unknown status 'CLOSED'"),
        ("AG2,X,AUTHORISED,,,,001,,,2025-13-01,", "authorised_from '2025-13-01' is not YYYY-MM-DD"),
        ("AG2,X,AUTHORISED,,,,001,,,,01/02/2026", "authorised_until '01/02/2026' is not YYYY-MM-DD"),
        ("AG2,X,AUTHORISED,NOPE,,,001,,,,", "Unknown parent agent code 'NOPE'"),
        ("AG2,X,AUTHORISED,AG2,,,001,,,,", "cannot be its own parent"),
    ],
)
def test_agent_reject_reasons_keep_the_good_rows(row, reason):
    # given a good row, a bad row, another good row
    result = import_agents(agents(OP, row, CHAIN), actor=None)
    # then the bad row is reported with its line (header is line 1) and the others are stored
    assert list(reasons(result)) == [3]
    assert reason in reasons(result)[3]
    assert set(Agent.objects.values_list("code", flat=True)) == {"AG0", "AG1"}


@pytest.mark.django_db
def test_parent_loop_is_rejected():
    result = import_agents(agents(OP, "AG8,A,AUTHORISED,AG9,,,001,,,,", "AG9,B,AUTHORISED,AG8,,,001,,,,"), actor=None)
    assert set(reasons(result)) == {3, 4}
    assert "descendant" in reasons(result)[3]


@pytest.mark.django_db
def test_business_check_failures_are_stored_with_a_warning():
    # a bad tax code checksum, a foreign phone and an inverted window: stored as the source has them
    row = "AG3,Odd,AUTHORISED,,0100109107,+14155552671,001,,,2026-01-01,2025-01-01"
    result = import_agents(agents(row), actor=None)
    assert result.created == 1
    assert len(result.warnings) == 3
    assert Agent.objects.get(code="AG3").tax_code == "0100109107"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("P2,AGX,Point,OPERATOR_FIXED,,001,,,,,,,", "Unknown agent code 'AGX'"),
        ("P2,,Point,OPERATOR_FIXED,,001,,,,,,,", "Missing agent_code"),
        ("P2,AG0,Point,KIOSK,,001,,,,,,,", "Unknown kind 'KIOSK'"),
        ("P2,AG0,Point,OPERATOR_FIXED,,998,,,,,,,", "Unknown province code '998'"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,,,21:00,08:00,,,", "closes_at must be after opens_at"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,,,08:00,08:00,,,", "closes_at must be after opens_at"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,,,08:00,,,,", "Give both opens_at and closes_at"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,,,8h,21:00,,,", "opens_at '8h' is not HH:MM"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,abc,105.8,,,,,", "latitude 'abc' is not a number"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,21.0,,,,,,", "Give both latitude and longitude"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,,,,,OPEN,,", "Unknown status 'OPEN'"),
        ("P2,AG0,Point,OPERATOR_FIXED,,001,,,,,,2025-02-30,", "authorised_from '2025-02-30' is not YYYY-MM-DD"),
    ],
)
def test_point_reject_reasons_keep_the_good_rows(row, reason):
    import_agents(agents(OP), actor=None)
    result = import_points(points(P1, row), actor=None)
    assert list(reasons(result)) == [3]
    assert reason in reasons(result)[3]
    assert list(RegistrationPoint.objects.values_list("code", flat=True)) == ["P1"]


@pytest.mark.django_db
def test_points_with_blank_hours_are_always_open_and_outside_coordinates_warn():
    import_agents(agents(OP), actor=None)
    result = import_points(points("P3,AG0,Island,OPERATOR_MOBILE,,001,1.0,100.0,,,,,"), actor=None)
    assert result.created == 1
    assert result.warnings
    assert RegistrationPoint.objects.get(code="P3").opens_at is None


@pytest.mark.django_db
def test_badly_encoded_row_is_rejected_alone():
    import_agents(agents(OP), actor=None)
    raw = (POINT_HEADER + "\n" + P1 + "\n").encode() + b"P9,AG0,\xff\xfe,OPERATOR_FIXED,,001,,,,,,,\n"
    result = import_points(io.BytesIO(raw), actor=None)
    assert reasons(result) == {3: "Not valid UTF-8 text."}
    assert result.created == 1


@pytest.mark.django_db
def test_a_row_with_a_nul_character_is_rejected_alone_as_in_every_import():
    # given a NUL byte, which PostgreSQL cannot store in text, in the second row
    result = import_agents(agents(OP, "AG2,N\x00L,AUTHORISED,,,,001,,,,", CHAIN), actor=None)
    # then that row is rejected with its reason and the others are stored
    assert reasons(result) == {3: "Contains a NUL character, which cannot be stored."}
    assert set(Agent.objects.values_list("code", flat=True)) == {"AG0", "AG1"}


@pytest.mark.django_db
def test_missing_columns_fail_the_whole_file_and_store_nothing():
    with pytest.raises(ImportFileError, match="Missing columns: tax_code"):
        import_agents(csv_file(AGENT_HEADER.replace("tax_code,", ""), OP.replace("0100109106,", "")), actor=None)
    assert not Agent.objects.exists()


@pytest.mark.django_db
def test_extra_columns_and_bom_are_accepted():
    raw = ("\ufeff" + AGENT_HEADER + ",note\n" + OP + ",hello\n").encode()
    assert import_agents(io.BytesIO(raw), actor=None).created == 1


@pytest.mark.django_db
def test_duplicate_code_in_one_file_last_row_wins_with_a_warning_naming_both_lines():
    result = import_agents(agents(OP, CHAIN, OP.replace("Operator", "Operator v2")), actor=None)
    assert result.rejected == 0
    assert Agent.objects.get(code="AG0").name == "Operator v2"
    assert (4, "code AG0 is repeated in the file (line 2 and line 4); the later row wins.") in result.warnings
    # counts are per row read: the repeat is the second write of AG0
    assert (result.created, result.updated, result.unchanged) == (2, 1, 0)


@pytest.mark.django_db
def test_duplicate_point_code_warns_and_counts_every_row():
    import_agents(agents(OP), actor=None)
    result = import_points(points(P1, P1), actor=None)
    assert [text for _line, text in result.warnings if "repeated" in text] == [
        "code P1 is repeated in the file (line 2 and line 3); the later row wins."
    ]
    assert (result.created, result.unchanged, result.total) == (1, 1, 2)


# --- item 8: every lost line reported, totals add up, encodings named ---------------------------


@pytest.mark.django_db
def test_an_unclosed_quote_rejects_each_line_it_swallowed_from_the_line_it_opened():
    # given a name whose quote never closes: the csv module reads lines 3-5 as one field
    rows = [OP, 'AG2,"Broken,AUTHORISED,,,,001,,,,', CHAIN.replace(",AG0,", ",,"), "AG3,C,AUTHORISED,,,,001,,,,"]
    result = import_agents(agents(*rows), actor=None)
    # then every physical line is accounted for, the first naming where the quote opened
    got = reasons(result)
    assert sorted(got) == [3, 4, 5]
    assert got[3].startswith("A quote opened on line 3 is not closed: lines 3 to 5")
    assert got[4] == got[5] == "Swallowed by the unclosed quote opened on line 3."
    assert result.total == 4
    assert (result.created, result.rejected) == (1, 3)
    assert {r.line: r.row["code"] for r in result.rejects} == {3: "AG2", 4: "AG1", 5: "AG3"}
    assert list(Agent.objects.values_list("code", flat=True)) == ["AG0"]


@pytest.mark.django_db
def test_a_quoted_field_over_two_lines_is_still_one_row():
    row = 'P2,AG0,"Point\nround the corner",OPERATOR_FIXED,,001,,,,,,,'
    import_agents(agents(OP), actor=None)
    result = import_points(points(row), actor=None)
    assert (result.created, result.rejected) == (1, 0)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("\ufeff" + AGENT_HEADER + "\n" + OP + "\n", "UTF-16 (little-endian)"),
        (AGENT_HEADER + "\n" + OP + "\n", "UTF-16 (little-endian) without a byte order mark"),
    ],
)
def test_utf16_files_are_refused_as_not_utf8_naming_the_encoding(raw, says):
    with pytest.raises(ImportFileError, match="not UTF-8 text") as caught:
        import_agents(io.BytesIO(raw.encode("utf-16-le")), actor=None)
    assert says in str(caught.value)
    assert not Agent.objects.exists()


@pytest.mark.django_db
def test_a_binary_file_is_refused_as_not_utf8():
    with pytest.raises(ImportFileError, match="not UTF-8 text: it is a ZIP archive"):
        import_points(io.BytesIO(b"PK\x03\x04" + bytes(range(256)) * 8), actor=None)


# --- item 2: a limited user cannot reach another province's record through the file ---------


@pytest.fixture
def saigon(db):
    """AG9, an agent of Sài Gòn (079), with its point P9; AG5, a Hà Nội (001) agent."""
    import_agents(agents("AG9,South,AUTHORISED,,,,079,ACTIVE,,,", "AG5,North,AUTHORISED,,,,001,ACTIVE,,,"), actor=None)
    import_points(points("P9,AG9,South point,OPERATOR_FIXED,,079,,,,,,,"), actor=None)
    return {
        "agents": list(Agent.objects.order_by("code").values()),
        "points": list(RegistrationPoint.objects.order_by("code").values()),
    }


def unchanged_since(saigon):
    return (
        list(Agent.objects.order_by("code").values()) == saigon["agents"]
        and list(RegistrationPoint.objects.order_by("code").values()) == saigon["points"]
    )


@pytest.mark.django_db
def test_limited_user_cannot_hang_a_point_under_another_provinces_agent(make_user, saigon):
    user = make_user(Role.OFFICER, provinces=["001"])
    result = import_points(
        points("P5,AG9,Mine,OPERATOR_FIXED,,001,,,,,,,", "P6,NOPE,Mine,OPERATOR_FIXED,,001,,,,,,,"), actor=user
    )
    # then refused with the reason of a code that does not exist
    assert reasons(result) == {2: "Unknown agent code 'AG9'.", 3: "Unknown agent code 'NOPE'."}
    assert unchanged_since(saigon)


@pytest.mark.django_db
def test_limited_user_cannot_give_an_agent_another_provinces_parent(make_user, saigon):
    user = make_user(Role.OFFICER, provinces=["001"])
    result = import_agents(
        agents(
            "AG6,Mine,AUTHORISED,AG9,,,001,,,,",
            "AG7,Mine,AUTHORISED,NOPE,,,001,,,,",
            "AG5,North,AUTHORISED,AG9,,,001,ACTIVE,,,",
        ),
        actor=user,
    )
    assert reasons(result) == {
        2: "Unknown parent agent code 'AG9'.",
        3: "Unknown parent agent code 'NOPE'.",
        4: "Unknown parent agent code 'AG9'.",
    }
    assert unchanged_since(saigon)


@pytest.mark.django_db
def test_limited_user_cannot_overwrite_another_provinces_agent_or_point_by_code(make_user, saigon):
    user = make_user(Role.OFFICER, provinces=["001"])
    # a parent named in the same file whose own row is refused does not become a parent either
    result_a = import_agents(
        agents("AG9,Mine now,AUTHORISED,,,,001,,,,", "AG8,Child,AUTHORISED,AG9,,,001,,,,"), actor=user
    )
    result_p = import_points(points("P9,AG5,Mine now,OPERATOR_FIXED,,001,,,,,,,"), actor=user)
    assert reasons(result_a) == {2: "Code AG9 cannot be written from your provinces."}
    assert reasons(result_p) == {2: "Code P9 cannot be written from your provinces."}
    assert Agent.objects.get(code="AG8").parent_id is None
    assert Agent.objects.get(code="AG9").name == "South"
    assert RegistrationPoint.objects.get(code="P9").name == "South point"


@pytest.mark.django_db
def test_limited_user_cannot_move_its_own_agent_or_point_to_another_province(make_user, saigon):
    user = make_user(Role.OFFICER, provinces=["001"])
    import_points(points("P5,AG5,Mine,OPERATOR_FIXED,,001,,,,,,,"), actor=user)
    before = list(RegistrationPoint.objects.order_by("code").values())
    result_a = import_agents(agents("AG5,North,AUTHORISED,,,,079,ACTIVE,,,"), actor=user)
    result_p = import_points(points("P5,AG5,Mine,OPERATOR_FIXED,,079,,,,,,,"), actor=user)
    assert reasons(result_a) == {2: "Province 079 is not in your provinces."}
    assert reasons(result_p) == {2: "Province 079 is not in your provinces."}
    assert Agent.objects.get(code="AG5").province_id == "001"
    assert list(RegistrationPoint.objects.order_by("code").values()) == before


@pytest.mark.django_db
def test_limited_user_cannot_import_into_other_provinces(make_user):
    user = make_user(Role.OFFICER, provinces=["001"])
    result = import_agents(agents(OP, CHAIN.replace(",AG0,", ",,")), actor=user)
    assert reasons(result) == {3: "Province 079 is not in your provinces."}


@pytest.mark.django_db
def test_limited_user_cannot_move_another_provinces_agent(make_user):
    import_agents(agents(CHAIN.replace(",AG0,", ",,")), actor=None)  # AG1 in 079
    user = make_user(Role.OFFICER, provinces=["001"])
    result = import_agents(agents(CHAIN.replace(",AG0,", ",,").replace(",079,", ",001,")), actor=user)
    assert reasons(result) == {2: "Code AG1 cannot be written from your provinces."}
    assert Agent.objects.get(code="AG1").province_id == "079"


@pytest.mark.django_db
def test_import_is_audited(officer):
    import_agents(agents(OP), actor=officer, file_name="agents.csv")
    event = AuditEvent.objects.get(action="agents.import")
    assert event.actor == officer
    assert event.fields["created"] == 1


@pytest.mark.django_db
def test_commands_print_counts_and_write_rejects_file(tmp_path, capsys):
    # given
    agents_path = tmp_path / "agents.csv"
    agents_path.write_bytes(agents(OP, "AG2,X,RESELLER,,,,001,,,,").getvalue())
    points_path = tmp_path / "points.csv"
    points_path.write_bytes(points(P1).getvalue())
    # when
    call_command("import_agents", str(agents_path))
    call_command("import_points", str(points_path))
    out = capsys.readouterr().out
    # then
    assert "agents: 1 created, 0 updated, 0 unchanged, 1 rejected" in out
    assert "points: 1 created, 0 updated, 0 unchanged, 0 rejected" in out
    rejects = (tmp_path / "agents.csv.rejects.csv").read_text(encoding="utf-8").splitlines()
    assert rejects[0].startswith("line,reason,code,name")
    assert rejects[1].startswith("3,")
    assert not (tmp_path / "points.csv.rejects.csv").exists()


@pytest.mark.django_db
def test_command_fails_on_unreadable_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_agents", str(tmp_path / "missing.csv"))
    bad = tmp_path / "agents.csv"
    bad.write_text("just,a,header\n")
    with pytest.raises(CommandError, match="Missing columns"):
        call_command("import_agents", str(bad))
