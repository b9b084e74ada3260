"""The API of asking people into a client's record and taking them out: who may, who
is refused, and bad input in the one error shape with nothing half-done."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from care import access
from care.models import Client, Grant, NetworkMember
from care.services import clients as client_services
from care.services import invitations as service
from teams.models import Invitation
from teams.services import invitations as machinery
from tests.care.invite_helpers import mailed, mailed_token
from tests.care.jansen import jansen_with_family
from tests.doors import api, refused

pytestmark = pytest.mark.django_db

API = "/api/v1"
NOBODY = ["cas", "coach", "inspector"]


@pytest.fixture
def w(personas, mailoutbox):
    personas.client, personas.petra = jansen_with_family(personas)
    personas.bare = client_services.client_create(
        actor=personas.ana, team=personas.noord, first_name="Jan", last_name="Smit"
    )
    return personas


def rows() -> tuple:
    return (
        Invitation.objects.count(),
        NetworkMember.objects.count(),
        Grant.objects.filter(revoked_at__isnull=True).count(),
        list(Client.objects.order_by("pk").values_list("account", "representative", "version")),
    )


NETWORK_BODY = {
    "email": "kees@example.nl",
    "name": "Kees de Boer",
    "relationship": "neighbour",
    "circle": "informal",
    "scopes": ["visits", "diary"],
}


class TestPortalInvitation:
    def test_a_team_member_invites_the_client(self, w):
        url = f"{API}/clients/{w.bare.pk}/portal-invitation"
        response = api(w.ben).post(url, {"email": "jan@example.nl"}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["purpose"], body["status"], body["email"]) == (
            "client",
            "open",
            "jan@example.nl",
        )
        assert "token" not in str(body) and mailed_token("jan@example.nl") not in str(body)

    @pytest.mark.parametrize("who", ["mrs_jansen", "daughter", *NOBODY])
    def test_nobody_else_does(self, w, who):
        before = rows()
        url = f"{API}/clients/{w.bare.pk}/portal-invitation"
        response = api(getattr(w, who)).post(url, {"email": "jan@example.nl"}, format="json")
        assert response.status_code == 404
        assert rows() == before

    def test_an_address_invited_already_is_a_400_naming_the_email(self, w):
        url = f"{API}/clients/{w.bare.pk}/portal-invitation"
        api(w.ana).post(url, {"email": "jan@example.nl"}, format="json")
        before = rows()
        fields = refused(api(w.ben).post(url, {"email": "JAN@example.nl"}, format="json"), "")
        assert "resend that invitation instead" in fields["email"][0]
        fields = refused(api(w.ben).post(url, {"email": "nope"}, format="json"), "")
        assert fields == {"email": ["Enter a valid email address."]}
        assert rows() == before


class TestRepresentative:
    def test_the_team_invites_and_the_client_reads_the_basis(self, w):
        url = f"{API}/clients/{w.client.pk}/representative"
        body = {"email": "deputy@example.nl", "name": "Dee", "basis": "deputy", "note": "COP 123"}
        response = api(w.ana).post(url, body, format="json")
        assert response.status_code == 201, response.content
        assert response.json()["basis"] == "deputy"
        machinery.invitation_accept(
            token=mailed_token("deputy@example.nl"),
            details={
                "username": "dee",
                "first_name": "Dee",
                "last_name": "Puty",
                "password": "Lang-en-sterk-42",
            },
        )
        for who in ("mrs_jansen", "ana"):
            seen = api(getattr(w, who)).get(url).json()
            assert seen["representative"] == "Dee Puty"
            assert seen["basis_label"] == "Deputy appointed by the Court of Protection"

    def test_the_client_invites_her_own(self, w):
        url = f"{API}/clients/{w.client.pk}/representative"
        body = {"email": "rep@example.nl", "basis": "chosen"}
        assert api(w.mrs_jansen).post(url, body, format="json").status_code == 201

    @pytest.mark.parametrize(("who", "code"), [("daughter", 404), *((n, 404) for n in NOBODY)])
    def test_nobody_else_names_one_or_reads_it(self, w, who, code):
        """Petra sees parts of the record but not its details: to her, as to those who
        do not know the client, there is no such client here."""
        url = f"{API}/clients/{w.client.pk}/representative"
        before = rows()
        response = api(getattr(w, who)).post(
            url, {"email": "rep@example.nl", "basis": "chosen"}, format="json"
        )
        assert response.status_code == code
        assert api(getattr(w, who)).get(url).status_code == code
        assert rows() == before

    def test_bad_input_names_the_fields(self, w):
        url = f"{API}/clients/{w.client.pk}/representative"
        before = rows()
        fields = refused(api(w.ana).post(url, {"email": "x", "basis": "friend"}, format="json"), "")
        assert set(fields) == {"email", "basis"}
        assert rows() == before

    def test_removal_keeps_the_last_one_of_a_client_without_an_account(self, w):
        client = client_services.client_set_representative(
            actor=w.ana, client=w.bare, person=w.daughter, basis="parent"
        )
        url = f"{API}/clients/{client.pk}/representative/remove"
        before = rows()
        fields = refused(api(w.ana).post(url, {}, format="json"), "")
        assert "would leave nobody to decide" in fields["representative"][0]
        assert api(w.daughter).post(url, {}, format="json").status_code == 403
        assert rows() == before

    def test_removal_with_a_stale_version_is_a_409_and_then_succeeds(self, w):
        client = client_services.client_set_representative(
            actor=w.mrs_jansen, client=w.client, person=w.daughter
        )
        url = f"{API}/clients/{client.pk}/representative/remove"
        stale = api(w.mrs_jansen).post(url, {}, format="json", headers={"If-Match": '"1"'})
        assert stale.status_code == 409
        assert stale.json()["extra"]["current"]["representative"] == "Petra Jansen"
        done = api(w.mrs_jansen).post(
            url, {}, format="json", headers={"If-Match": f'"{client.version}"'}
        )
        assert done.status_code == 200 and done.json()["representative"] is None


class TestNetworkInvitations:
    def test_the_client_invites_with_scopes_and_nothing_is_granted_yet(self, w):
        url = f"{API}/clients/{w.client.pk}/network/invitations"
        ends = (timezone.now() + datetime.timedelta(days=30)).isoformat()
        response = api(w.mrs_jansen).post(url, NETWORK_BODY | {"expires_at": ends}, format="json")
        assert response.status_code == 201, response.content
        body = response.json()
        assert body["member"]["has_account"] is False and body["member"]["grants"] == []
        assert body["invitation"]["scopes"] == ["visits", "diary"]
        assert body["invitation"]["member"] == body["member"]["id"]
        assert len(mailed("kees@example.nl")) == 1

    @pytest.mark.parametrize(
        ("who", "code"),
        [("ana", 403), ("ben", 403), ("daughter", 404), *((n, 404) for n in NOBODY)],
    )
    def test_only_the_client_or_representative_invites(self, w, who, code):
        before = rows()
        url = f"{API}/clients/{w.client.pk}/network/invitations"
        response = api(getattr(w, who)).post(url, NETWORK_BODY, format="json")
        assert response.status_code == code, response.content
        if code == 403:
            assert response.json()["message"].startswith("Only the client or their representative")
        assert rows() == before and not mailed("kees@example.nl")

    def test_a_member_who_sees_the_details_is_refused_with_the_reason(self, w):
        client_services.grant_scope(
            actor=w.mrs_jansen, client=w.client, member=w.petra, scope="notes"
        )
        before = rows()
        url = f"{API}/clients/{w.client.pk}/network/invitations"
        response = api(w.daughter).post(url, NETWORK_BODY, format="json")
        assert response.status_code == 403
        assert "what the network sees is theirs to decide" in response.json()["message"]
        assert rows() == before

    def test_bad_input_is_a_400_naming_each_field_and_changes_nothing(self, w):
        url = f"{API}/clients/{w.client.pk}/network/invitations"
        before = rows()
        body = NETWORK_BODY | {
            "scopes": ["visits", "all"],
            "circle": "close",
            "expires_at": "2001-01-01T00:00:00Z",
        }
        fields = refused(api(w.mrs_jansen).post(url, body, format="json"), "")
        assert set(fields) == {"scopes", "circle", "expires_at"}
        api(w.mrs_jansen).post(url, NETWORK_BODY, format="json")
        before = rows()
        fields = refused(api(w.mrs_jansen).post(url, NETWORK_BODY, format="json"), "")
        assert "resend that invitation instead" in fields["email"][0]
        assert rows() == before

    def test_the_list_shows_them_to_the_team_and_the_client_only(self, w):
        api(w.mrs_jansen).post(
            f"{API}/clients/{w.client.pk}/network/invitations", NETWORK_BODY, format="json"
        )
        url = f"{API}/clients/{w.client.pk}/invitations"
        for who in ("mrs_jansen", "ana"):
            listed = api(getattr(w, who)).get(url).json()
            assert [(i["purpose"], i["email"]) for i in listed] == [("network", "kees@example.nl")]
        for who in ("daughter", *NOBODY):
            assert api(getattr(w, who)).get(url).status_code == 404

    def test_resend_and_withdraw_by_the_client_not_the_team(self, w):
        created = api(w.mrs_jansen).post(
            f"{API}/clients/{w.client.pk}/network/invitations", NETWORK_BODY, format="json"
        )
        pk = created.json()["invitation"]["id"]
        first = mailed_token("kees@example.nl")
        for who in ("ana", "daughter", *NOBODY):
            response = api(getattr(w, who)).post(f"{API}/client-invitations/{pk}/withdraw")
            assert response.status_code == 404
        resent = api(w.mrs_jansen).post(f"{API}/client-invitations/{pk}/resend")
        assert resent.status_code == 200 and resent.json()["send_count"] == 2
        assert mailed_token("kees@example.nl") != first
        withdrawn = api(w.mrs_jansen).post(f"{API}/client-invitations/{pk}/withdraw")
        assert withdrawn.json()["status"] == "withdrawn"
        fields = refused(api(w.mrs_jansen).post(f"{API}/client-invitations/{pk}/withdraw"), "")
        assert fields == {"invitation": ["This invitation was withdrawn."]}


class TestNetworkMemberRemove:
    def test_the_client_removes_petra_and_her_grants_end(self, w):
        url = f"{API}/network-members/{w.petra.pk}/remove"
        response = api(w.mrs_jansen).post(url, {}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["active"] is False and response.json()["grants"] == []
        assert access.scopes(w.daughter, w.client) == frozenset()
        assert api(w.daughter).get(f"{API}/clients/{w.client.pk}/visits").status_code == 404

    @pytest.mark.parametrize(("who", "code"), [("ana", 403), *((n, 404) for n in NOBODY)])
    def test_nobody_else_removes_her(self, w, who, code):
        before = rows()
        response = api(getattr(w, who)).post(f"{API}/network-members/{w.petra.pk}/remove")
        assert response.status_code == code
        assert rows() == before

    def test_a_stale_version_is_a_409(self, w):
        url = f"{API}/network-members/{w.petra.pk}/remove"
        response = api(w.mrs_jansen).post(url, {"version": 99}, format="json")
        assert response.status_code == 409
        assert response.json()["extra"]["current"]["active"] is True

    def test_petra_may_leave_by_herself(self, w):
        response = api(w.daughter).post(f"{API}/network-members/{w.petra.pk}/remove")
        assert response.status_code == 200
        assert not NetworkMember.objects.get(pk=w.petra.pk).active


def test_a_representative_invited_by_the_client_is_listed_for_the_team(w):
    service.representative_invite(
        actor=w.mrs_jansen, client=w.client, email="rep@example.nl", basis="chosen"
    )
    listed = api(w.ben).get(f"{API}/clients/{w.client.pk}/invitations").json()
    assert [(i["purpose"], i["basis"]) for i in listed] == [("representative", "chosen")]
