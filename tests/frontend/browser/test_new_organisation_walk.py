"""A new care organisation, from nothing to a family member and back out, on phones:
the founding commands found the network and a team with two founding members; both
accept their invitations from the mail; one raises an admit decision for a third
nurse by her address; it is adopted; she accepts and signs in; the team takes on a
client and invites her to the portal; the client invites her daughter with two
scopes; the daughter sees exactly those two; the client removes her and she sees
nothing. Nobody has a superuser or staff flag, and nobody uses a shell.

The founding commands and the consent engine's clock run in the test process (as
``manage.py found_team`` and the tick would), so their mail is in the test's outbox;
everything people do happens in the browser against a real daphne, whose mail goes to
files the test reads.
"""

from __future__ import annotations

import datetime
import re

import time_machine
from django.core import mail
from django.core.management import call_command
from django.db.models import Q
from playwright.sync_api import expect

from teams.models import Invitation, Membership, Person, Proposal
from teams.services import proposals as proposal_services
from tests.frontend.browser.conftest import open_menu
from tests.frontend.browser.test_network_invitation_browser import link_mailed_to, phone, shot

LINK = re.compile(r"/invitations/([A-Za-z0-9_:\-]+)/")
PASSWORD = "Zorg-in-de-buurt-2026"


def token_in_outbox(address: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [address]]
    tokens = set(LINK.findall(message.body)) | set(LINK.findall(message.alternatives[0].content))
    assert len(tokens) == 1, tokens
    return tokens.pop()


def make_account(page, server: str, token: str, *, first: str, last: str, username: str):
    page.goto(f"{server}/invitations/{token}/")
    page.get_by_label("First name").fill(first)
    page.get_by_label("Last name").fill(last)
    page.get_by_label("Username (to sign in with)").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("The password again").fill(PASSWORD)
    page.get_by_role("button", name="Accept and make my account").click()


