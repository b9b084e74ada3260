"""The pages that ask people into a client's record and take them out: the team's
"Portal and representative" section of the client page, and the portal's "who can
see what" (invite someone, pending invitations, remove from my network) and
representative sections. With and without htmx; everyone else gets 404 and nothing
changes."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from care import access
from care.models import Client, Grant, NetworkMember
from care.services import clients as client_services
from care.services import invitations as service
from teams.models import Invitation
from tests.care.invite_helpers import mailed, mailed_token
from tests.care.jansen import jansen_with_family
from tests.doors import page_text, pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(personas, mailoutbox):
    personas.client, personas.petra = jansen_with_family(personas, grants=("visits",))
    personas.bare = client_services.client_create(
        actor=personas.ana, team=personas.noord, first_name="Jan", last_name="Smit"
    )
    return personas


def rows() -> tuple:
    return (
        Invitation.objects.count(),
        NetworkMember.objects.filter(active=True).count(),
        Grant.objects.filter(revoked_at__isnull=True).count(),
        list(Client.objects.order_by("pk").values_list("account", "representative", "version")),
    )


INVITE = {
    "email": "kees@example.nl",
    "name": "Kees de Boer",
    "relationship": "neighbour",
    "circle": "informal",
    "scopes": ["visits", "diary"],
}


class TestTeamPage:
    def test_the_team_invites_the_client_and_a_representative(self, w):
        page = page_text(pages(w.ana).get(reverse("client", args=[w.bare.pk])))
        assert "Invite Jan Smit to the portal" in page and "Invite a representative" in page
        response = pages(w.ana).post(
            reverse("client-portal-invite", args=[w.bare.pk]),
            {"email": "jan@example.nl", "name": "Jan Smit"},
        )
        assert response.status_code == 200
        assert "Invitation sent to jan@example.nl." in page_text(response)
        response = pages(w.ana, js=False).post(
            reverse("client-representative-invite", args=[w.bare.pk]),
            {"email": "zoon@example.nl", "name": "Piet Smit", "basis": "lpa_property"},
        )
        assert response.status_code == 302
        page = page_text(pages(w.ben).get(reverse("client", args=[w.bare.pk])))
        assert "zoon@example.nl" in page and "jan@example.nl" in page
        assert "lasting power of attorney (property and financial affairs)" in page
        assert len(mailed("zoon@example.nl")) == 1

    def test_bad_input_comes_back_with_the_field_message(self, w):
        before = rows()
        response = pages(w.ana).post(
            reverse("client-representative-invite", args=[w.bare.pk]),
            {"email": "not an address", "basis": "friend"},
        )
        assert response.status_code == 400
        text = page_text(response)
        assert "Enter a valid email address." in text and "One of lpa_health" in text
        assert rows() == before

    def test_the_last_representative_stays_with_the_reason(self, w):
        client_services.client_set_representative(
            actor=w.ana, client=w.bare, person=w.daughter, basis="parent"
        )
        bare = Client.objects.get(pk=w.bare.pk)
        page = page_text(pages(w.ana).get(reverse("client", args=[bare.pk])))
        assert "stays their representative until the next one accepts" in page
        before = rows()
        response = pages(w.ana).post(
            reverse("client-representative-remove", args=[bare.pk]), {"version": bare.version}
        )
        assert response.status_code == 400
        assert "would leave nobody to decide" in page_text(response)
        assert rows() == before

    @pytest.mark.parametrize("who", ["cas", "coach", "inspector", "mrs_jansen", "daughter"])
    def test_nobody_else_reaches_these_doors(self, w, who):
        before = rows()
        person = getattr(w, who)
        for name, body in (
            ("client-portal-invite", {"email": "x@example.nl"}),
            ("client-representative-invite", {"email": "x@example.nl", "basis": "chosen"}),
            ("client-representative-remove", {"version": "1"}),
        ):
            assert pages(person).post(reverse(name, args=[w.client.pk]), body).status_code == 404
        assert rows() == before


class TestPortal:
    def test_the_client_invites_someone_who_sees_nothing_until_accepting(self, w):
        url = reverse("portal-network-invite", args=[w.client.pk])
        response = pages(w.mrs_jansen).post(url, INVITE | {"until": "2099-01-31"})
        assert response.status_code == 200
        text = page_text(response)
        assert (
            "Invitation sent to kees@example.nl. Kees de Boer sees nothing until they accept."
            in text
        )
        assert "then: visits and who is coming, shared diary, until 31 Jan 2099" in text
        member = NetworkMember.objects.get(email="kees@example.nl")
        assert member.account is None and not member.grants.exists()
        # The mail's link, then the invitee's account: now exactly those two.
        from teams.services import invitations as machinery

        _, kees, _ = machinery.invitation_accept(
            token=mailed_token("kees@example.nl"),
            details={
                "username": "kees",
                "first_name": "Kees",
                "last_name": "de Boer",
                "password": "Lang-en-sterk-42",
            },
        )
        assert access.scopes(kees, w.client) == {"visits", "diary"}
        page = page_text(pages(kees).get(reverse("portal-client", args=[w.client.pk])))
        assert "Visits and who is coming" in page and "Shared diary" in page
        assert "Care plan" not in page

    def test_bad_input_keeps_what_was_typed_and_creates_nothing(self, w):
        before = rows()
        url = reverse("portal-network-invite", args=[w.client.pk])
        response = pages(w.mrs_jansen).post(
            url, INVITE | {"scopes": [], "until": "2001-01-01", "email": "nope"}
        )
        assert response.status_code == 400
        text = page_text(response)
        assert "Choose at least one part of the record" in text
        assert (
            "Enter a valid email address." in text and "The expiry must be in the future." in text
        )
        assert 'value="Kees de Boer"' in text
        pages(w.mrs_jansen).post(url, INVITE)
        before = rows()
        again = pages(w.mrs_jansen).post(url, INVITE)
        assert again.status_code == 400 and "resend that invitation instead" in page_text(again)
        assert rows() == before

    def test_pending_invitations_can_be_sent_again_and_withdrawn(self, w):
        pages(w.mrs_jansen).post(reverse("portal-network-invite", args=[w.client.pk]), INVITE)
        invitation = Invitation.objects.get(purpose="network")
        page = page_text(pages(w.mrs_jansen).get(reverse("portal-client", args=[w.client.pk])))
        assert f'data-invited="{invitation.pk}"' in page
        back = reverse("portal-client", args=[w.client.pk])
        response = pages(w.mrs_jansen, js=False).post(
            reverse("invitation-action", args=[invitation.pk, "withdraw"]), {"next": back}
        )
        assert response.status_code == 302 and response["Location"] == back
        invitation.refresh_from_db()
        assert invitation.withdrawn_by == w.mrs_jansen
        # The team does not manage the client's network invitations.
        assert (
            pages(w.ana)
            .post(reverse("invitation-action", args=[invitation.pk, "resend"]))
            .status_code
            == 404
        )

    def test_remove_from_my_network_ends_what_she_sees(self, w):
        page = page_text(pages(w.mrs_jansen).get(reverse("portal-client", args=[w.client.pk])))
        assert "Remove Petra Jansen from my network" in page
        url = reverse("portal-network-remove", args=[w.client.pk, w.petra.pk])
        response = pages(w.mrs_jansen).post(url, {"version": w.petra.version})
        assert response.status_code == 200
        assert "Petra Jansen is out of your network and sees nothing of it now." in page_text(
            response
        )
        assert access.scopes(w.daughter, w.client) == frozenset()
        assert (
            pages(w.daughter).get(reverse("portal-client", args=[w.client.pk])).status_code == 404
        )

    @pytest.mark.parametrize("who", ["ana", "cas", "coach", "inspector", "daughter"])
    def test_nobody_else_invites_or_removes(self, w, who):
        before = rows()
        person = getattr(w, who)
        response = pages(person).post(reverse("portal-network-invite", args=[w.client.pk]), INVITE)
        assert response.status_code == 404
        response = pages(person).post(
            reverse("portal-network-remove", args=[w.client.pk, w.petra.pk]), {"version": "1"}
        )
        assert response.status_code == 404
        assert rows() == before and not mailed("kees@example.nl")

    def test_the_client_sees_her_representatives_basis_and_names_one(self, w):
        url = reverse("portal-client", args=[w.client.pk])
        assert "Nobody acts for you" in page_text(pages(w.mrs_jansen).get(url))
        response = pages(w.mrs_jansen, js=False).post(
            reverse("portal-representative", args=[w.client.pk, "invite"]),
            {"email": "petra@example.nl", "name": "Petra", "basis": "lpa_health"},
        )
        assert response.status_code == 302
        w.daughter.email = "petra@example.nl"
        w.daughter.save()
        from teams.services import invitations as machinery

        machinery.invitation_accept(token=mailed_token("petra@example.nl"), person=w.daughter)
        page = page_text(pages(w.mrs_jansen).get(url))
        assert "Petra Jansen acts for you since" in page
        assert "Lasting power of attorney (health and welfare)" in page
        rep_page = page_text(pages(w.daughter).get(url))
        assert "You act for Wilma Jansen since" in rep_page
        assert "Name a representative" not in rep_page  # not the representative's choice
        response = pages(w.daughter, js=False).post(
            reverse("portal-representative", args=[w.client.pk, "invite"]),
            {"email": "x@example.nl", "basis": "chosen"},
        )
        assert response.status_code == 404
        response = pages(w.mrs_jansen, js=False).post(
            reverse("portal-representative", args=[w.client.pk, "remove"]),
            {"version": Client.objects.get(pk=w.client.pk).version},
        )
        assert response.status_code == 302
        assert Client.objects.get(pk=w.client.pk).representative_id is None

    def test_the_representative_invites_into_the_network(self, w):
        client_services.client_set_representative(
            actor=w.mrs_jansen, client=w.client, person=w.daughter, basis="chosen"
        )
        response = pages(w.daughter).post(
            reverse("portal-network-invite", args=[w.client.pk]), INVITE
        )
        assert response.status_code == 200
        assert service.invitations_of(w.client).get().invited_by == w.daughter


def test_the_teams_invitations_page_lists_the_clients_and_representatives(w):
    service.client_invite(actor=w.ana, client=w.bare, email="jan@example.nl")
    service.representative_invite(
        actor=w.mrs_jansen, client=w.client, email="rep@example.nl", basis="deputy"
    )
    service.network_invite(
        actor=w.mrs_jansen,
        client=w.client,
        email="kees@example.nl",
        name="Kees",
        relationship="neighbour",
        circle="informal",
        scopes=["visits"],
    )
    page = page_text(pages(w.ben).get(reverse("team-invitations", args=["noord"])))
    assert "to see your own care record, kept by team Noord, in Kith" in page
    assert "to act for Wilma Jansen in Kith as their representative" in page
    # What the client shares with her network is hers to manage, not the team's.
    assert "kees@example.nl" not in page


def test_the_representative_form_is_one_form_on_the_client_page_and_in_the_portal(w):
    """One template (``_representative_form.html``): the team's page posts it to the
    team's door and swaps the section; the portal posts it to the client's own door."""

    def form_of(html: str, action: str) -> str:
        found = re.search(
            rf'<form method="post" action="{re.escape(action)}"[^>]*>.*?</form>', html, re.S
        )
        assert found, action
        return found.group(0)

    team_action = reverse("client-representative-invite", args=[w.client.pk])
    team = form_of(
        pages(w.ana).get(reverse("client", args=[w.client.pk])).content.decode(), team_action
    )
    own_action = reverse("portal-representative", args=[w.client.pk, "invite"])
    own = form_of(
        pages(w.mrs_jansen).get(reverse("portal-client", args=[w.client.pk])).content.decode(),
        own_action,
    )
    assert 'hx-target="#people"' in team and "hx-post" not in own
    assert "They act for Wilma Jansen as" in team and "They act for you as" in own
    for form in (team, own):
        assert re.findall(r'name="(\w+)"', form) == [
            "csrfmiddlewaretoken",
            "email",
            "name",
            *["basis"] * len(Client.Basis.choices),
            "note",
        ]
