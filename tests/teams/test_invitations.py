"""Invitations and founding: the operator founds the network and a team, founders
accept from the mail, an adopted admit decision invites a new address, and every
way a link can fail says so and changes nothing."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from coordination.events import EventRecord
from teams.models import AuditEntry, CoachTerm, Invitation, Membership, Network, Person, Team
from teams.services import founding
from teams.services import invitations as service
from teams.services import proposals as proposal_services
from tests.doors import api, page_text, pages, two_step
from tests.factories import ClientFactory, PersonFactory

pytestmark = pytest.mark.django_db(transaction=False)

LINK = re.compile(r"https?://[^\s\"<>]+/invitations/([^/\s\"<>]+)/")
GOOD = {"first_name": "Lotte", "last_name": "Smit", "password": "a sturdy pass phrase 42"}


def link_in(message) -> str:
    """The invitation token in a mail, from its text and its HTML alike."""
    text_tokens = LINK.findall(message.body)
    html_tokens = LINK.findall(message.alternatives[0].content)
    assert text_tokens and set(text_tokens) == set(html_tokens)
    return text_tokens[0]


def sent_to(address: str):
    return [m for m in mail.outbox if m.to == [address]]


@pytest.fixture
def operator(db):
    return PersonFactory(username="olga", kind=Person.Kind.OPERATOR)


def found(actor=None, **overrides):
    fields = {
        "name": "West",
        "founders": ["a@example.org, b@example.org"],
        "asked_by": "Anna and Bea",
        "why": "Network meeting of 3 December",
        "town": "Deventer",
        "language": "nl",
        "time_zone": "Europe/Amsterdam",
    }
    fields.update(overrides)
    return founding.team_found(actor=actor, **fields)


def accept(token, **details):
    return service.invitation_accept(token=token, details={**GOOD, **details})


# --- founding ---------------------------------------------------------------------------


class TestFounding:
    def test_the_network_is_founded_once_and_its_operator_invited(
        self, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            network, invitation, token = founding.network_found(
                name="Buurtzorg Deventer", operator_email="Ops@Example.ORG"
            )
        assert Network.current() == network
        (message,) = mail.outbox
        assert message.to == ["Ops@example.org"]
        assert "operator" in message.subject
        assert link_in(message) == token
        _, person, _ = accept(token, username="ops")
        assert person.kind == Person.Kind.OPERATOR and founding.is_operator(person)
        assert not person.memberships.exists()
        with pytest.raises(ValidationError) as refused:
            founding.network_found(name="Another", operator_email="x@example.org")
        assert "founded already" in str(refused.value)

    def test_a_team_is_founded_with_its_locale_and_founders_invited(
        self, operator, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            team, sent = found(operator)
        assert (team.slug, team.language, team.time_zone) == ("west", "nl", "Europe/Amsterdam")
        assert set(team.roles.values_list("key", flat=True)) >= {"planner", "mentor"}
        assert not Membership.objects.filter(team=team).exists()  # nobody until they accept
        assert {m.to[0] for m in mail.outbox} == {"a@example.org", "b@example.org"}
        entry = AuditEntry.objects.get(action="team.founded")
        assert entry.actor == operator
        assert entry.data == {
            "asked_by": "Anna and Bea",
            "why": "Network meeting of 3 December",
            "founders": 2,
        }
        # A founder accepts: she is a member, and the team's stream says so.
        token = link_in(sent_to("a@example.org")[0])
        _, anna, _ = accept(token, username="anna", first_name="Anna")
        assert Membership.objects.current().filter(team=team, person=anna).exists()
        assert anna.kind == Person.Kind.MEMBER and anna.email == "a@example.org"
        assert EventRecord.objects.filter(stream=team.stream, type="membership.changed").exists()

    def test_only_an_operator_founds(self, personas):
        for who in (personas.ana, personas.coach, personas.inspector, personas.mrs_jansen):
            with pytest.raises(PermissionDenied):
                found(who)
        assert not Team.objects.filter(slug="west").exists()

    def test_bad_founding_input_names_each_field_and_founds_nothing(self, operator, personas):
        with pytest.raises(ValidationError) as refused:
            founding.team_found(
                actor=operator,
                name="Noord",
                founders=["not-an-address, mrs_jansen@kith.test"],
                asked_by="",
                why="",
                language="fr",
                time_zone="Mars/Olympus",
            )
        errors = refused.value.message_dict
        assert set(errors) >= {
            "name",
            "slug",
            "founders",
            "asked_by",
            "why",
            "language",
            "time_zone",
        }
        assert Team.objects.count() == 2 and not Invitation.objects.exists()
        with pytest.raises(ValidationError) as refused:
            found(operator, founders=["mrs_jansen@kith.test"])
        assert "not a nurse's or carer's" in str(refused.value)
        with pytest.raises(ValidationError) as refused:
            found(operator, founders=[", ".join(f"n{i}@example.org" for i in range(13))])
        assert "At most 12" in str(refused.value)

    def test_a_founder_with_an_account_signs_in_and_accepts(self, operator, personas):
        team, sent = found(operator, founders=["cas@kith.test"])
        ((invitation, token),) = sent
        with pytest.raises(ValidationError) as refused:
            accept(token, username="cas2")
        assert "sign in to accept" in str(refused.value)
        with pytest.raises(ValidationError) as refused:
            service.invitation_accept(token=token, person=personas.ana)
        assert "another account" in str(refused.value)
        _, person, _ = service.invitation_accept(token=token, person=personas.cas)
        assert person == personas.cas
        assert Person.objects.filter(email__iexact="cas@kith.test").count() == 1
        assert Membership.objects.current().filter(team=team, person=personas.cas).exists()

    def test_the_commands_found_and_print_the_links(self, capsys):
        call_command("found_network", name="Deventer", operator_email="ops@example.org")
        call_command(
            "found_team",
            name="Oost 2",
            founders="x@example.org,y@example.org",
            asked_by="Xandra",
            why="New estate east of the river",
        )
        out = capsys.readouterr().out
        assert out.count("/invitations/") == 3
        team = Team.objects.get(slug="oost-2")
        assert AuditEntry.objects.filter(
            action="team.founded", actor=None, target=f"teams.team:{team.pk}"
        ).exists()
        with pytest.raises(CommandError, match="asked_by: Required"):
            call_command("found_team", name="Z", founders="z@example.org", asked_by=" ", why="w")


# --- links ------------------------------------------------------------------------------


class TestLinks:
    def test_a_link_works_once(self, operator):
        _, [(_, token), _] = found(operator)
        accept(token, username="anna")
        with pytest.raises(service.LinkNotValid, match="accepted already"):
            accept(token, username="anna2")
        assert Person.objects.filter(email__iexact="a@example.org").count() == 1

    def test_an_expired_link_is_refused_and_a_resend_gives_a_new_one(self, operator):
        _, [(invitation, token), _] = found(operator)
        later = invitation.expires_at + datetime.timedelta(seconds=1)
        with time_machine.travel(later, tick=False):
            with pytest.raises(service.LinkNotValid, match="expired"):
                accept(token, username="anna")
            _, fresh = service.invitation_resend(actor=operator, invitation=invitation)
            with pytest.raises(service.LinkNotValid, match="newer invitation"):
                accept(token, username="anna")
            accept(fresh, username="anna")
        assert Invitation.objects.get(pk=invitation.pk).send_count == 2

    def test_a_withdrawn_link_is_refused(self, operator):
        _, [(invitation, token), _] = found(operator)
        service.invitation_withdraw(actor=operator, invitation=invitation)
        with pytest.raises(service.LinkNotValid, match="withdrawn"):
            accept(token, username="anna")
        assert not Person.objects.filter(username="anna").exists()

    @pytest.mark.parametrize(
        "token",
        ["nonsense", "WzEsIngiXQ:1xaPhU:forged-signature", "", "a" * 300],
    )
    def test_a_forged_link_is_refused(self, operator, token):
        found(operator)
        with pytest.raises(service.LinkNotValid, match="not a Kith invitation"):
            accept(token, username="anna")

    def test_an_address_already_invited_is_refused_until_it_expires(self, operator):
        team, [(invitation, _), _] = found(operator)
        with pytest.raises(ValidationError, match="invited already"):
            service.invitation_create(
                actor=operator, purpose="founding", email="A@example.org", team=team
            )
        with time_machine.travel(invitation.expires_at + datetime.timedelta(minutes=1), tick=False):
            again, _ = service.invitation_create(
                actor=operator, purpose="founding", email="a@example.org", team=team
            )
        assert Invitation.objects.get(pk=invitation.pk).withdrawn_at is not None
        assert again.pk != invitation.pk

    def test_a_name_too_long_is_refused_not_cut(self, operator):
        team = found(operator)[0]
        with pytest.raises(ValidationError) as refused:
            service.invitation_create(
                actor=operator, purpose="founding", email="z@example.org", team=team, name="N" * 121
            )
        assert refused.value.message_dict == {"name": ["At most 120 characters (this has 121)."]}

    def test_bad_account_details_make_nothing_and_keep_the_link(self, operator, personas):
        _, [(_, token), _] = found(operator)
        with pytest.raises(ValidationError) as refused:
            service.invitation_accept(
                token=token,
                details={"username": "ana", "first_name": "", "password": "12345678"},
            )
        errors = refused.value.message_dict
        assert set(errors) == {"username", "first_name", "password"}
        assert "taken" in errors["username"][0]
        assert not Person.objects.filter(email__iexact="a@example.org").exists()
        accept(token, username="anna")  # the link still works

    def test_a_portal_address_cannot_take_a_team_invitation(self, operator, personas):
        team = found(operator)[0]
        with pytest.raises(ValidationError, match="another kind"):
            service.invitation_create(
                actor=operator, purpose="founding", email="mrs_jansen@kith.test", team=team
            )

    def test_who_may_resend_and_withdraw(self, operator, personas):
        team, [(invitation, _), _] = found(operator)
        for who in (personas.ana, personas.coach, personas.inspector, personas.mrs_jansen):
            with pytest.raises(PermissionDenied):
                service.invitation_withdraw(actor=who, invitation=invitation)
        assert Invitation.objects.get(pk=invitation.pk).is_open


# --- admission by address ------------------------------------------------------------


def admit(personas, payload):
    proposal = proposal_services.proposal_raise(
        actor=personas.ana,
        team=personas.noord,
        kind="admit_member",
        title="Welcome Lotte",
        purpose="We need a night nurse.",
        payload=payload,
    )
    proposal_services.proposal_consent(actor=personas.ben, proposal=proposal)
    with time_machine.travel(
        proposal.closes_at + proposal_services.SETTLE + datetime.timedelta(seconds=1), tick=False
    ):
        proposal_services.proposals_close_due()
    proposal.refresh_from_db()
    return proposal


class TestAdmitByAddress:
    def test_an_adopted_admit_decision_invites_an_address_without_an_account(
        self, personas, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            proposal = admit(personas, {"email": "lotte@example.org", "name": "Lotte Smit"})
        assert proposal.status == "adopted"
        invitation = Invitation.objects.get(purpose="admit", email="lotte@example.org")
        assert invitation.decision == proposal and invitation.team == personas.noord
        assert proposal.outcome["invitation"] == invitation.pk
        assert not Membership.objects.filter(person__email="lotte@example.org").exists()
        (message,) = sent_to("lotte@example.org")
        assert "team Noord" in message.body and "decided to admit you" in message.body
        _, lotte, _ = accept(link_in(message), username="lotte")
        membership = Membership.objects.current().get(team=personas.noord, person=lotte)
        assert membership.admitted_by == proposal

    def test_an_address_with_an_account_is_admitted_at_once(self, personas):
        proposal = admit(personas, {"email": "CAS@kith.test"})
        assert proposal.status == "adopted"
        assert (
            Membership.objects.current().filter(team=personas.noord, person=personas.cas).exists()
        )
        assert not Invitation.objects.exists()

    @pytest.mark.parametrize(
        ("payload", "field", "message"),
        [
            ({"email": "not an address"}, "email", "valid email"),
            ({"email": "mrs_jansen@kith.test"}, "email", "not a nurse's or carer's"),
            ({"email": "ben@kith.test"}, "email", "Already a member"),
            ({"email": "x@example.org", "person": "1"}, "email", "not both"),
            ({"email": "x@example.org", "name": "x" * 121}, "name", "At most 120"),
        ],
    )
    def test_bad_addresses_are_refused_when_raised(self, personas, payload, field, message):
        with pytest.raises(ValidationError) as refused:
            proposal_services.proposal_raise(
                actor=personas.ana,
                team=personas.noord,
                kind="admit_member",
                title="Welcome",
                purpose="Because.",
                payload=payload,
            )
        assert message in " ".join(refused.value.message_dict[f"payload.{field}"])


# --- pages and API ------------------------------------------------------------------------


class TestDoors:
    def test_the_link_page_makes_the_account_and_signs_in(self, operator):
        _, [(_, token), _] = found(operator)
        browser = Client()
        url = reverse("invitation", args=[token])
        page = browser.get(url)
        assert page.status_code == 200
        assert "to found team West" in page_text(page)
        refused = browser.post(url, {**GOOD, "username": "anna", "password2": "different"})
        assert refused.status_code == 400 and "differ" in page_text(refused)
        done = browser.post(url, {**GOOD, "username": "anna", "password2": GOOD["password"]})
        assert done.status_code == 302
        assert browser.get(reverse("home")).status_code == 302  # one team: its home
        assert browser.get(url).status_code == 410

    def test_the_link_page_for_an_address_with_an_account_asks_to_sign_in(self, operator, personas):
        _, [(_, token)] = found(operator, founders=["cas@kith.test"])
        url = reverse("invitation", args=[token])
        page = Client().get(url)
        assert page.status_code == 200
        text = page_text(page)
        assert "has a Kith account already" in text and "Forgot your password?" in text
        assert f"/login/?next={url}" in text
        # Signed in as someone else: told to sign out; as cas: one button accepts.
        other = pages(personas.ana, js=False).get(url)
        assert "this invitation is for cas@kith.test" in page_text(other)
        cas = pages(personas.cas, js=False)
        assert "Accept" in page_text(cas.get(url))
        assert cas.post(url).status_code == 302
        assert Membership.objects.current().filter(person=personas.cas, team__slug="west").exists()

    def test_a_forged_link_page_is_404(self, db):
        assert Client().get(reverse("invitation", args=["forged"])).status_code == 404

    def test_the_team_lists_resends_and_withdraws_its_invitations(self, personas, outsiders):
        admit(personas, {"email": "lotte@example.org"})
        invitation = Invitation.objects.get()
        url = reverse("team-invitations", args=["noord"])
        page = pages(personas.ben, js=False).get(url)
        assert page.status_code == 200 and "lotte@example.org" in page_text(page)
        for who in outsiders.values():
            assert pages(who, js=False).get(url).status_code == 404
            action = reverse("invitation-action", args=[invitation.pk, "withdraw"])
            assert pages(who, js=False).post(action).status_code == 404
        assert Invitation.objects.get().is_open
        resend = reverse("invitation-action", args=[invitation.pk, "resend"])
        assert pages(personas.ben, js=False).post(resend).status_code == 302
        assert Invitation.objects.get().send_count == 2

    def test_the_api_opens_and_accepts_a_link(self, operator):
        _, [(_, token), _] = found(operator)
        anonymous = api(None)
        anonymous.force_authenticate(None)
        opened = anonymous.post(reverse("api-invitation-open"), {"token": token}, format="json")
        assert opened.status_code == 200 and opened.json()["has_account"] is False
        bad = anonymous.post(
            reverse("api-invitation-accept"),
            {"token": token, "username": "anna", "password": "1"},
            format="json",
        )
        assert bad.status_code == 400 and "password" in bad.json()["extra"]["fields"]
        done = anonymous.post(
            reverse("api-invitation-accept"),
            {"token": token, "username": "anna", **GOOD},
            format="json",
        )
        assert done.status_code == 201 and done.json()["created_account"] is True
        again = anonymous.post(reverse("api-invitation-accept"), {"token": token}, format="json")
        assert again.status_code == 410
        forged = anonymous.post(reverse("api-invitation-open"), {"token": "x"}, format="json")
        assert forged.status_code == 404

    def test_the_api_lists_a_teams_invitations_to_its_members_only(self, personas, outsiders):
        admit(personas, {"email": "lotte@example.org"})
        url = reverse("api-team-invitations", args=[personas.noord.pk])
        listed = api(personas.ben).get(url)
        assert listed.status_code == 200
        assert [row["email"] for row in listed.json()] == ["lotte@example.org"]
        assert listed.json()[0]["status"] == "open"
        pk = listed.json()[0]["id"]
        for who in outsiders.values():
            assert api(who).get(url).status_code == 404
            assert api(who).post(reverse("api-invitation-withdraw", args=[pk])).status_code == 404
        withdrawn = api(personas.ben).post(reverse("api-invitation-withdraw", args=[pk]))
        assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
        again = api(personas.ben).post(reverse("api-invitation-withdraw", args=[pk]))
        assert again.status_code == 400

    def test_the_operator_area_is_the_operators_alone(self, operator, personas, outsiders):
        for who in [personas.ana, *outsiders.values()]:
            assert pages(who, js=False).get(reverse("ops")).status_code == 404
            assert (
                pages(who, js=False).post(reverse("ops-team-found"), {"name": "X"}).status_code
                == 404
            )
        # Operators sign in with two steps: without, they are sent to set it up.
        unverified = pages(operator, js=False).get(reverse("ops"))
        assert unverified.status_code == 302 and "two-factor" in unverified["Location"]
        browser = two_step(operator)
        assert browser.get(reverse("ops")).status_code == 200
        refused = browser.post(reverse("ops-team-found"), {"name": "West"})
        assert refused.status_code == 400 and "Required" in page_text(refused)
        done = browser.post(
            reverse("ops-team-found"),
            {
                "name": "West",
                "founders": "a@example.org\nb@example.org",
                "asked_by": "Anna",
                "why": "Network meeting",
                "language": "en-gb",
                "time_zone": "Europe/London",
            },
        )
        assert done.status_code == 302
        assert Invitation.objects.filter(purpose="founding", team__slug="west").count() == 2
        assert "a@example.org" in page_text(browser.get(reverse("ops")))


class TestCoachByAddress:
    def raise_and_adopt(self, personas, payload):
        proposal = proposal_services.proposal_raise(
            actor=personas.ana,
            team=personas.noord,
            kind="coach_invite",
            title="Ask Carla to coach us",
            purpose="A second view on our rota.",
            payload=payload,
        )
        proposal_services.proposal_consent(actor=personas.ben, proposal=proposal)
        after = proposal.closes_at + proposal_services.SETTLE + datetime.timedelta(seconds=1)
        with time_machine.travel(after, tick=False):
            proposal_services.proposals_close_due()
        proposal.refresh_from_db()
        return proposal

    def test_a_coach_new_to_kith_is_invited_and_coaches_once_they_accept(
        self, personas, django_capture_on_commit_callbacks
    ):
        ends = (timezone.localdate() + datetime.timedelta(days=200)).isoformat()
        with django_capture_on_commit_callbacks(execute=True):
            proposal = self.raise_and_adopt(
                personas, {"email": "carla@example.org", "name": "Carla", "ends": ends}
            )
        assert proposal.status == "adopted"
        assert (
            not CoachTerm.objects.filter(team=personas.noord, ended__isnull=True)
            .exclude(coach=personas.coach)
            .exists()
        )
        (message,) = sent_to("carla@example.org")
        assert "to coach team Noord" in message.body
        _, carla, _ = accept(link_in(message), username="carla")
        assert carla.kind == Person.Kind.COACH
        term = CoachTerm.objects.get(team=personas.noord, coach=carla, ended__isnull=True)
        assert (term.invited_by, term.ends.isoformat()) == (proposal, ends)

    def test_a_member_address_cannot_be_invited_as_a_coach(self, personas):
        ends = (timezone.localdate() + datetime.timedelta(days=30)).isoformat()
        with pytest.raises(ValidationError) as refused:
            proposal_services.proposal_raise(
                actor=personas.ana,
                team=personas.noord,
                kind="coach_invite",
                title="Ask Cas",
                purpose="Because.",
                payload={"email": "cas@kith.test", "ends": ends},
            )
        assert "not a coach's" in str(refused.value)

    def test_a_link_for_a_coaching_term_that_ended_is_refused(self, personas):
        ends = (timezone.localdate() + datetime.timedelta(days=20)).isoformat()
        self.raise_and_adopt(personas, {"email": "carla@example.org", "ends": ends})
        invitation = Invitation.objects.get(purpose="coach")
        _, token = service.invitation_resend(actor=personas.ana, invitation=invitation)
        with time_machine.travel(timezone.now() + datetime.timedelta(days=25), tick=False):
            _, token = service.invitation_resend(actor=personas.ana, invitation=invitation)
            with pytest.raises(service.LinkNotValid, match="coaching the team asked for ended"):
                accept(token, username="carla")


def test_an_operator_invited_by_mail_uses_the_admin_read_only(operator, personas):
    """The operator kind, no staff flag: the admin lets them in after two steps, shows
    the records, and changes no team."""
    admin = two_step(operator)
    index = admin.get("/ops/admin/")
    assert index.status_code == 200 and "/ops/admin/teams/team/" in page_text(index)
    url = f"/ops/admin/teams/team/{personas.noord.pk}/change/"
    assert admin.get(url).status_code == 200
    assert admin.post(url, {"name": "Renamed"}).status_code == 403
    assert Team.objects.get(pk=personas.noord.pk).name == "Noord"
    # Everyone else: not the admin.
    for who in (personas.ana, personas.coach, personas.mrs_jansen):
        assert two_step(who).get("/ops/admin/", follow=True).status_code == 403


class TestAddresses:
    @pytest.mark.parametrize("address", ["\u212aate@example.org", "\u017fam@example.org"])
    def test_letters_that_fold_differently_before_the_at_are_refused(self, operator, address):
        team = found(operator)[0]
        with pytest.raises(ValidationError, match="plain letters"):
            service.invitation_create(actor=operator, purpose="founding", email=address, team=team)

    def test_an_international_domain_is_kept_in_its_ascii_form(self, operator):
        team = found(operator)[0]
        invitation, _ = service.invitation_create(
            actor=operator, purpose="founding", email="Anna@Bücher.example", team=team
        )
        assert invitation.email == "Anna@xn--bcher-kva.example"
        assert service.account_for("anna@XN--BCHER-KVA.example") is None

    def test_a_client_is_not_told_what_kind_of_account_an_address_has(self, personas):

        client = ClientFactory(team=personas.noord, first_name="W", last_name="J")
        with pytest.raises(ValidationError) as refused:
            service.invitation_create(
                actor=personas.mrs_jansen,
                purpose="network",
                email="ana@kith.test",
                team=personas.noord,
                target=client.pk,
            )
        message = str(refused.value)
        assert "cannot be invited" in message and "team member" not in message
        # A colleague is told.
        with pytest.raises(ValidationError, match=r"another kind \(team member\)"):
            service.invitation_create(
                actor=personas.ben,
                purpose="client",
                email="ana@kith.test",
                team=personas.noord,
                target=client.pk,
            )


def test_the_admin_does_not_reset_an_operators_second_step(operator, personas):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    other = PersonFactory(username="oscar", kind=Person.Kind.OPERATOR)
    TOTPDevice.objects.create(user=other, name="Authenticator app", confirmed=True)
    TOTPDevice.objects.create(user=personas.ana, name="Authenticator app", confirmed=True)
    admin = two_step(operator)
    response = admin.post(
        "/ops/admin/teams/person/",
        {"action": "reset_two_factor", "_selected_action": [other.pk, personas.ana.pk]},
        follow=True,
    )
    assert "not reset here: oscar" in page_text(response)
    assert TOTPDevice.objects.filter(user=other).exists()
    assert not TOTPDevice.objects.filter(user=personas.ana).exists()


def test_the_operator_counts_current_members_only(operator, personas):
    Membership.objects.filter(person=personas.ben).update(
        until=timezone.localdate() - datetime.timedelta(days=1)
    )
    page = page_text(two_step(operator).get(reverse("ops")))
    noord = page[page.index(f'data-team="{personas.noord.pk}"') :][:400]
    assert "1 member" in noord and "2 members" not in noord
