"""The field page's pure JavaScript (static/js/inspection/logic.js) unit-tested in Chromium, with no node
toolchain: a tiny page (tests/js/index.html) imports a suite from tests/js/ and the module under test, runs
each case and leaves the results in window.jsTestResults. The files are served to the browser by Playwright
from the repository (no server, no database).

The server's rules the phone repeats (Luhn, distance, failing answer) are checked against the server's own
Python functions on the same inputs: the tables below are computed here and handed to the suite.
"""

import json
import mimetypes
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management import call_command
from stdnum import luhn

from inspections.models import AnswerKind, ChecklistItem
from inspections.services import fieldwork
from registrations.validators import is_valid_iccid

pytestmark = pytest.mark.e2e

BASE_DIR = Path(settings.BASE_DIR)
ORIGIN = "http://js-units.test"
MODULES = "js/inspection"


def serve(page, roots: dict[str, Path]) -> None:
    """Answer every request to ORIGIN from files: roots maps a URL prefix to a folder."""

    def handle(route):
        path = route.request.url.removeprefix(ORIGIN).split("?", 1)[0]
        for prefix, folder in roots.items():
            if path.startswith(prefix):
                file = (folder / path.removeprefix(prefix)).resolve()
                if file.is_relative_to(folder.resolve()) and file.is_file():
                    kind = "text/javascript" if file.suffix == ".js" else mimetypes.guess_type(file.name)[0]
                    route.fulfill(status=200, body=file.read_bytes(), content_type=kind or "text/plain")
                    return
        route.fulfill(status=404, body="not found")

    page.route(f"{ORIGIN}/**", handle)


@pytest.fixture
def js_page(browser):
    context = browser.new_context()
    page = context.new_page()
    serve(page, {"/static/": BASE_DIR / "static", "/tests/js/": BASE_DIR / "tests" / "js"})
    yield page
    context.close()


def run_suite(page, suite: str, server_cases: dict | None = None) -> list[dict]:
    page.add_init_script(f"globalThis.serverCases = {json.dumps(server_cases or {})};")
    page.goto(f"{ORIGIN}/tests/js/index.html?suite={suite}")
    outcome = page.evaluate("window.jsTestResults")
    assert not outcome["error"], f"the suite {suite} did not load:\n{outcome['error']}"
    return outcome["results"]


def failures(results: list[dict]) -> str:
    return "\n\n".join(f"FAILED {r['name']}\n{r['message']}" for r in results if not r["ok"])


# --- what the server says, on the inputs the suite checks ----------------------------------------

ICCIDS = [
    "8984048000000000019",
    "89840480000000000127",
    "89840480000000000128",
    "8984048000000000018",
    "8984 0480 0000 0000 019",
    "\t89840480000000000127\n",
    "898404800000000001",
    "898404800000000001271",
    "898404800000000001X",
    "8984O48000000000019",
    "０９８４０４８０００００００００００１９",  # full-width digits: digits to Python, not [0-9]
]
LUHN = ["79927398713", "79927398710", "0", "00", "18", "59", "", "12a3", "4111111111111111", "4111111111111112"]
POSITIONS = [
    (21.0248, 105.8574, 21.0245, 105.8572),
    (21.0245, 105.8572, 21.0245, 105.8572),
    (10.7769, 106.7009, 21.0245, 105.8572),
    (0, 0, 0, 180),
    (89.9999, 0, -89.9999, 180),
    (-33.8688, 151.2093, 51.5074, -0.1278),
    (21.02, 105.85, 21.0200001, 105.8500001),
]
CHECKINS = [
    ({"latitude": 21.0248, "longitude": 105.8574}, (21.0245, 105.8572)),
    ({"latitude": 21.026301, "longitude": 105.8572}, (21.0245, 105.8572)),
    ({"latitude": 21.0263014999, "longitude": 105.85720049}, (21.0245, 105.8572)),
    ({"latitude": 21.0245005, "longitude": 105.8572}, (21.0245, 105.8572)),
    ({"latitude": 10.7769, "longitude": 106.7009}, (21.0245, 105.8572)),
    ({"latitude": 1e-7, "longitude": -1e-7}, (0, 0)),
]
ANSWERS = [
    *[
        ("YES_NO_NA", rule, value)
        for rule in ("NO", "YES", " no ", "")
        for value in ("YES", "NO", "NA", "no", " Yes ", "maybe", "", "N")
    ],
    *[
        ("NUMBER", rule, value)
        for rule in (">0", "<1", ">-2", "<-2", ">10", "=0", "0", "> 1", "<１")
        for value in (
            "0",
            "1",
            "-1",
            "0,5",
            "0.5",
            "1e1",
            "1E-1",
            "10",
            "10.0000000001",
            "-2",
            "-2.0",
            "-2.5",
            "+3",
            ".5",
            "5.",
            "1_000",
            "١٢",
            "abc",
            "",
            " ",
            "Infinity",
            "NaN",
            "1,5,5",
            "--1",
            "0x1",
            "1 0",
        )
    ],
    ("TEXT", "NO", "NO"),
    ("PHOTO", ">0", "5"),
]


def server_iccid_verdict(raw: str) -> str:
    """The checks of fieldwork.sim_add, in its order, before it touches the database."""
    iccid = fieldwork.normalise_iccid(raw)
    if not iccid.isdigit() or len(iccid) not in (19, 20):
        return "length"
    return "ok" if is_valid_iccid(iccid) else "bad"


