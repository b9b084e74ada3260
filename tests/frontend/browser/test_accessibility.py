"""axe-core on every page each kind of person reaches, on a phone: no serious or
critical violation (issue 18).

One sign-in per persona walks all of that persona's pages; the anonymous pages
(signing in, the password reset, an invitation) are walked signed out. Every page
of ``frontend.urls`` is either walked here or named in ``NOT_PAGES`` with the reason
it is not a page of its own, so a new page cannot miss the check.

axe-core comes from the npm registry (frontend/package.json, installed by ``make
assets``: ``cd frontend && npm ci``). The pages refuse inline script (CSP), so axe is
not added as a script tag (Playwright's would be inline): the browser context runs it
in every page before the page's own scripts (an init script, which the page's policy
does not govern), so it is there on pages the phone shows offline too.
"""

from __future__ import annotations

import datetime
import re
from binascii import unhexlify
from pathlib import Path
from types import SimpleNamespace

import pytest
import time_machine
from django.contrib.auth.tokens import default_token_generator
from django.core import signing
from django.urls import URLPattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from playwright.sync_api import expect

from care.models import Client, Snapshot, Visit
from care.services import visits as visit_services
from coordination.services import help as help_services
from frontend import urls as frontend_urls
from teams import decisions, two_factor
from teams.models import Person, Role
from teams.services import accounts
from teams.services.founding import network_found
from teams.services.invitations import invitation_create
from teams.services.two_factor import two_factor_enable
from tests.care.test_quality import NOW as QUALITY_NOW
from tests.care.test_quality import build as quality_build
from tests.care.test_quality import published
from tests.care.visit_helpers import begun_today, direct_payment, plan
from tests.factories import PASSWORD, ClientFactory, PersonFactory, adopted, note, proposal
from tests.frontend.browser.conftest import PHONE, log_in
from tests.frontend.browser.test_client_portal import jansen as jansen_with_plan
from tests.frontend.omaha import ensure_omaha_reference
from tests.teams.decisions_api.world import in_days

AXE = Path(__file__).resolve().parents[3] / "frontend" / "node_modules" / "axe-core" / "axe.min.js"
KINDS = decisions.all_kinds()

# Routes that are not pages of their own: each answers a form, or is a part of a page
# (walked with the page it belongs to), a picture or a download.
NOT_PAGES = {
    "logout": "a form's answer",
    "service-worker": "a script (the service worker)",
    "manifest": "the app's manifest (JSON)",
    "account-token-revoke": "a form's answer",
    "account-sign-out-everywhere": "a form's answer",
    "two-factor-recovery-codes": "a form's answer (walked: the operator makes new codes)",
    "two-factor-disable": "a form's answer",
    "invitation-action": "a form's answer",
    "team-section": "a part of the team's home, re-read live",
    "team-activity": "a part of the team's home, re-read live",
    "shared-section": "a part of the shared team page, re-read live",
    "board-visit": "a form's answer",
    "board-offer": "a form's answer",
    "notifications-bell": "a part of every page's header, re-read live",
    "notifications-read-all": "a form's answer",
    "notification-read": "a form's answer",
    "team-help": "a part of the board (GET), or a form's answer (POST)",
    "team-figures-share": "a form's answer",
    "team-figures-chart": "a picture (SVG) in the figures page",
    "practice-note-action": "a form's answer",
    "practice-answer-accept": "a form's answer",
    "quality-export-csv": "a download",
    "quality-team-chart": "a picture (SVG) in the team's quality page",
    "quality-snapshot-csv": "a download",
    "quality-snapshot-outcomes-csv": "a download",
    "help-offer": "a form's answer",
    "help-request-withdraw": "a form's answer",
    "help-offer-action": "a form's answer",
    "help-visit-action": "a form's answer",
    "client-section": "a part of the client's page, re-read live",
    "client-status": "a form's answer",
    "client-network": "a form's answer",
    "client-portal-invite": "a form's answer",
    "client-representative-invite": "a form's answer",
    "client-representative-remove": "a form's answer",
    "client-diary": "a form's answer",
    "client-visit-plan": "a form's answer",
    "client-visit-series": "a form's answer",
    "client-series-exception": "a form's answer",
    "client-visit": "a form's answer",
    "client-budget": "a form's answer",
    "client-ledger": "a form's answer",
    "plan-problem-add": "a form's answer",
    "plan-intervention-add": "a form's answer",
    "plan-rate": "a form's answer",
    "plan-chart": "a picture (SVG) in the client's plan",
    "omaha-signs": "a part of the plan's form, read when a problem is chosen",
    "portal-section": "a part of the portal page, re-read live",
    "portal-diary": "a form's answer",
    "portal-survey": "a form's answer",
    "portal-network-invite": "a form's answer",
    "portal-network-remove": "a form's answer",
    "portal-representative": "a form's answer",
    "portal-sharing": "a form's answer",
    "proposal-part": "a part of the proposal page, re-read live",
    "proposal-comment": "a form's answer",
    "proposal-consent": "a form's answer",
    "proposal-object": "a form's answer",
    "proposal-amend": "a form's answer",
    "proposal-withdraw": "a form's answer",
    "objection-withdraw": "a form's answer",
}


