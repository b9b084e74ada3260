"""Clients, their network, and sharing the client controls."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from care import access
from care.models import AccessLogEntry, Client, Grant, NetworkMember
from care.selectors import clients as client_selectors
from care.services import clients as client_services
from coordination.events import EventRecord
from teams.errors import Conflict, PreconditionRequired

pytestmark = pytest.mark.django_db


@pytest.fixture
def jansen(personas):
    """Mrs Jansen, client of team Noord, with her own account; her daughter in her network."""
    client = client_services.client_create(
        actor=personas.ana,
        team=personas.noord,
        first_name="Wilma",
        last_name="Jansen",
        postcode="7413 AB",
    )
    Client.objects.filter(pk=client.pk).update(account=personas.mrs_jansen)
    client.refresh_from_db()
    daughter = client_services.network_add(
        actor=personas.ana,
        client=client,
        circle="informal",
        relationship="daughter",
        name="Petra Jansen",
        takes_on="Shopping on Saturdays",
        account=personas.daughter,
    )
    personas.client, personas.daughter_entry = client, daughter
    return personas


class TestClients:
    def test_a_member_takes_on_a_client_as_a_referral(self, jansen):
        client = jansen.client
        assert (client.status, client.team) == ("referral", jansen.noord)
        assert [c.status for c in client.status_changes.all()] == ["referral"]
        event = EventRecord.objects.get(stream=jansen.noord.stream, type="client.created")
        assert "Wilma" not in str(event.data) and "Jansen" not in str(event.data)

    @pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
    def test_nobody_else_takes_on_or_changes_a_client(self, jansen, outsiders, who):
        person = outsiders[who]
        with pytest.raises(PermissionDenied):
            client_services.client_create(
                actor=person, team=jansen.noord, first_name="X", last_name="Y"
            )
        with pytest.raises(PermissionDenied):
            client_services.client_update(actor=person, client=jansen.client, version=1, phone="1")
        with pytest.raises(PermissionDenied):
            client_services.client_set_status(actor=person, client=jansen.client, status="active")
        assert Client.objects.count() == 1
        assert Client.objects.get().phone == ""

    def test_status_moves_along_allowed_paths_with_history(self, jansen):
        client = client_services.client_set_status(
            actor=jansen.ben, client=jansen.client, status="active"
        )
        client = client_services.client_set_status(
            actor=jansen.ben, client=client, status="paused", note="hospital"
        )
        with pytest.raises(ValidationError) as err:
            client_services.client_set_status(actor=jansen.ben, client=client, status="referral")
        assert "status" in err.value.message_dict
        assert [c.status for c in client.status_changes.all()] == ["referral", "active", "paused"]

    def test_stale_edit_is_a_conflict_with_the_current_state(self, jansen):
        client_services.client_update(
            actor=jansen.ana, client=jansen.client, version=1, phone="0570 1"
        )
        with pytest.raises(Conflict) as err:
            client_services.client_update(
                actor=jansen.ben, client=jansen.client, version=1, phone="0570 2"
            )
        assert err.value.current["phone"] == "0570 1"
        assert err.value.message == "The client's details changed since you opened them."
        with pytest.raises(PreconditionRequired):
            client_services.client_update(
                actor=jansen.ben, client=jansen.client, version=None, phone="0570 2"
            )

    def test_bad_input_names_the_field(self, jansen):
        with pytest.raises(ValidationError) as err:
            client_services.client_create(
                actor=jansen.ana,
                team=jansen.noord,
                first_name=" ",
                last_name="X",
                date_of_birth=timezone.localdate() + datetime.timedelta(days=1),
            )
        assert set(err.value.message_dict) == {"first_name", "date_of_birth"}
        assert Client.objects.count() == 1


class TestSharing:
    def test_the_client_grants_scopes_and_the_member_sees_exactly_those(self, jansen):
        assert access.scopes(jansen.daughter, jansen.client) == frozenset()
        client_services.grant_scope(
            actor=jansen.mrs_jansen,
            client=jansen.client,
            member=jansen.daughter_entry,
            scope="visits",
        )
        client_services.grant_scope(
            actor=jansen.mrs_jansen,
            client=jansen.client,
            member=jansen.daughter_entry,
            scope="diary",
        )
        assert access.scopes(jansen.daughter, jansen.client) == {"visits", "diary"}
        assert access.can_read(jansen.daughter, jansen.client, "visits")
        assert not access.can_read(jansen.daughter, jansen.client, "plan")
        assert not access.can_read(jansen.daughter, jansen.client, "budget")

    def test_a_revoke_takes_effect_at_once(self, jansen):
        grant = client_services.grant_scope(
            actor=jansen.mrs_jansen,
            client=jansen.client,
            member=jansen.daughter_entry,
            scope="plan",
        )
        assert client_selectors.client_for(
            jansen.daughter, jansen.client.pk, scope="plan", what="plan"
        )
        client_services.grant_revoke(actor=jansen.mrs_jansen, grant=grant)
        assert (
            client_selectors.client_for(
                jansen.daughter, jansen.client.pk, scope="plan", what="plan"
            )
            is None
        )
        assert Grant.objects.get(pk=grant.pk).revoked_by == jansen.mrs_jansen

    def test_an_expired_grant_shows_nothing(self, jansen):
        soon = timezone.now() + datetime.timedelta(minutes=5)
        client_services.grant_scope(
            actor=jansen.mrs_jansen,
            client=jansen.client,
            member=jansen.daughter_entry,
            scope="visits",
            expires_at=soon,
        )
        assert access.can_read(jansen.daughter, jansen.client, "visits")
        import time_machine

        with time_machine.travel(soon + datetime.timedelta(seconds=1), tick=False):
            assert not access.can_read(jansen.daughter, jansen.client, "visits")

    def test_the_representative_decides_too(self, jansen):
        Client.objects.filter(pk=jansen.client.pk).update(
            representative=jansen.daughter, representative_basis="chosen"
        )
        jansen.client.refresh_from_db()
        other = client_services.network_add(
            actor=jansen.daughter,
            client=jansen.client,
            circle="formal",
            relationship="GP",
            name="Dr Haas",
        )
        client_services.grant_scope(
            actor=jansen.daughter, client=jansen.client, member=other, scope="plan"
        )
        assert Grant.objects.filter(member=other, scope="plan", revoked_at__isnull=True).exists()

    @pytest.mark.parametrize("who", ["ana", "ben", "cas", "coach", "inspector", "daughter"])
    def test_nobody_else_shares_the_clients_record(self, jansen, who):
        person = getattr(jansen, who)
        with pytest.raises(PermissionDenied):
            client_services.grant_scope(
                actor=person, client=jansen.client, member=jansen.daughter_entry, scope="plan"
            )
        assert not Grant.objects.exists()

    def test_grants_are_history_not_edits(self, jansen):
        first = client_services.grant_scope(
            actor=jansen.mrs_jansen,
            client=jansen.client,
            member=jansen.daughter_entry,
            scope="diary",
        )
        later = timezone.now() + datetime.timedelta(days=30)
        second = client_services.grant_scope(
            actor=jansen.mrs_jansen,
            client=jansen.client,
            member=jansen.daughter_entry,
            scope="diary",
            expires_at=later,
        )
        first.refresh_from_db()
        assert first.revoked_at is not None and second.pk != first.pk
        assert Grant.objects.filter(member=jansen.daughter_entry).count() == 2

    def test_a_grant_to_someone_outside_the_network_is_refused(self, jansen):
        other_client = client_services.client_create(
            actor=jansen.cas, team=jansen.zuid, first_name="Jan", last_name="Bos"
        )
        stranger = client_services.network_add(
            actor=jansen.cas,
            client=other_client,
            circle="informal",
            relationship="neighbour",
            name="Kees",
        )
        with pytest.raises(ValidationError) as err:
            client_services.grant_scope(
                actor=jansen.mrs_jansen, client=jansen.client, member=stranger, scope="plan"
            )
        assert err.value.message_dict == {"member": ["Not in this client's network."]}
        NetworkMember.objects.filter(pk=jansen.daughter_entry.pk).update(active=False)
        jansen.daughter_entry.refresh_from_db()
        with pytest.raises(ValidationError) as err:
            client_services.grant_scope(
                actor=jansen.mrs_jansen,
                client=jansen.client,
                member=jansen.daughter_entry,
                scope="plan",
            )
        assert "member" in err.value.message_dict

    def test_unknown_scope_is_refused(self, jansen):
        with pytest.raises(ValidationError) as err:
            client_services.grant_scope(
                actor=jansen.mrs_jansen,
                client=jansen.client,
                member=jansen.daughter_entry,
                scope="all",
            )
        assert "scope" in err.value.message_dict


class TestAccessLog:
    def test_every_read_is_logged_with_who_what_and_why(self, jansen):
        client_services.grant_scope(
            actor=jansen.mrs_jansen,
            client=jansen.client,
            member=jansen.daughter_entry,
            scope="visits",
        )
        client_selectors.client_for(jansen.ana, jansen.client.pk, scope="plan", what="care plan")
        client_selectors.client_for(
            jansen.daughter, jansen.client.pk, scope="visits", what="visits"
        )
        client_selectors.client_for(
            jansen.mrs_jansen, jansen.client.pk, scope="budget", what="budget"
        )
        rows = list(
            AccessLogEntry.objects.order_by("id").values_list("person__username", "what", "why")
        )
        assert rows == [
            ("ana", "care plan", "care team"),
            ("daughter", "visits", "shared with them: visits"),
            ("mrs_jansen", "budget", "own record"),
        ]

    @pytest.mark.parametrize("who", ["cas", "coach", "inspector", "daughter"])
    def test_refused_reads_see_nothing(self, jansen, who):
        person = getattr(jansen, who)
        for scope in Grant.Scope.values:
            assert (
                client_selectors.client_for(person, jansen.client.pk, scope=scope, what=scope)
                is None
            )
        assert not AccessLogEntry.objects.exists()

    def test_only_the_client_and_representative_read_the_log(self, jansen):
        assert client_selectors.access_log_of(jansen.mrs_jansen, jansen.client) is not None
        for who in ("ana", "daughter", "cas", "coach", "inspector"):
            assert client_selectors.access_log_of(getattr(jansen, who), jansen.client) is None

    def test_nobody_edits_or_deletes_it(self, jansen):
        client_selectors.client_for(jansen.ana, jansen.client.pk, scope="plan", what="plan")
        entry = AccessLogEntry.objects.get()
        entry.why = "changed"
        with pytest.raises(ValueError):
            entry.save()
        with pytest.raises(ValueError):
            entry.delete()


class TestAccountAndRepresentative:
    def test_the_team_links_the_clients_own_account_once(self, personas):
        client = client_services.client_create(
            actor=personas.ana, team=personas.noord, first_name="Wilma", last_name="Jansen"
        )
        for who in ("cas", "coach", "inspector", "daughter"):
            with pytest.raises(PermissionDenied):
                client_services.client_link_account(
                    actor=getattr(personas, who), client=client, account=personas.mrs_jansen
                )
        client = client_services.client_link_account(
            actor=personas.ana, client=client, account=personas.mrs_jansen
        )
        assert access.speaks_for(personas.mrs_jansen, client)
        other = client_services.client_create(
            actor=personas.ana, team=personas.noord, first_name="Jan", last_name="Bos"
        )
        with pytest.raises(ValidationError) as err:
            client_services.client_link_account(
                actor=personas.ana, client=other, account=personas.mrs_jansen
            )
        assert "account" in err.value.message_dict
        with pytest.raises(ValidationError):
            client_services.client_link_account(
                actor=personas.ana, client=other, account=personas.ben
            )

    def test_the_client_names_her_representative(self, jansen):
        client = client_services.client_set_representative(
            actor=jansen.mrs_jansen, client=jansen.client, person=jansen.daughter
        )
        assert access.can_manage_sharing(jansen.daughter, client)
        with pytest.raises(PermissionDenied):
            client_services.client_set_representative(
                actor=jansen.daughter, client=client, person=None
            )
        client = client_services.client_set_representative(
            actor=jansen.mrs_jansen, client=client, person=None
        )
        assert not access.can_manage_sharing(jansen.daughter, client)