def test_a_new_organisation_from_founding_to_a_family_member_and_out(servers, browser, tmp_path):
    outbox = tmp_path / "mail"
    servers.env["EMAIL_URL"] = f"file://{outbox}"
    server = servers.start("web")[0].url

    # The operator's commands: the network, and team West with its two founders.
    call_command("found_network", name="Buurtzorg Deventer", operator_email="ops@example.org")
    call_command(
        "found_team",
        name="West",
        town="Deventer",
        language="nl",
        time_zone="Europe/Amsterdam",
        founders="anna@example.org, bea@example.org",
        asked_by="Anna and Bea",
        why="Network meeting of 3 December: the new estate west of the station",
    )

    # Both founders accept from their mail and land on their new team.
    anna, bea = phone(browser), phone(browser)
    make_account(
        anna,
        server,
        token_in_outbox("anna@example.org"),
        first="Anna",
        last="Visser",
        username="anna",
    )
    expect(anna.get_by_role("heading", name="Team West")).to_be_visible()
    shot(anna, "walk-1-founder-home")
    make_account(
        bea,
        server,
        token_in_outbox("bea@example.org"),
        first="Bea",
        last="Kok",
        username="bea",
    )
    expect(bea.get_by_role("heading", name="Team West")).to_be_visible()
    members = anna.locator("#members")
    anna.reload()
    expect(members).to_contain_text("Anna Visser")
    expect(members).to_contain_text("Bea Kok")

    # Anna proposes to admit Cleo, who has no account, by her address; Bea consents.
    anna.goto(f"{server}/teams/west/proposals/new/?kind=admit_member")
    anna.get_by_label("Title").fill("Welcome Cleo")
    anna.get_by_label("Purpose: why, and what it solves").fill(
        "We need a third nurse for evenings."
    )
    anna.get_by_label("Or, someone new to Kith: their email address").fill("cleo@example.org")
    anna.get_by_label("Their name (optional)").fill("Cleo Smit")
    shot(anna, "walk-2-admit-by-address")
    anna.get_by_role("button", name="Raise the proposal").click()
    expect(anna.get_by_role("heading", name="Welcome Cleo")).to_be_visible()
    expect(anna.locator("main")).to_contain_text("Cleo Smit (cleo@example.org)")
    proposal = Proposal.objects.get(title="Welcome Cleo")
    bea.goto(f"{server}/proposals/{proposal.pk}/")
    bea.get_by_role("button", name="I consent").click()
    expect(bea.locator("main")).to_contain_text("You consent to this revision.")

    # The window closes with no objection: the tick adopts it and Cleo is invited.
    after = proposal.closes_at + proposal_services.SETTLE + datetime.timedelta(seconds=1)
    with time_machine.travel(after, tick=False):
        proposal_services.proposals_close_due()
    proposal.refresh_from_db()
    assert proposal.status == "adopted"
    assert not Membership.objects.filter(person__email="cleo@example.org").exists()
    cleo = phone(browser)
    make_account(
        cleo,
        server,
        token_in_outbox("cleo@example.org"),
        first="Cleo",
        last="Smit",
        username="cleo",
    )
    expect(cleo.get_by_role("heading", name="Team West")).to_be_visible()
    # She signs out and in again with what she chose. Through the header's button, as
    # she would: clearing the cookies under a live page raced its own refreshes, whose
    # redirect to the login page set a second CSRF cookie over the form's.
    open_menu(cleo)
    cleo.get_by_role("button", name=re.compile("^Sign out")).click()
    cleo.wait_for_url(re.compile(r"/login/"))
    cleo.get_by_label("Username").fill("cleo")
    cleo.get_by_label("Password").fill(PASSWORD)
    cleo.get_by_role("button", name="Sign in").click()
    expect(cleo.get_by_role("heading", name=re.compile("^My day"))).to_be_visible()
    membership = Membership.objects.current().get(person__username="cleo")
    assert membership.admitted_by == proposal and membership.team.slug == "west"

    # The team takes on Mrs Jansen and invites her to the portal.
    anna.goto(f"{server}/teams/west/clients/")
    take_on = anna.locator("#take-on")
    take_on.get_by_label("First name").fill("Wilma")
    take_on.get_by_label("Last name").fill("Jansen")
    take_on.get_by_role("button", name="Take on").click()
    anna.wait_for_url(re.compile(r"/clients/\d+/$"))  # taking on opens the client's page
    people = anna.locator("#people")
    people.get_by_text("Invite Wilma Jansen to the portal").click()
    portal_invite = people.locator("#portal-invite")
    portal_invite.get_by_label("Their email address").fill("wilma@example.nl")
    portal_invite.get_by_role("button", name="Send the invitation").click()
    expect(anna.locator("#people")).to_contain_text("wilma@example.nl")
    shot(anna, "walk-3-client-invited")

    # Wilma accepts on her own phone and opens her record.
    wilma = phone(browser)
    make_account(
        wilma,
        server,
        link_mailed_to(outbox, "wilma@example.nl"),
        first="Wilma",
        last="Jansen",
        username="wilma",
    )
    wilma.get_by_role("link", name=re.compile("Your care record")).click()
    expect(wilma.get_by_role("heading", name="Who can see what")).to_be_visible()

    # She invites her daughter with two scopes.
    wilma.get_by_text("Invite someone").click()
    form = wilma.locator("#invite-someone")
    form.get_by_label("Their email address").fill("petra@example.nl")
    form.get_by_label("Their name").fill("Petra Jansen")
    form.get_by_label("Who they are to you").fill("daughter")
    form.get_by_label("Visits and who is coming").check()
    form.get_by_label("Shared diary").check()
    form.get_by_role("button", name="Send the invitation").click()
    expect(wilma.locator("#sharing")).to_contain_text("sees nothing until they accept")

    # Petra accepts and sees exactly those two.
    petra = phone(browser)
    make_account(
        petra,
        server,
        link_mailed_to(outbox, "petra@example.nl"),
        first="Petra",
        last="Jansen",
        username="petra",
    )
    petra.get_by_role("link", name=re.compile("Wilma Jansen")).click()
    expect(petra.locator("#shared-with-you li")).to_have_text(
        ["Visits and who is coming", "Shared diary"]
    )
    expect(petra.locator("#scope-plan")).to_have_count(0)
    expect(petra.locator("#scope-budget")).to_have_count(0)
    shot(petra, "walk-4-daughter-sees-two")

    # Wilma removes her; Petra sees nothing of the record any more.
    wilma.reload()
    row = wilma.locator("#sharing li", has_text="Petra Jansen")
    row.get_by_role("button", name="Remove Petra Jansen from my network").click()
    expect(wilma.locator("#sharing li", has_text="Petra Jansen")).to_have_count(0)
    expect(petra.locator("#scope-visits")).to_have_count(0, timeout=5000)
    petra.goto(f"{server}/")
    expect(petra.get_by_role("link", name=re.compile("Wilma Jansen"))).to_have_count(0)
    shot(petra, "walk-5-daughter-sees-nothing")

    # Nobody needed a superuser or a staff flag; every invitation was used once.
    flags = Q(**{"is_" + "staff": True}) | Q(**{"is_" + "superuser": True})
    assert not Person.objects.filter(flags).exists()
    accepted = set(
        Invitation.objects.filter(accepted_at__isnull=False).values_list("email", flat=True)
    )
    assert accepted == {
        "anna@example.org",
        "bea@example.org",
        "cleo@example.org",
        "wilma@example.nl",
        "petra@example.nl",
    }