# --- the world the personas live in ------------------------------------------------------------


def build(personas) -> SimpleNamespace:
    """Noord and Zuid with a published quarter; Mrs Jansen of Noord with her plan, a
    budget, a visit of Ana's under way and one Noord asks help with; a Zuid visit Ana
    helps with; an open proposal, an adopted coach invitation, practice notes;
    an invitation waiting; an operator with an authenticator app."""
    ensure_omaha_reference()  # browser tests flush the database
    with time_machine.travel(QUALITY_NOW, tick=False):
        w = quality_build(personas)
        published(w)
        published(w, team=w.zuid)
    w.snapshot = Snapshot.objects.filter(team=w.noord).order_by("pk").first()
    w.client, _entry = jansen_with_plan(personas)
    direct_payment(w.ana, w.client)
    now = timezone.now()
    w.tomorrow = timezone.localdate(now + datetime.timedelta(days=1)).isoformat()
    w.visit = plan(w.ana, w.client, begun_today(), 20, assignee=w.ana)
    tomorrow = now + datetime.timedelta(days=1)
    asked = plan(w.ana, w.client, tomorrow)
    w.noord_request = help_services.help_request_raise(
        actor=w.ana, team=w.noord, visits=[asked], skills="Insulin injections"
    )
    help_services.help_offer_make(actor=w.cas, request=w.noord_request, version=1)
    zuid_client = ClientFactory(team=w.zuid, status=Client.Status.ACTIVE)
    w.lent = plan(w.cas, zuid_client, tomorrow + datetime.timedelta(hours=3))
    zuid_request = help_services.help_request_raise(actor=w.cas, team=w.zuid, visits=[w.lent])
    offer = help_services.help_offer_make(actor=w.ana, request=zuid_request, version=1)
    help_services.help_offer_accept(actor=w.cas, offer=offer, version=1)

    w.proposal = proposal(w.ben, w.noord, title="Lunch rota on Thursdays")
    invite = proposal(
        w.ana, w.noord, kind="coach_invite", payload={"coach": w.coach.pk, "ends": in_days(180)}
    )
    adopted(invite)
    w.their_note = note(w.cas, title="Night lights", body="On the way to the bathroom.")
    w.own_note = note(w.ana, title="Dosette boxes", body="Filled on Sundays.")

    _invitation, w.invitation_token = invitation_create(
        actor=w.ana, purpose="admit", email="lotte@example.org", team=w.noord
    )
    w.operator = PersonFactory(username="olga", kind=Person.Kind.OPERATOR)
    key = two_factor.new_key()
    w.device, _codes = two_factor_enable(
        actor=w.operator, key=key, code=f"{totp(unhexlify(key)):06d}"
    )
    network_found(name="Buurtzorg Deventer", operator_email="otto@example.org")
    w.email_token = signing.dumps(
        {"p": w.ana.pk, "from": w.ana.email, "to": "ana.new@example.org"},
        salt=accounts.EMAIL_SALT,
    )
    w.reset = (
        urlsafe_base64_encode(force_bytes(w.ben.pk)),
        default_token_generator.make_token(w.ben),
    )
    return w


# --- each persona's pages: (url name, path) ----------------------------------------------------


