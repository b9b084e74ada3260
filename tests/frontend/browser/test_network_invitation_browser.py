"""On phones, as a family would: Mrs Jansen invites her daughter from "who can see
what" with two scopes; Petra accepts from the mail (read from the mail folder the
server writes to), makes her account and sees exactly those two; Mrs Jansen removes
her from the network, and Petra sees nothing of the record any more."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from playwright.sync_api import expect

from care.services import clients as client_services
from tests.frontend.browser.conftest import PHONE, log_in

SHOTS = Path("/tmp/shots-clients")
LINK = re.compile(r"/invitations/([A-Za-z0-9_:\-]+)/")


def phone(browser):
    return browser.new_context(viewport=PHONE, device_scale_factor=2, has_touch=True).new_page()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret would inject a <style>, which the page refuses.
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True, caret="initial")


def link_mailed_to(folder: Path, address: str) -> str:
    """The invitation link in the one mail the server wrote for ``address``."""
    found = []
    for path in sorted(folder.glob("*.log")):
        # The file backend writes each message as sent: MIME parts, quoted-printable.
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        if message["To"] != address:
            continue
        for part in message.walk():
            if part.get_content_maintype() == "text":
                found += LINK.findall(part.get_content())
    assert found, [p.name for p in folder.glob("*")]
    assert len(set(found)) == 1, found  # one invitation, in its text and its HTML part
    return found[0]


def test_the_client_invites_her_daughter_then_removes_her(
    personas, servers, can_log_in, browser, tmp_path
):
    mail = tmp_path / "mail"
    servers.env["EMAIL_URL"] = f"file://{mail}"
    server = servers.start("web")[0].url
    client = client_services.client_create(
        actor=personas.ana, team=personas.noord, first_name="Wilma", last_name="Jansen"
    )
    client_services.client_link_account(
        actor=personas.ana, client=client, account=personas.mrs_jansen
    )
    can_log_in(personas.mrs_jansen, personas.ana)

    # The team's side: the client has her account; a representative can be invited.
    ana = phone(browser)
    log_in(ana, server, "ana")
    ana.goto(f"{server}/clients/{client.pk}/")
    people = ana.locator("#people")
    expect(people).to_contain_text("Wilma Jansen signs in to see their record")
    people.get_by_text("Invite a representative").click()
    expect(people.get_by_label("Lasting power of attorney (health and welfare)")).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    people.screenshot(path=str(SHOTS / "0-team-people.png"), caret="initial")

    wilma = phone(browser)
    log_in(wilma, server, "mrs_jansen")
    wilma.get_by_role("link", name=re.compile("Your care record")).click()
    expect(wilma.get_by_role("heading", name="Who can see what")).to_be_visible()
    expect(wilma.locator("#representative")).to_contain_text("Nobody acts for you")
    wilma.get_by_text("Invite someone").click()
    form = wilma.locator("#invite-someone")
    form.get_by_label("Their email address").fill("petra@example.nl")
    form.get_by_label("Their name").fill("Petra Jansen")
    form.get_by_label("Who they are to you").fill("daughter")
    form.get_by_label("Visits and who is coming").check()
    form.get_by_label("Shared diary").check()
    shot(wilma, "1-invite-form")
    form.screenshot(path=str(SHOTS / "1-invite-form-only.png"), caret="initial")
    form.get_by_role("button", name="Send the invitation").click()
    expect(wilma.locator("#sharing .flash")).to_contain_text(
        "Invitation sent to petra@example.nl. Petra Jansen sees nothing until they accept."
    )
    petra_row = wilma.locator("#sharing li", has_text="Petra Jansen")
    expect(petra_row).to_contain_text("sees nothing until they accept")
    shot(wilma, "2-invited")
    wilma.locator("#sharing").screenshot(path=str(SHOTS / "2-invited-sharing.png"), caret="initial")

    # Petra opens the link in her mail on her own phone and makes her account.
    token = link_mailed_to(mail, "petra@example.nl")
    petra = phone(browser)
    petra.goto(f"{server}/invitations/{token}/")
    expect(
        petra.get_by_role("heading", name=re.compile("You are invited to see what"))
    ).to_be_visible()
    expect(petra.get_by_label("First name")).to_have_value("Petra")
    petra.get_by_label("Username (to sign in with)").fill("petra")
    petra.get_by_label("Password", exact=True).fill("Lang-en-sterk-42")
    petra.get_by_label("The password again").fill("Lang-en-sterk-42")
    shot(petra, "3-accept")
    petra.get_by_role("button", name="Accept and make my account").click()
    petra.get_by_role("link", name=re.compile("Wilma Jansen")).click()
    shared = petra.locator("#shared-with-you li")
    expect(shared).to_have_text(["Visits and who is coming", "Shared diary"])
    expect(petra.locator("#scope-visits")).to_be_visible()
    expect(petra.locator("#scope-diary")).to_be_visible()
    expect(petra.locator("#scope-plan")).to_have_count(0)
    expect(petra.locator("#scope-budget")).to_have_count(0)
    expect(petra.locator("#live-status")).to_have_text("Live")
    shot(petra, "4-daughter-sees-two")

    wilma.reload()
    petra_row = wilma.locator("#sharing li", has_text="Petra Jansen")
    expect(petra_row.locator(".sees")).to_have_text("Sees: visits and who is coming, shared diary")
    petra_row.get_by_role("button", name="Remove Petra Jansen from my network").click()
    expect(wilma.locator("#sharing .flash")).to_contain_text(
        "Petra Jansen is out of your network and sees nothing of it now."
    )
    expect(wilma.locator("#sharing li", has_text="Petra Jansen")).to_have_count(0)
    shot(wilma, "5-removed")
    wilma.locator("#sharing").screenshot(path=str(SHOTS / "5-removed-sharing.png"), caret="initial")

    # Her open page loses the record at once, and the server refuses it from now on.
    expect(petra.locator("#scope-visits")).to_have_count(0, timeout=5000)
    expect(petra.locator("#scope-diary")).to_have_count(0)
    response = petra.goto(f"{server}/portal/clients/{client.pk}/")
    assert response.status == 404
    petra.goto(f"{server}/")
    expect(petra.get_by_role("link", name=re.compile("Wilma Jansen"))).to_have_count(0)
    shot(petra, "6-daughter-sees-nothing")
