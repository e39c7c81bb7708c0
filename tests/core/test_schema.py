from django.core.management import call_command


def test_openapi_schema_generates_without_warnings(tmp_path):
    # --fail-on-warn: an undocumented field or an ambiguous enum fails here, not in a client's generator
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/points/" in (tmp_path / "schema.yml").read_text()
