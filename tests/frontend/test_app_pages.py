"""Kith as an app: the manifest, the service worker's script and the offline page it
keeps, and signing out, which empties what the browser kept (frontend/views/app.py)."""

from __future__ import annotations

import json
import re

import pytest
from django.contrib.staticfiles import finders
from django.test import Client as Browser

from tests.doors import pages

pytestmark = pytest.mark.django_db


def test_the_manifest_makes_kith_installable_with_icons_that_exist():
    response = Browser().get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["name"] == "Kith" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    pngs = {i["sizes"]: i for i in manifest["icons"] if i["type"] == "image/png"}
    assert "192x192" in pngs and "512x512" in pngs
    assert any(i["purpose"] == "maskable" for i in manifest["icons"])
    for icon in manifest["icons"]:
        path = icon["src"].removeprefix("/static/")
        found = finders.find(path)
        assert found, path
        if icon["type"] == "image/png":
            with open(found, "rb") as f:
                head = f.read(24)
            width, height = int.from_bytes(head[16:20]), int.from_bytes(head[20:24])
            assert f"{width}x{height}" == icon["sizes"]


def test_every_page_links_the_manifest(personas):
    html = pages(personas.ana).get("/day/").content.decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in html
    assert 'data-person="' in html and "data-keeps-day" in html
    # Only a member's day is kept on the phone.
    assert "data-keeps-day" not in pages(personas.coach).get("/practice/").content.decode()


def test_the_worker_script_lists_the_shell_with_revisions_and_loads_the_bundle():
    response = Browser().get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    body = response.content.decode()
    config = json.loads(re.search(r"self\.KITH = (.*);\n", body).group(1))
    urls = {entry["url"]: entry["revision"] for entry in config["precache"]}
    for shell in ("kith.css", "live.js", "taps.js", "partials.js", "build/outbox.js"):
        assert urls[f"/static/frontend/{shell}"]
    assert any("htmx" in url for url in urls)
    assert config["offline"] == "/offline/" and urls["/offline/"]
    assert 'importScripts("/static/frontend/build/sw.js")' in body


def test_the_offline_page_holds_nothing_of_the_person_who_fetched_it(personas):
    mine = pages(personas.ana).get("/offline/").content.decode()
    assert mine == Browser().get("/offline/").content.decode()
    assert "No signal" in mine and personas.ana.display_name not in mine
    assert 'href="/day/"' in mine


def test_signing_out_clears_what_the_browser_kept(personas):
    b = pages(personas.ana)
    response = b.post("/logout/")
    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'
    assert b.get("/day/").status_code == 302  # signed out