def nurse_pages(w) -> list[tuple]:
    c, n = w.client.pk, "noord"
    return [
        ("home", "/"),
        ("my-day", "/day/"),
        ("day-done", f"/day/visits/{w.visit.pk}/done/"),
        ("team-home", f"/teams/{n}/"),
        ("team-invitations", f"/teams/{n}/invitations/"),
        ("team-details", f"/teams/{n}/details/?edit=1"),
        ("proposal-new", f"/teams/{n}/proposals/new/"),
        # Each kind of decision has its own form.
        *[("proposal-new", f"/teams/{n}/proposals/new/?kind={k.key}") for k in KINDS],
        (
            "proposal-new",
            f"/teams/{n}/proposals/new/?kind=admit_member",
            sent("Raise the proposal"),
        ),
        ("proposal", f"/proposals/{w.proposal.pk}/"),
        ("decision-log", f"/teams/{n}/decisions/"),
        ("role-history", f"/teams/{n}/roles/{Role.INFORMER}/"),
        ("coach-reads", f"/teams/{n}/coach-reads/"),
        ("team-clients", f"/teams/{n}/clients/"),
        ("client", f"/clients/{c}/"),
        ("client-details", f"/clients/{c}/details/"),
        ("team-board", f"/teams/{n}/board/"),
        ("team-board", f"/teams/{n}/board/?date={w.tomorrow}"),
        ("team-board", f"/teams/{n}/board/?view=week"),
        ("team-figures", f"/teams/{n}/figures/"),
        ("help", "/help/"),
        ("help-visit", f"/help/visits/{w.lent.pk}/"),
        ("notifications", "/notifications/"),
        ("notification-preferences", "/notifications/preferences/"),
        ("practice", "/practice/"),
        ("practice-search", "/practice/search/?q=lights"),
        ("practice-follows", "/practice/follows/"),
        ("practice-note", f"/practice/notes/{w.their_note.pk}/"),
        ("practice-note-new", "/practice/notes/new/", sent("Publish")),
        ("practice-note-edit", f"/practice/notes/{w.own_note.pk}/edit/"),
        ("quality", "/quality/"),
        ("quality-team", "/quality/teams/zuid/"),
        ("quality-snapshot", f"/quality/snapshots/{w.snapshot.pk}/"),
        ("account", "/account/"),
        ("password-change", "/account/password/"),
        ("account-email", "/account/email/", sent("Send the link")),
        ("account-email-confirm", f"/account/email/confirm/{w.email_token}/"),
        ("account-close", "/account/close/"),
        ("two-factor", "/account/two-factor/"),
        ("two-factor-setup", "/account/two-factor/setup/"),
    ]


def coach_pages(w) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("shared-team", "/teams/noord/shared/"),
        ("proposal", f"/proposals/{w.proposal.pk}/"),
        ("decision-log", "/teams/noord/decisions/"),
        ("role-history", f"/teams/noord/roles/{Role.INFORMER}/"),
        ("practice", "/practice/"),
        ("practice-search", "/practice/search/?q=lights"),
        ("practice-note", f"/practice/notes/{w.their_note.pk}/"),
        ("practice-note-new", "/practice/notes/new/"),
        ("quality", "/quality/"),
        ("quality-team", "/quality/teams/noord/"),
        ("notifications", "/notifications/"),
        ("notification-preferences", "/notifications/preferences/"),
        ("account", "/account/"),
    ]


def inspector_pages(w) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("quality", "/quality/"),
        ("quality-team", "/quality/teams/noord/"),
        ("quality-snapshot", f"/quality/snapshots/{w.snapshot.pk}/"),
        ("notifications", "/notifications/"),
        ("account", "/account/"),
    ]


def client_pages(w) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("portal-client", f"/portal/clients/{w.client.pk}/"),
        ("notifications", "/notifications/"),
        ("notification-preferences", "/notifications/preferences/"),
        ("account", "/account/"),
        ("two-factor", "/account/two-factor/"),
    ]


def family_pages(w) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("portal-client", f"/portal/clients/{w.client.pk}/"),
        ("account", "/account/"),
    ]


def operator_pages(w) -> list[tuple[str, str]]:
    return [
        ("home", "/"),
        ("ops", "/ops/"),
        ("ops-team-found", "/ops/teams/new/"),
        ("ops-operator-invite", "/ops/operators/new/"),
        ("account", "/account/"),
        ("two-factor", "/account/two-factor/", sent("Make new recovery codes")),
        ("two-factor", "/account/two-factor/", new_recovery_codes),
    ]


def anonymous_pages(w) -> list[tuple]:
    uid, token = w.reset
    return [
        ("login", "/login/", wrong_password),
        ("password-reset", "/password-reset/"),
        ("password-reset-done", "/password-reset/sent/"),
        # The link from the mail: it moves the token into the session and lands on the form.
        ("password-reset-confirm", f"/password-reset/{uid}/{token}/"),
        ("password-reset-confirm", f"/password-reset/{uid}/not-a-token/"),
        ("password-reset-complete", "/password-reset/done/"),
        ("invitation", f"/invitations/{w.invitation_token}/"),
        ("invitation", "/invitations/not-a-token/"),
        ("offline", "/offline/"),
    ]


