"""bench/wrk.py's reading of wrk's output and the bare keyset view it measures the list pages against."""

import re

import pytest
from django.test import override_settings
from django.urls import reverse

from bench.wrk import MAX_CONNECTIONS, MAX_SECONDS, parse_wrk, wrk_command
from bench.wrk import run as wrk_run
from core.roles import Role
from tests.agents.factories import PointFactory

WRK_OUTPUT = """Running 10s test @ http://127.0.0.1:40001/agents/points/
  2 threads and 16 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   180.52ms   40.11ms    1.20s    80.00%
    Req/Sec    44.50     10.00    70.00     70.00%
  Latency Distribution
     50%  175.30ms
     75%  190.00ms
     90%  230.00ms
     99%    1.05s
  890 requests in 10.01s, 30.51MB read
  Socket errors: connect 0, read 0, write 0, timeout 2
  Non-2xx or 3xx responses: 3
Requests/sec:     88.91
Transfer/sec:      3.05MB
"""


def test_parse_wrk_reads_rate_percentiles_in_ms_and_every_error():
    # when
    figures = parse_wrk(WRK_OUTPUT)
    # then
    assert figures == {"rps": 88.91, "p50": 175.3, "p99": 1050.0, "requests": 890, "bad": 3, "socket_errors": 2}


def test_parse_wrk_reads_microseconds_and_no_error_lines():
    # given: a fast run: no socket errors, no bad answers, latencies in microseconds
    output = re.sub(r"  Socket errors.*\n  Non-2xx.*\n", "", WRK_OUTPUT).replace("175.30ms", "950.00us")
    # when
    figures = parse_wrk(output)
    # then
    assert figures["p50"] == pytest.approx(0.95)
    assert figures["bad"] == figures["socket_errors"] == 0


def test_parse_wrk_refuses_output_without_a_latency_distribution():
    with pytest.raises(ValueError, match="50%"):
        parse_wrk("Requests/sec: 10.0\n  10 requests in 1.00s, 1KB read\n")


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.urls")
def test_bare_view_lists_the_points_pages_rows_in_its_order_and_scope(make_user):
    # given: points in Hà Nội and elsewhere, and an officer limited to Hà Nội
    for i in range(3):
        PointFactory(code=f"HN{i}", province_code="001")
        PointFactory(code=f"SG{i}", province_code="079")
    officer = make_user(Role.OFFICER, provinces=["001"])
    from django.test import Client

    client = Client()
    client.force_login(officer)
    # when
    bare = client.get("/bench/bare/points/")
    page = client.get(reverse("agents:point_list"))
    # then: the same codes, in the same order
    assert bare.status_code == 200
    bare_codes = re.findall(r"<td>(HN\d|SG\d)</td>", bare.content.decode())
    page_codes = [p.code for p in page.context["page"].items]
    assert bare_codes == page_codes == ["HN0", "HN1", "HN2"]


@pytest.mark.django_db
@override_settings(ROOT_URLCONF="bench.urls")
def test_bare_view_refuses_a_visitor_not_signed_in(client):
    assert client.get("/bench/bare/points/").status_code == 403


def test_bare_view_is_in_no_production_urlconf():
    from config import urls

    assert not any("bench" in str(p.pattern) for p in urls.urlpatterns)


def test_wrk_command_is_bounded_to_localhost_a_fixed_duration_and_connections():
    # when
    args = wrk_command(40001, "/agents/points/", "sessionid=abc", seconds=10, connections=16)
    # then
    assert args[0] == "wrk"
    for part in ("-d10s", "-c16", "--latency"):
        assert part in args
    assert args[args.index("--timeout") + 1] == "10s"
    assert args[-1] == "http://127.0.0.1:40001/agents/points/"


@pytest.mark.parametrize(
    ("path", "seconds", "connections"),
    [
        ("/agents/", 0, 16),
        ("/agents/", MAX_SECONDS + 1, 16),
        ("/agents/", 10, 0),
        ("/agents/", 10, MAX_CONNECTIONS + 1),
        ("@example.com/", 10, 16),
        ("http://example.com/", 10, 16),
    ],
)
def test_wrk_command_refuses_an_unbounded_run_or_another_host(path, seconds, connections):
    with pytest.raises(ValueError, match="wrk runs|wrk opens|local server"):
        wrk_command(40001, path, "", seconds=seconds, connections=connections)


def test_run_is_skipped_with_a_message_when_wrk_is_not_installed(monkeypatch):
    # given: no wrk on the PATH
    monkeypatch.setattr("bench.wrk.shutil.which", lambda name: None)
    figures = {}
    # when
    lines = wrk_run(figures=figures)
    # then: one clear line, nothing started, the summary told why
    assert lines == ["wrk run skipped: wrk is not installed (Debian: apt-get install wrk)"]
    assert figures == {"skipped": "wrk is not installed"}
