"""Uploads go to var/media by default and to an S3-compatible store when S3_BUCKET is set: private objects,
signed URLs only, never overwritten. Checked by importing the settings in a fresh process (no live S3)."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
S3_ENV = ("S3_BUCKET", "S3_ENDPOINT_URL", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY", "S3_REGION")
SHOW = (
    "import json; from django.conf import settings; from django.core.files.storage import storages; "
    "s = storages['default']; "
    "print(json.dumps({'backend': settings.STORAGES['default']['BACKEND'], 'class': type(s).__name__, "
    "'bucket': getattr(s, 'bucket_name', None), 'endpoint': getattr(s, 'endpoint_url', None), "
    "'region': getattr(s, 'region_name', None), 'acl': getattr(s, 'default_acl', None), "
    "'signed': getattr(s, 'querystring_auth', None), 'overwrite': getattr(s, 'file_overwrite', None), "
    "'key': getattr(s, 'access_key', None), 'location': str(getattr(s, 'location', ''))}))"
)


def _settings(tmp_path, **env_overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in S3_ENV and k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update({"VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "config.settings.base", **env_overrides})
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", SHOW],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_a_bucket_uploads_are_local_files(tmp_path):
    shown = _settings(tmp_path)
    assert shown["class"] == "FileSystemStorage"
    assert shown["location"] == str(tmp_path / "media")


def test_with_a_bucket_uploads_go_to_s3_privately(tmp_path):
    # when
    shown = _settings(
        tmp_path,
        S3_BUCKET="saw-uploads",
        S3_ENDPOINT_URL="https://s3.example.vn",
        S3_ACCESS_KEY_ID="AKIA-TEST",
        S3_SECRET_ACCESS_KEY="not-a-real-secret",
        S3_REGION="ap-southeast-1",
    )
    # then
    assert shown["backend"] == "storages.backends.s3.S3Storage"
    assert shown["class"] == "S3Storage"
    assert (shown["bucket"], shown["endpoint"], shown["region"], shown["key"]) == (
        "saw-uploads",
        "https://s3.example.vn",
        "ap-southeast-1",
        "AKIA-TEST",
    )
    assert (shown["acl"], shown["signed"], shown["overwrite"]) == ("private", True, False)


def test_a_bucket_alone_uses_the_default_credentials_chain(tmp_path):
    shown = _settings(tmp_path, S3_BUCKET="saw-uploads")
    assert shown["class"] == "S3Storage"
    assert (shown["endpoint"], shown["key"], shown["region"]) == (None, None, None)