PERSONAS = {
    "nurse": ("ana", nurse_pages),
    "coach": ("coach", coach_pages),
    "inspector": ("inspector", inspector_pages),
    "client": ("mrs_jansen", client_pages),
    "family": ("daughter", family_pages),
    "operator": ("olga", operator_pages),
    "anonymous": (None, anonymous_pages),
}
# Pages that answer with a refusal on purpose, and say why: their status.
REFUSALS = {"/invitations/not-a-token/": 404}


# --- axe ---------------------------------------------------------------------------------------


@pytest.fixture
def axe_source() -> str:
    if not AXE.exists():
        pytest.fail(
            f"axe-core is not installed ({AXE} is missing): run `make assets`"
            " (cd frontend && npm ci) before the browser tests."
        )
    return AXE.read_text()


def serious_violations(page, rules: list[str] | None = None) -> list[dict]:
    """axe's serious and critical findings on the page as it is (``rules``: only these),
    with every folded part (``<details>``: the forms behind "Rate", "Add a problem"...)
    unfolded first."""
    return page.evaluate(
        """async (rules) => {
            for (const folded of document.querySelectorAll("details")) folded.open = true;
            const options = {resultTypes: ["violations"]};
            if (rules) options.runOnly = {type: "rule", values: rules};
            const results = await axe.run(document, options);
            return results.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({
                    id: v.id,
                    impact: v.impact,
                    help: v.help,
                    targets: v.nodes.slice(0, 3).map((n) => n.target.join(" ")),
                    count: v.nodes.length,
                }));
        }""",
        rules,
    )


def described(found: dict[str, list[dict]]) -> str:
    lines = []
    for where, violations in found.items():
        for v in violations:
            lines.append(
                f"{where}: {v['id']} ({v['impact']}) {v['help']}; {v['count']} element(s),"
                f" e.g. {', '.join(v['targets'])}"
            )
    return "\n".join(lines)


def check(page, where: str) -> dict[str, list[dict]]:
    """The page checked in the phone's light colours, then its contrast again in the
    dark ones (kith.css follows the phone's setting), switched in place."""
    found = {}
    for scheme, rules in (("light", None), ("dark", ["color-contrast"])):
        page.emulate_media(color_scheme=scheme)
        violations = serious_violations(page, rules)
        if violations:
            found[f"{where} ({scheme})"] = violations
    page.emulate_media(color_scheme="light")
    return found


def walk(page, server: str, pages: list[tuple]) -> dict[str, list[dict]]:
    found = {}
    for name, path, *then in pages:
        response = page.goto(f"{server}{path}")
        assert response is not None
        expected = REFUSALS.get(path, 200)
        assert response.status == expected, f"{path} answered {response.status}"
        assert "/login/" not in page.url or name.startswith("login"), f"{path} asked to sign in"
        where = f"{name} {path}"
        if then:  # a state of the page reached by using it: checked in that state
            found |= check(page, where)
            then[0](page)
            where += " after sending it as it stands"
        found |= check(page, where)
    return found


def sent(button: str):
    """Send the page's form as it stands (empty, or as filled in) with ``button``: the
    page answers with what is missing or wrong, beside the fields."""

    def send(page) -> None:
        page.get_by_role("button", name=button, exact=True).click()
        expect(page.locator(".error, [role=alert]").first).to_be_visible()

    return send


def new_recovery_codes(page) -> None:
    """The codes page, which only answers the two-step page's form."""
    form = page.locator("form", has=page.get_by_role("button", name="Make new recovery codes"))
    form.get_by_label("Your password").fill(PASSWORD)
    form.get_by_role("button").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()


def wrong_password(page) -> None:
    page.get_by_label("Username").fill("ben")
    page.get_by_label("Password").fill("not the password")
    sent("Sign in")(page)