def server_fails(kind: str, rule: str, value: str) -> bool:
    """Answer.failed as fieldwork.answers_save records it; a refused value is never recorded."""
    item = ChecklistItem(answer_kind=kind, failing_answer=rule)
    try:
        cleaned = fieldwork._clean_value(item, value)
    except ValidationError:
        return False
    return item.fails(cleaned)


def server_checkin_distance(position: dict, point: tuple) -> float:
    """The distance fieldwork.inspection_check_in records: from the position as _position keeps it."""
    lat, lon, _accuracy = fieldwork._position(position["latitude"], position["longitude"], None)
    return round(fieldwork.haversine_m(lat, lon, Decimal(str(point[0])), Decimal(str(point[1]))), 1)


def server_cases() -> dict:
    return {
        "iccid": [{"input": raw, "expected": server_iccid_verdict(raw)} for raw in ICCIDS],
        "luhn": [{"input": number, "expected": luhn.is_valid(number)} for number in LUHN],
        "haversine": [{"input": list(p), "expected": fieldwork.haversine_m(*p)} for p in POSITIONS],
        "checkin": [
            {
                "input": {"position": position, "point": {"latitude": point[0], "longitude": point[1]}},
                "expected": server_checkin_distance(position, point),
            }
            for position, point in CHECKINS
        ],
        "failing": [{"input": list(case), "expected": server_fails(*case)} for case in ANSWERS],
    }


# --- the tests -----------------------------------------------------------------------------------


def test_the_field_page_logic_agrees_with_itself_and_with_the_server(js_page):
    cases = server_cases()
    # the tables are not trivial: each outcome occurs
    assert {c["expected"] for c in cases["iccid"]} == {"ok", "bad", "length"}
    assert {c["expected"] for c in cases["failing"] if c["input"][0] == AnswerKind.NUMBER} == {True, False}

    results = run_suite(js_page, "inspection_logic.test.js", cases)

    assert not failures(results), failures(results)
    table_rows = sum(len(rows) for rows in cases.values())
    # the outbox's own cases moved to inspection_outbox.test.js (test_the_outbox_of_the_field_app)
    assert len(results) >= table_rows + 25, f"only {len(results)} cases ran"


@pytest.mark.parametrize("zone", ["Asia/Ho_Chi_Minh", "America/St_Johns"])
def test_the_outbox_of_the_field_app(browser, zone):
    # a phone in Vietnam (+07:00) and one half an hour off a whole hour, behind UTC (-03:30 or -02:30)
    context = browser.new_context(timezone_id=zone)
    page = context.new_page()
    try:
        serve(page, {"/static/": BASE_DIR / "static", "/tests/js/": BASE_DIR / "tests" / "js"})
        results = run_suite(page, "inspection_outbox.test.js")
        offset = page.evaluate("() => import('/static/js/inspection/outbox.js').then(m => m.deviceTime(new Date()))")
    finally:
        context.close()

    assert not failures(results), failures(results)
    assert len(results) >= 17, f"only {len(results)} cases ran"
    assert offset[-6:] in ({"+07:00"} if zone == "Asia/Ho_Chi_Minh" else {"-03:30", "-02:30"})


def test_a_failing_js_case_fails_the_run(js_page):
    results = run_suite(js_page, "harness_selftest.test.js")

    outcome = {r["name"]: r["ok"] for r in results}
    assert outcome == {
        "passes": True,
        "fails on a wrong value": False,
        "fails on a distance too far off": False,
        "fails when it throws": False,
        "fails when a promise rejects": False,
    }
    assert 'letters: expected "b", got "a"' in failures(results)


def test_the_modules_load_under_the_hashed_names_of_production(browser, settings, tmp_path):
    # given: the static files collected by the production storage, which hashes every name
    settings.STATIC_ROOT = tmp_path
    settings.STATICFILES_FINDERS = ["django.contrib.staticfiles.finders.FileSystemFinder"]
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": "core.storage.StaticFilesStorage"}}
    call_command("collectstatic", "--noinput", verbosity=0)
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]

    # then: each relative import names the hashed file of the module it imports
    sources = sorted(name for name in manifest if name.startswith(MODULES + "/"))
    assert f"{MODULES}/main.js" in sources
    assert f"{MODULES}/logic.js" in sources
    imported = set()
    for name in sources:
        text = (tmp_path / manifest[name]).read_text()
        for target in re.findall(r'from\s*"(\.[^"]*)"', text):
            hashed = f"{MODULES}/{target.removeprefix('./')}"
            assert hashed in manifest.values(), f"{manifest[name]} imports {target}, not a hashed name"
            imported.add(hashed)
    # every module is imported by another, but the pages' entry points and the service worker (a classic script)
    entries = {f"{MODULES}/main.js", f"{MODULES}/field-app.js", f"{MODULES}/sw.js"}
    assert imported == {manifest[name] for name in sources if name not in entries}

    # and: Chromium loads the whole graph from the hashed main module
    context = browser.new_context()
    page = context.new_page()
    try:
        serve(page, {"/static/": tmp_path})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.on("requestfailed", lambda request: errors.append(request.url))
        main = f"{ORIGIN}/static/{manifest[f'{MODULES}/main.js']}"
        page.goto(main)  # any page of that origin, for the module fetches
        # main.js imports every other module; without the page's config it then does nothing
        page.evaluate(f'async () => {{ await import("{main}"); }}')
        assert not errors, errors
    finally:
        context.close()
