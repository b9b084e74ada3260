"""Asking people into a client's record: the client's own account, the representative
(with the basis they act on) and the network (with what each may see), by invitation;
and taking them out again."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from care import access
from care.models import AccessLogEntry, Client, Grant, NetworkMember
from care.selectors import clients as client_selectors
from care.selectors import records
from care.services import clients as client_services
from care.services import invitations as service
from coordination.events import person_group
from teams.errors import Conflict
from teams.models import AuditEntry, Invitation, Person
from teams.services import invitations as machinery
from tests.care.invite_helpers import mailed, mailed_token, run_on_commit
from tests.care.jansen import jansen_with_family
from tests.factories import PersonFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Lang-en-sterk-42"


def details(username: str, first: str = "Petra", last: str = "Jansen") -> dict:
    return {"username": username, "first_name": first, "last_name": last, "password": PASSWORD}


@pytest.fixture
def mails(mailoutbox):
    """The mail sent (read through ``mailed``, which runs what waits for the commit)."""
    return mailoutbox


@pytest.fixture
def bare(personas):
    """Mrs Jansen as a new referral: no account, no representative, no network."""
    personas.client = client_services.client_create(
        actor=personas.ana, team=personas.noord, first_name="Wilma", last_name="Jansen"
    )
    return personas


@pytest.fixture
def family(personas):
    """Mrs Jansen with her own account; Petra (granted visits, diary, plan) and a GP
    without an account in her network."""
    personas.client, personas.petra = jansen_with_family(personas)
    return personas


def accept(email: str, person=None, username: str | None = None):
    token = mailed_token(email)
    if person is not None:
        return machinery.invitation_accept(token=token, person=person)
    return machinery.invitation_accept(token=token, details=details(username or "newbie"))


def stored(client: Client) -> tuple:
    client.refresh_from_db()
    return (
        client.account_id,
        client.representative_id,
        client.representative_basis,
        client.version,
        Invitation.objects.count(),
        NetworkMember.objects.count(),
        Grant.objects.count(),
    )


# --- the client's own account ---------------------------------------------------------


class TestClientInvite:
    def test_the_team_invites_the_client_and_accepting_links_her_account(self, bare, mails):
        invitation = service.client_invite(
            actor=bare.ben, client=bare.client, email="wilma@Example.NL"
        )
        assert invitation.email == "wilma@example.nl" and invitation.team == bare.noord
        [message] = mailed("wilma@example.nl")
        assert "to see your own care record, kept by team Noord" in message.body
        bare.client.refresh_from_db()
        assert bare.client.account_id is None
        _, person, _ = accept("wilma@example.nl", username="wilma")
        bare.client.refresh_from_db()
        assert bare.client.account == person and person.kind == Person.Kind.PORTAL
        assert access.speaks_for(person, bare.client)
        assert [r.relation for r in records.records_of(person)] == ["own"]

    @pytest.mark.parametrize("who", ["cas", "coach", "inspector", "mrs_jansen", "daughter"])
    def test_nobody_but_the_team_invites_the_client(self, bare, who, mails):
        before = stored(bare.client)
        with pytest.raises(PermissionDenied):
            service.client_invite(
                actor=getattr(bare, who), client=bare.client, email="wilma@example.nl"
            )
        assert stored(bare.client) == before and not mailed("wilma@example.nl")

    def test_a_client_with_an_account_is_not_invited_again(self, family, mails):
        with pytest.raises(ValidationError) as err:
            service.client_invite(actor=family.ana, client=family.client, email="w@example.nl")
        assert err.value.message_dict == {"email": ["Wilma Jansen has a Kith account already."]}
        assert not Invitation.objects.exists()

    def test_an_address_invited_already_is_resent_not_invited_twice(self, bare, mails):
        service.client_invite(actor=bare.ana, client=bare.client, email="wilma@example.nl")
        with pytest.raises(ValidationError) as err:
            service.client_invite(actor=bare.ben, client=bare.client, email="WILMA@example.nl")
        assert "resend that invitation instead" in err.value.message_dict["email"][0]
        with pytest.raises(ValidationError) as err:
            service.client_invite(actor=bare.ben, client=bare.client, email="other@example.nl")
        assert "open already, to wilma@example.nl" in err.value.message_dict["email"][0]
        assert Invitation.objects.count() == 1 and len(mailed("wilma@example.nl")) == 1

    def test_bad_addresses_are_refused_with_a_clear_message(self, bare, mails):
        bare.ben.email = "ben@noord.example"
        bare.ben.save()
        cases = {
            "not an address": "Enter a valid email address.",
            "ben@noord.example": "already has a Kith account of another kind",
        }
        for email, words in cases.items():
            with pytest.raises(ValidationError) as err:
                service.client_invite(actor=bare.ana, client=bare.client, email=email)
            assert words in err.value.message_dict["email"][0]
        assert not Invitation.objects.exists()

    def test_an_address_already_another_clients_own_is_refused(self, family, bare, mails):
        family.mrs_jansen.email = "wilma@example.nl"
        family.mrs_jansen.save()
        with pytest.raises(ValidationError) as err:
            service.client_invite(actor=bare.ana, client=bare.client, email="wilma@example.nl")
        assert err.value.message_dict == {
            "email": ["This address is another client's own account."]
        }

    def test_used_withdrawn_and_expired_links_say_so(self, bare, mails, settings):
        service.client_invite(actor=bare.ana, client=bare.client, email="wilma@example.nl")
        token = mailed_token("wilma@example.nl")
        invitation = Invitation.objects.get()
        machinery.invitation_withdraw(actor=bare.ben, invitation=invitation)
        with pytest.raises(machinery.LinkNotValid, match="withdrawn"):
            machinery.invitation_accept(token=token, details=details("wilma"))
        service.client_invite(actor=bare.ana, client=bare.client, email="wilma@example.nl")
        token = mailed_token("wilma@example.nl")
        later = timezone.now() + datetime.timedelta(days=settings.INVITATION_DAYS, minutes=1)
        with (
            time_machine.travel(later, tick=False),
            pytest.raises(machinery.LinkNotValid, match="expired"),
        ):
            machinery.invitation_accept(token=token, details=details("wilma"))
        machinery.invitation_accept(token=token, details=details("wilma"))
        with pytest.raises(machinery.LinkNotValid, match="accepted already"):
            machinery.invitation_accept(token=token, details=details("wilma2"))
        assert Person.objects.filter(username__startswith="wilma").count() == 1

    def test_the_client_invitation_is_managed_by_the_team_only(self, bare, mails):
        invitation = service.client_invite(
            actor=bare.ana, client=bare.client, email="wilma@example.nl"
        )
        assert machinery.may_manage(bare.ben, invitation)
        for who in ("cas", "coach", "inspector", "daughter"):
            assert not machinery.may_manage(getattr(bare, who), invitation)
            with pytest.raises(PermissionDenied):
                machinery.invitation_withdraw(actor=getattr(bare, who), invitation=invitation)


# --- the representative ---------------------------------------------------------------


class TestRepresentative:
    def test_the_team_invites_a_representative_with_their_basis(self, bare, mails):
        service.representative_invite(
            actor=bare.ana,
            client=bare.client,
            email="petra@example.nl",
            name="Petra Jansen",
            basis="lpa_health",
            note="LPA registered 2024",
        )
        [message] = mailed("petra@example.nl")
        assert "as their representative (lasting power of attorney (health and welfare))" in (
            " ".join(message.body.split())
        )
        _, petra, _ = accept("petra@example.nl", username="petra")
        client = Client.objects.get(pk=bare.client.pk)
        assert (client.representative, client.representative_basis) == (petra, "lpa_health")
        assert client.representative_note == "LPA registered 2024"
        assert client.representative_since is not None
        assert access.speaks_for(petra, client) and access.can_manage_sharing(petra, client)
        assert [r.relation for r in records.records_of(petra)] == ["representative"]

    def test_the_client_herself_names_her_representative_who_signs_in_to_accept(
        self, family, mails
    ):
        family.daughter.email = "petra@example.nl"
        family.daughter.save()
        service.representative_invite(
            actor=family.mrs_jansen,
            client=family.client,
            email="petra@example.nl",
            basis="chosen",
        )
        with pytest.raises(ValidationError, match="sign in to accept"):
            machinery.invitation_accept(
                token=mailed_token("petra@example.nl"), details=details("p2")
            )
        accept("petra@example.nl", person=family.daughter)
        family.client.refresh_from_db()
        assert family.client.representative == family.daughter
        assert family.client.representative_basis == "chosen"

    @pytest.mark.parametrize("who", ["cas", "coach", "inspector", "daughter"])
    def test_nobody_else_names_a_representative(self, family, who, mails):
        before = stored(family.client)
        with pytest.raises(PermissionDenied, match="Only the client, or their team"):
            service.representative_invite(
                actor=getattr(family, who),
                client=family.client,
                email="x@example.nl",
                basis="chosen",
            )
        assert stored(family.client) == before

    def test_the_representative_does_not_name_their_own_successor(self, family, mails):
        client_services.client_set_representative(
            actor=family.mrs_jansen, client=family.client, person=family.daughter, basis="chosen"
        )
        with pytest.raises(PermissionDenied):
            service.representative_invite(
                actor=family.daughter, client=family.client, email="x@example.nl", basis="chosen"
            )
        assert not Invitation.objects.exists()

    def test_bad_input_names_each_field_and_changes_nothing(self, family, mails):
        before = stored(family.client)
        with pytest.raises(ValidationError) as err:
            service.representative_invite(
                actor=family.ana,
                client=family.client,
                email="nope",
                basis="friend",
                note="x" * 201,
            )
        assert set(err.value.message_dict) == {"email", "basis", "note"}
        family.mrs_jansen.email = "wilma@example.nl"
        family.mrs_jansen.save()
        with pytest.raises(ValidationError, match="own address"):
            service.representative_invite(
                actor=family.ana, client=family.client, email="wilma@example.nl", basis="chosen"
            )
        assert stored(family.client) == before

    def test_a_second_representative_invitation_waits_for_the_first(self, bare, mails):
        service.representative_invite(
            actor=bare.ana, client=bare.client, email="a@example.nl", basis="deputy"
        )
        with pytest.raises(ValidationError, match="open already, to a@example.nl"):
            service.representative_invite(
                actor=bare.ana, client=bare.client, email="b@example.nl", basis="deputy"
            )
        with pytest.raises(ValidationError, match="resend that invitation instead"):
            service.representative_invite(
                actor=bare.ben, client=bare.client, email="a@example.nl", basis="deputy"
            )

    def test_accepting_replaces_the_representative_there_was(self, bare, mails, captured_sends):
        bare.client = client_services.client_set_representative(
            actor=bare.ana, client=bare.client, person=bare.daughter, basis="parent"
        )
        service.representative_invite(
            actor=bare.ana, client=bare.client, email="deputy@example.nl", basis="deputy"
        )
        _, deputy, done = accept("deputy@example.nl", username="deputy")
        client = Client.objects.get(pk=bare.client.pk)
        assert (client.representative, client.representative_basis) == (deputy, "deputy")
        assert done == {"client": client.pk, "replaces": bare.daughter.pk}
        assert not access.speaks_for(bare.daughter, client)
        run_on_commit()
        rung = {group for group, message in captured_sends if message["type"] == "access.changed"}
        assert {person_group(bare.daughter.pk), person_group(deputy.pk)} <= rung

    def test_the_last_representative_of_a_client_without_an_account_stays(self, bare, mails):
        client = client_services.client_set_representative(
            actor=bare.ana, client=bare.client, person=bare.daughter, basis="lpa_health"
        )
        before = stored(client)
        with pytest.raises(ValidationError) as err:
            service.representative_remove(actor=bare.ana, client=client)
        [words] = err.value.message_dict["representative"]
        assert "would leave nobody to decide who sees the record" in words
        with pytest.raises(ValidationError):
            client_services.client_set_representative(actor=bare.ana, client=client, person=None)
        assert stored(client) == before
        assert access.speaks_for(bare.daughter, Client.objects.get(pk=client.pk))

    def test_a_client_with_her_own_account_may_stop_her_representative(self, family, mails):
        client = client_services.client_set_representative(
            actor=family.mrs_jansen, client=family.client, person=family.daughter
        )
        for who in ("daughter", "cas", "coach", "inspector"):
            with pytest.raises(PermissionDenied):
                service.representative_remove(actor=getattr(family, who), client=client)
        with pytest.raises(Conflict) as err:
            service.representative_remove(
                actor=family.mrs_jansen, client=client, version=client.version - 1
            )
        assert err.value.current["representative"] == "Petra Jansen"
        assert err.value.message == "The client's record changed since you opened it."
        client = service.representative_remove(
            actor=family.mrs_jansen, client=client, version=client.version
        )
        assert client.representative is None and client.representative_basis == ""
        assert not access.speaks_for(family.daughter, client)
        with pytest.raises(ValidationError, match="has no representative"):
            service.representative_remove(actor=family.ana, client=client)

    def test_the_team_may_remove_it_too_when_the_client_decides_herself(self, family, mails):
        client = client_services.client_set_representative(
            actor=family.mrs_jansen, client=family.client, person=family.daughter
        )
        client = service.representative_remove(actor=family.ben, client=client)
        assert client.representative_id is None
        assert AuditEntry.objects.filter(
            action="client.representative_set", actor=family.ben
        ).exists()


# --- the network -----------------------------------------------------------------------


def invite(w, actor=None, email="kees@example.nl", scopes=("visits", "diary"), **fields):
    values = {
        "name": "Kees de Boer",
        "relationship": "neighbour",
        "circle": "informal",
        "expires_at": None,
    } | fields
    return service.network_invite(
        actor=actor or w.mrs_jansen, client=w.client, email=email, scopes=list(scopes), **values
    )


class TestNetworkInvite:
    def test_the_invitee_sees_nothing_until_accepting_then_exactly_what_was_chosen(
        self, family, mails
    ):
        ends = timezone.now() + datetime.timedelta(days=60)
        member, invitation = invite(family, expires_at=ends)
        assert (member.account, member.active, member.email) == (None, True, "kees@example.nl")
        assert not Grant.objects.filter(member=member).exists()
        [message] = mailed("kees@example.nl")
        assert "to see what Wilma Jansen shares with you in Kith" in message.body
        assert "visits and who is coming, shared diary" in message.body

        _, kees, done = accept("kees@example.nl", username="kees")

        assert access.scopes(kees, family.client) == {"visits", "diary"}
        grants = Grant.objects.filter(member=member)
        assert {(g.scope, g.granted_by, g.expires_at) for g in grants} == {
            ("visits", family.mrs_jansen, ends),
            ("diary", family.mrs_jansen, ends),
        }
        assert [r.relation for r in records.records_of(kees)] == ["shared"]
        assert done["scopes"] == ["visits", "diary"]

    def test_the_representative_invites_too(self, family, mails):
        client_services.client_set_representative(
            actor=family.mrs_jansen, client=family.client, person=family.daughter
        )
        family.client.refresh_from_db()
        invite(family, actor=family.daughter, circle="formal", relationship="pharmacist")
        assert NetworkMember.objects.filter(email="kees@example.nl", circle="formal").exists()

    @pytest.mark.parametrize("who", ["ana", "ben", "cas", "coach", "inspector", "daughter"])
    def test_only_the_client_or_representative_invites_into_the_network(self, family, who, mails):
        """The team (ana, ben) keeps the record but does not decide who sees it; Petra
        (daughter), who sees three scopes, does not share it further."""
        before = stored(family.client)
        with pytest.raises(PermissionDenied, match="Only the client or their representative"):
            invite(family, actor=getattr(family, who))
        assert stored(family.client) == before and not mailed("kees@example.nl")

    def test_bad_input_names_each_field_and_creates_nothing(self, family, mails):
        before = stored(family.client)
        cases = [
            ({"scopes": []}, "scopes"),
            ({"scopes": ["visits", "everything"]}, "scopes"),
            ({"expires_at": timezone.now() - datetime.timedelta(minutes=1)}, "expires_at"),
            ({"email": "not-an-address"}, "email"),
            ({"name": "  "}, "name"),
            ({"relationship": ""}, "relationship"),
            ({"circle": "close"}, "circle"),
        ]
        for given, field in cases:
            with pytest.raises(ValidationError) as err:
                invite(family, **given)
            assert field in err.value.message_dict, (given, err.value.message_dict)
        assert stored(family.client) == before

    def test_an_address_already_invited_is_refused_and_nothing_is_added(self, family, mails):
        invite(family)
        before = stored(family.client)
        with pytest.raises(ValidationError) as err:
            invite(family, email="KEES@example.nl", name="Kees again")
        assert "resend that invitation instead" in err.value.message_dict["email"][0]
        assert stored(family.client) == before

    def test_people_who_see_it_already_are_refused(self, family, mails):
        family.daughter.email = "petra@example.nl"
        family.daughter.save()
        family.mrs_jansen.email = "wilma@example.nl"
        family.mrs_jansen.save()
        before = stored(family.client)
        with pytest.raises(ValidationError, match="in the network already"):
            invite(family, email="petra@example.nl")
        with pytest.raises(ValidationError, match="whole record already"):
            invite(family, email="wilma@example.nl")
        assert stored(family.client) == before

    def test_an_address_of_another_kind_rolls_the_entry_back(self, family, mails):
        family.ben.email = "ben@noord.example"
        family.ben.save()
        before = stored(family.client)
        with pytest.raises(ValidationError, match="cannot be invited for this"):
            invite(family, email="ben@noord.example")
        assert stored(family.client) == before

    def test_the_client_withdraws_and_the_team_cannot(self, family, mails):
        _, invitation = invite(family)
        for who in ("ana", "cas", "daughter", "coach"):
            with pytest.raises(PermissionDenied):
                machinery.invitation_withdraw(actor=getattr(family, who), invitation=invitation)
        machinery.invitation_withdraw(actor=family.mrs_jansen, invitation=invitation)
        with pytest.raises(machinery.LinkNotValid, match="withdrawn"):
            accept("kees@example.nl")

    def test_an_invitation_whose_sharing_ended_before_accepting_says_so(self, family, mails):
        ends = timezone.now() + datetime.timedelta(days=2)
        invite(family, expires_at=ends)
        with (
            time_machine.travel(ends + datetime.timedelta(minutes=1), tick=False),
            pytest.raises(machinery.LinkNotValid, match="ended on"),
        ):
            accept("kees@example.nl")
        assert not Person.objects.filter(username="newbie").exists()

    def test_an_inviter_who_no_longer_decides_leaves_the_link_dead(self, family, mails):
        client_services.client_set_representative(
            actor=family.mrs_jansen, client=family.client, person=family.daughter
        )
        family.client.refresh_from_db()
        invite(family, actor=family.daughter)
        service.representative_remove(actor=family.mrs_jansen, client=family.client)
        with pytest.raises(machinery.LinkNotValid, match="no longer decides"):
            accept("kees@example.nl")
        assert not Grant.objects.filter(member__email="kees@example.nl").exists()


class TestOneAccountInTwoNetworks:
    def test_a_gp_sees_each_client_only_through_that_clients_grants(self, family, mails):
        from tests.care.visit_helpers import plan

        other = client_services.client_create(
            actor=family.cas, team=family.zuid, first_name="Jan", last_name="Bos"
        )
        jan = PersonFactory(username="jan", kind=Person.Kind.PORTAL)
        other = client_services.client_link_account(actor=family.cas, client=other, account=jan)
        plan(family.ana, family.client, timezone.now() + datetime.timedelta(days=1))
        invite(family, email="gp@praktijk.example", name="Dr Brinkman", scopes=("visits",))
        _, gp, _ = accept("gp@praktijk.example", username="brinkman")
        family.client = other
        service.network_invite(
            actor=jan,
            client=other,
            email="GP@praktijk.example",
            name="Dr Brinkman",
            relationship="GP",
            circle="formal",
            scopes=["plan"],
        )
        _, same, _ = accept("gp@praktijk.example", person=gp)

        assert (
            same == gp and Person.objects.filter(email__iexact="gp@praktijk.example").count() == 1
        )
        jansen = Client.objects.get(pk=family.petra.client_id)
        assert access.scopes(gp, jansen) == {"visits"}
        assert access.scopes(gp, other) == {"plan"}
        assert client_selectors.client_for(gp, jansen.pk, scope="visits", what="visits")
        assert client_selectors.client_for(gp, jansen.pk, scope="plan", what="plan") is None
        assert client_selectors.client_for(gp, other.pk, scope="visits", what="visits") is None
        assert client_selectors.client_for(gp, other.pk, scope="plan", what="plan")
        assert {r.client.pk: r.scopes for r in records.records_of(gp)} == {
            jansen.pk: ["visits"],
            other.pk: ["plan"],
        }


class TestNetworkRemove:
    def test_removal_ends_grants_at_once_and_keeps_the_history(self, family, mails, captured_sends):
        client_selectors.client_for(family.daughter, family.client.pk, scope="visits", what="v")
        member = service.network_remove(actor=family.mrs_jansen, member=family.petra)
        assert not member.active
        assert access.scopes(family.daughter, family.client) == frozenset()
        assert records.records_of(family.daughter) == []
        assert not Grant.objects.filter(member=member, revoked_at__isnull=True).exists()
        assert set(Grant.objects.filter(member=member).values_list("revoked_by", flat=True)) == {
            family.mrs_jansen.pk
        }
        assert AccessLogEntry.objects.filter(person=family.daughter).count() == 1
        assert NetworkMember.objects.filter(pk=member.pk).exists()
        run_on_commit()
        rung = {group for group, message in captured_sends if message["type"] == "access.changed"}
        assert person_group(family.daughter.pk) in rung
        again = service.network_remove(actor=family.mrs_jansen, member=member)
        assert again.version == member.version

    @pytest.mark.parametrize("who", ["ana", "cas", "coach", "inspector"])
    def test_nobody_else_removes_someone(self, family, who, mails):
        before = stored(family.client)
        with pytest.raises(PermissionDenied):
            service.network_remove(actor=getattr(family, who), member=family.petra)
        assert stored(family.client) == before
        assert access.scopes(family.daughter, family.client) == {"visits", "diary", "plan"}

    def test_a_member_may_leave_by_herself(self, family, mails):
        service.network_remove(actor=family.daughter, member=family.petra)
        assert AuditEntry.objects.filter(action="network.left", actor=family.daughter).exists()
        assert access.scopes(family.daughter, family.client) == frozenset()

    def test_a_stale_version_is_a_conflict(self, family, mails):
        with pytest.raises(Conflict) as err:
            service.network_remove(
                actor=family.mrs_jansen, member=family.petra, version=family.petra.version + 1
            )
        assert err.value.current["active"] is True
        # It said "This entry changed since you opened it.": the one wording names it.
        assert err.value.message == (
            "The entry in the client's network changed since you opened it."
        )
        assert access.scopes(family.daughter, family.client) == {"visits", "diary", "plan"}

    def test_removing_someone_invited_withdraws_the_invitation(self, family, mails):
        member, invitation = invite(family)
        service.network_remove(actor=family.mrs_jansen, member=member)
        invitation.refresh_from_db()
        assert invitation.withdrawn_by == family.mrs_jansen
        with pytest.raises(machinery.LinkNotValid, match="withdrawn"):
            accept("kees@example.nl")

    def test_someone_removed_may_be_invited_again(self, family, mails):
        family.daughter.email = "petra@example.nl"
        family.daughter.save()
        service.network_remove(actor=family.mrs_jansen, member=family.petra)
        member, _ = invite(family, email="petra@example.nl", name="Petra", scopes=("diary",))
        accept("petra@example.nl", person=family.daughter)
        assert access.scopes(family.daughter, family.client) == {"diary"}
        assert (
            NetworkMember.objects.filter(client=family.client, account=family.daughter).count() == 2
        )


class TestInvitationsOfAClient:
    def test_the_team_and_the_client_see_them_and_nobody_else(self, family, mails):
        invite(family)
        service.representative_invite(
            actor=family.ana, client=family.client, email="rep@example.nl", basis="chosen"
        )
        assert [i.purpose for i in service.invitations_of(family.client)] == [
            "representative",
            "network",
        ]
        for who in ("ana", "mrs_jansen"):
            assert service.may_see_invitations(getattr(family, who), family.client)
        for who in ("cas", "coach", "inspector", "daughter"):
            assert not service.may_see_invitations(getattr(family, who), family.client)
