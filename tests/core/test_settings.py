"""Production settings pass `check --deploy` cleanly and refuse to start without secrets."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "x7Kq!2vN#pL9wR4tY6uI8oP0aS3dF5gH7jK9lZ1xC3vB5nM7qW9eR1tY3uI5oP7a",
    "FIELD_ENCRYPTION_KEY": "k1:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
    "PII_HMAC_KEY": "a-production-hmac-key-of-good-length-0123456789",
    "AUDIT_HMAC_KEY": "a1:cHJvZHVjdGlvbi1hdWRpdC1rZXktb2YtMzItYnl0ZXMtMDEyMzQ1",
    "ALLOWED_HOSTS": "sim-agent-watch.example.vn",
}


def _manage(*args, env_overrides):
    # DJANGO_ALLOW_ASYNC_UNSAFE is for the browser tests' process only; production never has it
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_production_settings_pass_check_deploy_with_no_warnings():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env_overrides=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_production_settings_require_secrets():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "FIELD_ENCRYPTION_KEY"}
    result = _manage("check", env_overrides=env)
    assert result.returncode != 0
    assert "Set FIELD_ENCRYPTION_KEY in the environment." in result.stderr


def test_development_defaults_are_generated_once(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    code = "from django.conf import settings; print(settings.SECRET_KEY, settings.FIELD_ENCRYPTION_KEY)"
    first = _manage("shell", "-c", code, env_overrides=env)
    second = _manage("shell", "-c", code, env_overrides=env)
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert (tmp_path / "dev-secrets.json").stat().st_mode & 0o077 == 0


def test_each_database_has_its_own_audit_anchor_file(tmp_path):
    # anchors of one database checked against another's trail would read as tampering
    code = "from django.conf import settings; print(settings.AUDIT_ANCHOR_FILE)"
    files = set()
    for url in ("", "postgres://postgres@127.0.0.1:5432/other_db"):
        env = {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.base", "DATABASE_URL": url}
        result = _manage("shell", "--no-imports", "-c", code, env_overrides=env)
        assert result.returncode == 0, result.stderr
        files.add(result.stdout.strip().splitlines()[-1])
    assert len(files) == 2
    assert all(name.startswith(str(tmp_path / "audit-anchors-")) for name in files)


def test_a_key_added_later_joins_an_existing_secrets_file(tmp_path):
    # given a development install from before the audit key existed
    old = {"SECRET_KEY": "s" * 50, "FIELD_ENCRYPTION_KEY": "k1:" + "A" * 43 + "=", "PII_HMAC_KEY": "p" * 43}
    (tmp_path / "dev-secrets.json").write_text(json.dumps(old))
    env = {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.base"}
    code = "from django.conf import settings; print(settings.AUDIT_HMAC_KEY)"
    # when
    result = _manage("shell", "-c", code, env_overrides=env)
    # then the new key is generated and stored, and every old key is kept as it was
    assert result.returncode == 0, result.stderr
    stored = json.loads((tmp_path / "dev-secrets.json").read_text())
    assert {k: stored[k] for k in old} == old
    assert stored["AUDIT_HMAC_KEY"].startswith("a1:")
    assert result.stdout.strip().splitlines()[-1] == stored["AUDIT_HMAC_KEY"]


def test_without_redis_tasks_go_to_a_file_queue_under_var_and_cache_is_local(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.base", "REDIS_URL": ""}
    code = (
        "from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, "
        "s.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in'], s.CACHES['default']['BACKEND'].rsplit('.', 1)[-1])"
    )
    result = _manage("shell", "--no-imports", "-c", code, env_overrides=env)
    assert result.returncode == 0, result.stderr
    queue = tmp_path / "celery"
    assert result.stdout.strip().splitlines()[-1].split() == [
        "False",
        "filesystem://localhost/",
        (queue / "results").as_uri(),
        str(queue / "queue"),
        "LocMemCache",
    ]
    assert (queue / "queue").is_dir()
    assert (queue / "results").is_dir()


def test_celery_eager_runs_tasks_in_process(tmp_path):
    env = {"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.base", "REDIS_URL": ""}
    code = "from core.tasks import ping_task; print(ping_task.delay('x').get(timeout=5))"
    result = _manage("shell", "--no-imports", "-c", code, env_overrides={**env, "CELERY_EAGER": "1"})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "pong:x"


def test_with_redis_url_broker_results_and_cache_use_redis(tmp_path):
    env = {
        "VAR_DIR": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings.base",
        "REDIS_URL": "redis://127.0.0.1:6379/3",
    }
    code = (
        "from django.conf import settings as s; "
        "print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL, s.CELERY_RESULT_BACKEND, "
        "s.CACHES['default']['LOCATION'])"
    )
    result = _manage("shell", "--no-imports", "-c", code, env_overrides=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1].split() == ["False"] + ["redis://127.0.0.1:6379/3"] * 3
