"""Static files under hashed names where the proxy serves them, so it can let browsers
keep them for a year; their own names where daphne serves them (development)."""

from __future__ import annotations

import json
import re

import pytest
from django.core.management import call_command
from django.templatetags.static import static
from django.test import Client as Browser

from tests.config.test_settings import run_manage

MANIFEST = "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"
PLAIN = "django.contrib.staticfiles.storage.StaticFilesStorage"


def storage_backend(**environ: str) -> str:
    script = "from django.conf import settings as s; print(s.STORAGES['staticfiles']['BACKEND'])"
    result = run_manage("shell", "--no-imports", "-c", script, **environ)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "environ, backend",
    [
        # The image's collectstatic and its daphne: DEBUG off, the proxy serves /static/.
        ({"DEBUG": "0", "SECRET_KEY": "k" * 60 + "0123456789"}, MANIFEST),
        # make run: daphne finds each file in its app by its own name.
        ({"DEBUG": "1"}, PLAIN),
        ({"DEBUG": "0", "KITH_SERVE_STATIC": "1", "SECRET_KEY": "k" * 60 + "0123456789"}, PLAIN),
    ],
)
def test_hashed_names_where_the_proxy_serves_static_files(environ, backend):
    assert storage_backend(**environ) == backend


@pytest.fixture
def collected(settings, tmp_path):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {"BACKEND": MANIFEST}}
    call_command("collectstatic", "--no-input", verbosity=0)
    return settings.STATIC_ROOT


@pytest.mark.django_db
def test_collectstatic_writes_hashed_copies_and_pages_link_to_them(collected):
    manifest = json.loads((collected / "staticfiles.json").read_text())
    for name in ("frontend/kith.css", "frontend/live.js", "frontend/partials.js"):
        hashed = manifest["paths"][name]
        stem, suffix = name.rsplit(".", 1)
        assert re.fullmatch(rf"{re.escape(stem)}\.[0-9a-f]{{12}}\.{suffix}", hashed), hashed
        assert (collected / hashed).read_bytes() == (collected / name).read_bytes()
        assert static(name) == f"/static/{hashed}"
    page = Browser().get("/login/").content.decode()
    assert f'href="/static/{manifest["paths"]["frontend/kith.css"]}"' in page
    assert f'src="/static/{manifest["paths"]["frontend/live.js"]}"' in page
    assert 'href="/static/frontend/kith.css"' not in page


@pytest.mark.django_db
def test_a_file_missing_from_the_manifest_is_an_error_not_a_stale_link(collected):
    with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
        static("frontend/no-such-file.css")
