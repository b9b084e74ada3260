"""Real headless Chromium (Debian's package) driven by Playwright, at phone size.

Browsers cannot be downloaded here: Playwright launches /usr/bin/chromium through
``executable_path``, with Chromium's own network chatter switched off and every host
but the loopback unreachable (FIELD-NOTES.md).
"""

from __future__ import annotations

import os
import re
import shutil

import pytest
from django.contrib.auth.hashers import PBKDF2PasswordHasher
from django.db import connection

from tests.factories import PASSWORD
from tests.servers import Servers, database_url, server_env

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's loop + the ORM

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}


HERE = os.path.dirname(__file__)


def pytest_collection_modifyitems(items):
    # A conftest hook sees every collected item: mark only the ones in this folder.
    for item in items:
        if str(item.path).startswith(HERE):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Debian's chromium (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
            "--proxy-server=http://127.0.0.1:9",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": PHONE, "device_scale_factor": 2, "has_touch": True}


@pytest.fixture
def servers(transactional_db, settings, tmp_path):
    """Starts daphne processes serving Kith against this test's database."""
    started = Servers(
        server_env(
            database_url=database_url(connection.settings_dict),
            redis_url=settings.REDIS_URL,
            secret_key=settings.SECRET_KEY,
        ),
        tmp_path,
    )
    yield started
    started.stop_all()


@pytest.fixture
def server(servers) -> str:
    """The base URL of one daphne process."""
    return servers.start("web")[0].url


@pytest.fixture
def can_log_in():
    """Give people a password the server process can check (tests hash with MD5)."""

    def give(*people):
        hasher = PBKDF2PasswordHasher()
        for person in people:
            person.password = hasher.encode(PASSWORD, hasher.salt(), iterations=1000)
            person.save(update_fields=["password"])

    return give


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def open_menu(page) -> None:
    """On a phone the header's links are in its menu: open it as a person would, from
    the bottom bar's More (a team member) or the header's Menu button (everyone else).
    On a wide screen the links show already."""
    menu = page.locator("#menu-body")
    if menu.is_visible():
        return
    more = page.get_by_role("navigation", name="Quick").get_by_role("button", name="More")
    if more.count():
        more.click()
    else:
        page.locator("#menu > summary").click()
    menu.wait_for(state="visible")


def open_team(page, name: str = "Noord") -> None:
    """From a member's day (where signing in lands), the team's home, as she taps it."""
    open_menu(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name=name, exact=True).click()
    page.wait_for_url(re.compile(r"/teams/[\w-]+/$"))