def offline_states(context, page, server: str, w) -> dict[str, list[dict]]:
    """What the phone shows a nurse with no signal: her day with a record saved on the
    phone and the outbox opened, her day reloaded from the phone, the page for what it
    does not keep, and the outbox when the record cannot be sent on the way back."""
    found = {}
    page.goto(f"{server}/day/")
    page.wait_for_function("() => document.documentElement.dataset.dayKept === 'true'")
    context.set_offline(True)
    expect(page.locator("#live-status")).to_have_text("Offline")
    page.get_by_role("link", name="Done…").first.tap()
    sheet = page.locator(f"#sheet-{w.visit.pk}")
    sheet.get_by_role("button", name="Save").tap()
    status = page.locator("#outbox-status")
    expect(status).to_have_text("Saved on this phone (1 waiting)")
    found |= check(page, "my-day offline, a record waiting")
    status.tap()
    expect(page.locator("#outbox-panel")).to_be_visible()
    found |= check(page, "my-day offline, the outbox open")
    page.reload()
    expect(page.get_by_text("No signal: this is your day as this phone kept it")).to_be_visible()
    found |= check(page, "my-day offline, as the phone kept it")
    page.goto(f"{server}/teams/noord/")
    expect(page.get_by_role("heading", name="No signal")).to_be_visible()
    found |= check(page, "offline page, a record waiting")
    page.get_by_role("link", name="My day").tap()
    fresh = Visit.objects.get(pk=w.visit.pk)
    visit_services.visit_assign(actor=w.ben, visit=fresh, person=w.ben, version=fresh.version)
    context.set_offline(False)
    expect(status).to_have_text("Could not send: see why", timeout=20000)
    expect(page.locator("#outbox-panel").get_by_role("alert")).to_be_visible()
    found |= check(page, "my-day, a record the server refused")
    return found


@pytest.mark.parametrize("persona", list(PERSONAS))
def test_no_serious_violation_on_any_page(
    persona, personas, server, can_log_in, browser, axe_source
):
    w = build(personas)
    username, pages_of = PERSONAS[persona]
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, has_touch=True)
    context.add_init_script(script=axe_source)
    page = context.new_page()
    found: dict[str, list[dict]] = {}
    if username is not None:
        person = Person.objects.get(username=username)
        can_log_in(person)
        log_in(page, server, username)
        if person == w.operator:
            # The second step of signing in: a page of its own, checked on the way.
            page.wait_for_url(re.compile(r"/login/code/"))
            found |= check(page, "login-code /login/code/")
            # The code of the next step: the one that turned it on cannot be used again.
            page.get_by_label("Code").fill(f"{totp(w.device.bin_key, t0=-30):06d}")
            page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login/" not in url)
    found |= walk(page, server, pages_of(w))
    if persona == "nurse":
        found |= offline_states(context, page, server, w)
    context.close()
    assert not found, "serious or critical accessibility violations:\n" + described(found)


def test_the_check_reports_what_it_finds(browser, axe_source):
    """The check itself: a page with a picture without words and grey on grey is
    reported, with the rule, its impact and where; a moderate finding is not."""
    page = browser.new_context(viewport=PHONE).new_page()
    page.set_content(
        '<!doctype html><html lang="en"><title>A page</title><body><main><h1>A page</h1>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" id="picture">'
        '<p style="color: #777; background: #888">Grey on grey</p>'
        "<h4>A heading that skips two levels</h4></main></body></html>"
    )
    page.add_script_tag(content=axe_source)
    found = {v["id"]: v for v in serious_violations(page)}
    assert set(found) == {"image-alt", "color-contrast"}
    assert found["image-alt"]["impact"] == "critical"
    assert found["image-alt"]["targets"] == ["#picture"]
    assert "image-alt (critical)" in described({"a page": list(found.values())})
    page.context.close()


def test_every_page_is_walked_or_said_not_to_be_a_page():
    """A new page of frontend.urls is walked by a persona above, or named here."""
    names = {p.name for p in frontend_urls.urlpatterns if isinstance(p, URLPattern)}
    w = SimpleNamespace(
        client=SimpleNamespace(pk=1),
        visit=SimpleNamespace(pk=1),
        lent=SimpleNamespace(pk=1),
        proposal=SimpleNamespace(pk=1),
        snapshot=SimpleNamespace(pk=1),
        their_note=SimpleNamespace(pk=1),
        own_note=SimpleNamespace(pk=1),
        email_token="t",
        invitation_token="t",
        tomorrow="2026-12-08",
        reset=("u", "t"),
    )
    walked = {page[0] for _, pages_of in PERSONAS.values() for page in pages_of(w)}
    walked.add("login-code")  # the operator's second step of signing in
    assert names - walked - set(NOT_PAGES) == set()
    assert set(NOT_PAGES) <= names, "NOT_PAGES names a route that is gone"
    assert not walked & set(NOT_PAGES)
