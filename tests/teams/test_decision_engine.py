"""The consent engine: adoption with nobody looking, objections, amendments, effects."""

from __future__ import annotations

import datetime
import threading

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import close_old_connections, connection
from django.utils import timezone

from coordination.events import EventRecord
from teams import decisions
from teams.models import (
    AuditEntry,
    CoachTerm,
    Membership,
    Proposal,
    Response,
    Role,
    RoleTerm,
    Team,
)
from teams.services import effects as effect_services
from teams.services import proposals as proposal_services
from teams.services import reminders as reminder_services
from tests.factories import PersonFactory, member
from tests.factories import proposal as raise_

pytestmark = pytest.mark.django_db


@pytest.fixture
def noord(personas):
    """Team Noord with four members: ana, ben, femke, joris (quorum: 2)."""
    personas.femke = member("femke", personas.noord, first_name="Femke", last_name="Jansen")
    personas.joris = member("joris", personas.noord, first_name="Joris", last_name="Bosman")
    return personas


def after_window(proposal, extra=datetime.timedelta(seconds=1)):
    return proposal.closes_at + proposal_services.SETTLE + extra


def reload(proposal):
    return Proposal.objects.get(pk=proposal.pk)


class TestAdoption:
    def test_adopted_and_applied_by_the_tick_with_nobody_visiting(self, noord, capsys):
        newcomer = PersonFactory(username="lotte", first_name="Lotte", last_name="Smit")
        proposal = raise_(noord.ana, noord.noord, "admit_member", {"person": newcomer.pk})
        proposal_services.proposal_consent(actor=noord.ben, proposal=proposal)
        assert not Membership.objects.current().filter(person=newcomer).exists()
        with time_machine.travel(after_window(proposal), tick=False):
            call_command("tick")
        proposal = reload(proposal)
        assert proposal.status == "adopted"
        assert proposal.outcome["person"] == newcomer.pk
        membership = Membership.objects.current().get(person=newcomer, team=noord.noord)
        assert membership.admitted_by == proposal
        assert "adopted 1 proposal" in capsys.readouterr().out
        kinds = list(
            EventRecord.objects.filter(stream=noord.noord.stream).values_list("type", flat=True)
        )
        assert kinds[-2:] == ["membership.changed", "proposal.adopted"]
        assert EventRecord.objects.filter(stream=noord.noord.shared_stream).exists()

    def test_nothing_happens_before_the_window_closes(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        for who in (noord.ben, noord.femke, noord.joris):
            proposal_services.proposal_consent(actor=who, proposal=proposal)
        with time_machine.travel(proposal.closes_at - datetime.timedelta(minutes=1), tick=False):
            assert proposal_services.proposals_close_due() == []
        assert reload(proposal).status == "open"

    def test_too_few_responses_keeps_it_open_until_enough_consent(self, noord):
        proposal = raise_(noord.ana, noord.noord)  # 1 of 4 responded; 2 needed
        with time_machine.travel(after_window(proposal), tick=False):
            assert proposal_services.proposals_close_due() == []
            assert proposal_services.tally(reload(proposal)) | {} == {
                "members": 4,
                "needed": 2,
                "responded": 1,
                "consents": 1,
                "open_objections": 0,
            }
            # A late consent completes it; the tick adopts it.
            proposal_services.proposal_consent(actor=noord.ben, proposal=proposal)
        with time_machine.travel(after_window(proposal, datetime.timedelta(minutes=1)), tick=False):
            proposal_services.proposals_close_due()
        assert reload(proposal).status == "adopted"

    def test_an_open_objection_blocks_until_resolved_by_amendment(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        proposal_services.proposal_consent(actor=noord.ben, proposal=proposal)
        objection = proposal_services.proposal_object(
            actor=noord.femke, proposal=proposal, reason="Thursdays clash with the GP round."
        )
        with time_machine.travel(after_window(proposal), tick=False):
            assert proposal_services.proposals_close_due() == []
            assert reload(proposal).status == "open"
            amended = proposal_services.proposal_amend(
                actor=noord.ana,
                proposal=proposal,
                version=proposal.version,
                details="On Wednesdays instead.",
            )
        objection.refresh_from_db()
        assert objection.state == "resolved"
        assert amended.revision == 2
        assert amended.closes_at > proposal.closes_at
        # Consents to revision 1 do not count for revision 2: only ana's (automatic) does.
        assert proposal_services.tally(amended)["responded"] == 1
        proposal_services.proposal_consent(actor=noord.femke, proposal=amended)
        with time_machine.travel(after_window(amended), tick=False):
            assert proposal_services.proposals_close_due() == [proposal.pk]

    def test_withdrawing_the_objection_lets_it_through(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        objection = proposal_services.proposal_object(
            actor=noord.ben, proposal=proposal, reason="Unclear."
        )
        with time_machine.travel(after_window(proposal), tick=False):
            proposal_services.objection_withdraw(actor=noord.ben, objection=objection)
            proposal_services.proposals_close_due()
        assert reload(proposal).status == "adopted"

    def test_a_changed_mind_replaces_the_response(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        proposal_services.proposal_consent(actor=noord.ben, proposal=proposal)
        proposal_services.proposal_object(
            actor=noord.ben, proposal=proposal, reason="On reflection, no."
        )
        assert Response.objects.filter(proposal=proposal, person=noord.ben).count() == 1
        assert proposal_services.tally(reload(proposal))["open_objections"] == 1

    def test_an_effect_that_no_longer_applies_leaves_it_open_and_says_why(self, noord):
        newcomer = PersonFactory(username="lotte")
        proposal = raise_(noord.ana, noord.noord, "admit_member", {"person": newcomer.pk})
        other = raise_(noord.ben, noord.noord, "admit_member", {"person": newcomer.pk})
        # Three of four consent to both: still a quorum once the newcomer makes five.
        for who in (noord.ben, noord.femke):
            proposal_services.proposal_consent(actor=who, proposal=proposal)
        for who in (noord.ana, noord.femke):
            proposal_services.proposal_consent(actor=who, proposal=other)
        with time_machine.travel(after_window(other), tick=False):
            proposal_services.proposals_close_due()
        assert reload(proposal).status == "open"
        assert "Already a member" in reload(proposal).outcome["not_applied"]
        assert Membership.objects.current().filter(person=newcomer).count() == 1


class TestWhoMay:
    def test_only_members_raise_and_respond(self, noord, outsiders):
        proposal = raise_(noord.ana, noord.noord)
        for person in outsiders.values():
            with pytest.raises(PermissionDenied):
                raise_(person, noord.noord)
            with pytest.raises(PermissionDenied):
                proposal_services.proposal_consent(actor=person, proposal=proposal)
            with pytest.raises(PermissionDenied):
                proposal_services.proposal_object(actor=person, proposal=proposal, reason="No.")
        assert Proposal.objects.count() == 1
        assert Response.objects.count() == 1

    def test_an_invited_coach_comments_but_never_decides(self, noord):
        invite = raise_(
            noord.ana,
            noord.noord,
            "coach_invite",
            {"coach": noord.coach.pk, "ends": "2099-12-31"},
        )
        proposal_services.proposal_consent(actor=noord.ben, proposal=invite)
        with time_machine.travel(after_window(invite), tick=False):
            proposal_services.proposals_close_due()
        assert CoachTerm.objects.filter(coach=noord.coach, ended__isnull=True).exists()
        proposal = raise_(noord.ana, noord.noord)
        comment = proposal_services.proposal_comment(
            actor=noord.coach, proposal=proposal, body="Have you asked team Zuid?", kind="question"
        )
        assert comment.kind == "question"
        for act in (
            lambda: proposal_services.proposal_consent(actor=noord.coach, proposal=proposal),
            lambda: proposal_services.proposal_object(
                actor=noord.coach, proposal=proposal, reason="x"
            ),
            lambda: raise_(noord.coach, noord.noord),
            lambda: proposal_services.proposal_withdraw(actor=noord.coach, proposal=proposal),
        ):
            with pytest.raises(PermissionDenied):
                act()

    def test_only_the_author_amends_or_withdraws(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        with pytest.raises(PermissionDenied):
            proposal_services.proposal_amend(
                actor=noord.ben, proposal=proposal, version=1, title="Mine"
            )
        with pytest.raises(PermissionDenied):
            proposal_services.proposal_withdraw(actor=noord.ben, proposal=proposal)
        assert reload(proposal).title == "Proposal of kind general"


class TestBadInput:
    @pytest.mark.parametrize(
        "extra, field",
        [
            ({"purpose": "  "}, "purpose"),
            ({"title": ""}, "title"),
            ({"window": datetime.timedelta(minutes=59)}, "window_hours"),
            ({"window": datetime.timedelta(days=14, seconds=1)}, "window_hours"),
            ({"review_date": datetime.date(2000, 1, 1)}, "review_date"),
        ],
    )
    def test_refused_with_the_field_named_and_nothing_saved(self, noord, extra, field):
        with pytest.raises(ValidationError) as err:
            raise_(noord.ana, noord.noord, **extra)
        assert field in err.value.message_dict
        assert not Proposal.objects.exists()
        assert not EventRecord.objects.exists()

    def test_handover_to_a_non_member_is_refused(self, noord):
        with pytest.raises(ValidationError) as err:
            raise_(
                noord.ana, noord.noord, "role_handover", {"role": "planner", "person": noord.cas.pk}
            )
        assert err.value.message_dict == {"payload.person": ["Not a current member of this team."]}

    def test_objection_after_the_window_is_refused(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        with pytest.raises(ValidationError, match="window has closed"):
            proposal_services.proposal_object(
                actor=noord.ben, proposal=proposal, reason="Late", at=proposal.closes_at
            )
        assert proposal_services.tally(reload(proposal))["open_objections"] == 0

    def test_consent_on_a_withdrawn_proposal_is_refused(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        proposal_services.proposal_withdraw(actor=noord.ana, proposal=proposal)
        with pytest.raises(ValidationError, match="withdrawn"):
            proposal_services.proposal_consent(actor=noord.ben, proposal=proposal)

    def test_objection_needs_a_reason(self, noord):
        proposal = raise_(noord.ana, noord.noord)
        with pytest.raises(ValidationError) as err:
            proposal_services.proposal_object(actor=noord.ben, proposal=proposal, reason=" ")
        assert "reason" in err.value.message_dict


class TestEffects:
    def adopt(self, personas, proposal):
        for who in (personas.ben, personas.femke):
            if who.pk != proposal.author_id:
                proposal_services.proposal_consent(actor=who, proposal=proposal)
        with time_machine.travel(after_window(proposal), tick=False):
            proposal_services.proposals_close_due()
        proposal = reload(proposal)
        assert proposal.status == "adopted", proposal.outcome
        return proposal

    def test_role_handover_ends_the_previous_term_and_keeps_its_notes(self, noord):
        first = self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "role_handover",
                {
                    "role": "planner",
                    "person": noord.ana.pk,
                    "handover_notes": "Rota in the blue folder.",
                },
            ),
        )
        second = self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "role_handover",
                {
                    "role": "planner",
                    "person": noord.ben.pk,
                    "handover_notes": "Now on the shared drive.",
                },
            ),
        )
        terms = list(
            RoleTerm.objects.filter(role__key="planner", role__team=noord.noord).order_by("id")
        )
        assert [(t.person, t.ended is None) for t in terms] == [
            (noord.ana, False),
            (noord.ben, True),
        ]
        assert [t.decision for t in terms] == [first, second]
        assert terms[0].handover_notes == "Rota in the blue folder."

    def test_removing_a_member_ends_their_roles_and_keeps_history(self, noord):
        self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "role_handover",
                {"role": "mentor", "person": noord.joris.pk},
            ),
        )
        removal = self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "remove_member",
                {"person": noord.joris.pk, "reason": "moved away"},
            ),
        )
        on = timezone.localtime(removal.decided_at).date()
        membership = Membership.objects.get(person=noord.joris, team=noord.noord)
        assert (membership.left, membership.left_reason, membership.ended_by) == (
            on,
            "moved away",
            removal,
        )
        assert RoleTerm.objects.get(person=noord.joris).ended == on

    def test_a_member_may_leave_after_a_last_day_agreed_ahead(
        self, noord, captured_sends, django_capture_on_commit_callbacks
    ):
        from coordination.events import person_group
        from teams import access

        self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "role_handover",
                {"role": "mentor", "person": noord.joris.pk},
            ),
        )
        last_day = timezone.localdate() + datetime.timedelta(days=10)
        with django_capture_on_commit_callbacks(execute=True):
            self.adopt(
                noord,
                raise_(
                    noord.ana,
                    noord.noord,
                    "remove_member",
                    {"person": noord.joris.pk, "reason": "retiring", "until": last_day.isoformat()},
                ),
            )
        membership = Membership.objects.get(person=noord.joris, team=noord.noord)
        assert (membership.until, membership.left) == (last_day, None)
        # His sockets hear of it (they keep a timer for the day's end).
        assert (person_group(noord.joris.pk), {"type": "access.changed"}) in captured_sends
        end = timezone.make_aware(datetime.datetime.combine(last_day, datetime.time(23, 59)))
        with time_machine.travel(end, tick=False):
            assert access.is_member(noord.joris, noord.noord)
            assert effect_services.memberships_end_due() == []
        with time_machine.travel(end + datetime.timedelta(minutes=2), tick=False):
            # The day is over: no longer a member at any door, before the clock tidies.
            assert not access.is_member(noord.joris, noord.noord)
            assert noord.noord not in access.teams_visible_to(noord.joris)
            call_command("tick")  # the clock closes it
            assert effect_services.memberships_end_due() == []  # once
        membership.refresh_from_db()
        next_day = last_day + datetime.timedelta(days=1)
        assert (membership.left, membership.left_reason) == (next_day, "retiring")
        assert RoleTerm.objects.get(person=noord.joris).ended == next_day
        assert AuditEntry.objects.filter(
            action="membership.ended", target__endswith=f":{membership.pk}"
        ).exists()

    @pytest.mark.parametrize(
        ("until", "message"),
        [("2027-02-30", "Not a date"), ("next week", "Not a date"), ("far", "Not a date")],
    )
    def test_a_last_day_that_is_not_a_date_is_refused(self, noord, until, message):
        with pytest.raises(ValidationError) as err:
            raise_(
                noord.ana, noord.noord, "remove_member", {"person": noord.joris.pk, "until": until}
            )
        assert message in str(err.value.message_dict["payload.until"])

    def test_a_last_day_more_than_a_year_ahead_is_refused(self, noord):
        far = timezone.localdate() + datetime.timedelta(days=400)
        with pytest.raises(ValidationError) as err:
            raise_(
                noord.ana,
                noord.noord,
                "remove_member",
                {"person": noord.joris.pk, "until": far.isoformat()},
            )
        assert err.value.message_dict["payload.until"] == ["At most a year ahead."]

    def test_a_last_day_passed_by_adoption_means_at_once(self, noord):
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "remove_member",
                {"person": noord.joris.pk, "until": yesterday.isoformat()},
            ),
        )
        membership = Membership.objects.get(person=noord.joris, team=noord.noord)
        assert membership.left is not None and membership.until is None

    def test_agreement_versions(self, noord):
        self.adopt(
            noord,
            raise_(noord.ana, noord.noord, "agreement", {"text": "We visit in pairs at night."}),
        )
        self.adopt(
            noord,
            raise_(noord.ana, noord.noord, "agreement", {"text": "We visit in pairs after 22:00."}),
        )
        assert list(noord.noord.agreements.values_list("number", "text")) == [
            (2, "We visit in pairs after 22:00."),
            (1, "We visit in pairs at night."),
        ]

    def test_team_split_moves_members_with_history_and_tells_both_streams(self, noord, monkeypatch):
        self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "role_handover",
                {"role": "planner", "person": noord.femke.pk},
            ),
        )
        self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "role_handover",
                {"role": "mentor", "person": noord.joris.pk},
            ),
        )
        self.adopt(
            noord,
            raise_(
                noord.ana,
                noord.noord,
                "role_handover",
                {"role": "informer", "person": noord.ana.pk},
            ),
        )
        calls = []

        def apply(old, new, moving, value, decision):  # as care registers for clients
            calls.append((old.pk, new.pk, moving, value, decision.pk))
            return {"lockers_moved": value, "summary": "the lockers went along"}

        lockers = decisions.SplitParticipant(
            key="lockers",
            label="Lockers that move",
            validate=lambda team, moving, value: sorted(value),
            suggest=lambda team, moving: [f"locker of {pk}" for pk in moving],
            apply=apply,
        )
        # Registered for this test only: the registry is put back afterwards.
        monkeypatch.setattr(decisions, "_SPLIT_PARTICIPANTS", dict(decisions._SPLIT_PARTICIPANTS))
        decisions.register_split_participant(lockers)
        proposal = raise_(
            noord.ana,
            noord.noord,
            "team_split",
            {
                "new_name": "Noord-Oost",
                "stays_name": "Noord-West",
                "moving": [noord.femke.pk, noord.joris.pk],
                "roles": {"planner": "move", "mentor": "end"},
            },
        )
        moving = sorted([noord.femke.pk, noord.joris.pk])
        # Left out, the participant's part is its suggestion, stated in the payload.
        assert proposal.payload["lockers"] == [f"locker of {pk}" for pk in moving]
        split = self.adopt(noord, proposal)
        old = Team.objects.get(pk=noord.noord.pk)
        new = Team.objects.get(name="Noord-Oost")
        assert old.name == "Noord-West" and new.split_from == old
        assert set(
            Membership.objects.current().filter(team=old).values_list("person__username", flat=True)
        ) == {"ana", "ben"}
        assert set(
            Membership.objects.current().filter(team=new).values_list("person__username", flat=True)
        ) == {"femke", "joris"}
        moved = Membership.objects.current().get(team=new, person=noord.femke)
        assert moved.continues.team == old and moved.continues.joined == datetime.date(2024, 1, 8)
        # planner moved with femke; mentor ended; informer stayed with ana.
        assert (
            RoleTerm.objects.get(role__team=new, role__key="planner", ended__isnull=True).person
            == noord.femke
        )
        assert not RoleTerm.objects.filter(role__key="mentor", ended__isnull=True).exists()
        assert (
            RoleTerm.objects.get(role__team=old, role__key="informer", ended__isnull=True).person
            == noord.ana
        )
        assert Role.objects.filter(team=new).count() == 5
        assert calls == [(old.pk, new.pk, moving, proposal.payload["lockers"], split.pk)]
        assert split.outcome["lockers_moved"] == proposal.payload["lockers"]
        assert split.outcome["summary"].endswith("; the lockers went along")
        for stream in (old.stream, new.stream):
            assert EventRecord.objects.filter(stream=stream, type="team.split").exists()


class TestReminders:
    def test_a_term_about_to_end_is_reminded_once(self, noord):
        raise_(noord.ana, noord.noord)  # unrelated noise
        today = timezone.localdate()
        term = RoleTerm.objects.create(
            role=Role.objects.get(team=noord.noord, key="planner"),
            person=noord.ana,
            starts=today - datetime.timedelta(days=300),
            ends=today + datetime.timedelta(days=10),
        )
        assert reminder_services.reminders_due() == {"role_terms": 1, "reviews": 0}
        assert reminder_services.reminders_due() == {"role_terms": 0, "reviews": 0}
        event = EventRecord.objects.get(type="reminder.role_term_ending", stream=noord.noord.stream)
        assert event.data["term"] == term.pk

    def test_a_review_date_comes_back(self, noord):
        proposal = raise_(
            noord.ana, noord.noord, review_date=timezone.localdate() + datetime.timedelta(days=30)
        )
        proposal_services.proposal_consent(actor=noord.ben, proposal=proposal)
        with time_machine.travel(after_window(proposal), tick=False):
            proposal_services.proposals_close_due()
        assert reminder_services.reminders_due()["reviews"] == 0
        assert (
            reminder_services.reminders_due(
                today=timezone.localdate() + datetime.timedelta(days=30)
            )["reviews"]
            == 1
        )


@pytest.mark.django_db(transaction=True)
def test_an_objection_in_the_last_second_wins_over_a_concurrent_close(postgres, personas):
    """Real threads on PostgreSQL: the closer and a last-second objection race."""
    noord = personas.noord
    proposal = raise_(personas.ana, noord)
    proposal_services.proposal_consent(actor=personas.ben, proposal=proposal)
    arrived = proposal.closes_at - datetime.timedelta(milliseconds=500)
    results: dict[str, object] = {}
    start = threading.Barrier(2)

    def object_():
        try:
            start.wait(timeout=10)
            results["objection"] = proposal_services.proposal_object(
                actor=personas.ben, proposal=proposal, reason="Last-second worry", at=arrived
            )
        except Exception as exc:  # noqa: BLE001
            results["objection"] = exc
        finally:
            close_old_connections()
            connection.close()

    def close():
        try:
            start.wait(timeout=10)
            # The closer runs just after the window; the objection arrived just before.
            results["closed"] = proposal_services.proposals_close_due(
                now=proposal.closes_at + datetime.timedelta(milliseconds=200)
            )
        except Exception as exc:  # noqa: BLE001
            results["closed"] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=object_), threading.Thread(target=close)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert isinstance(results["objection"], Response), results
    assert results["closed"] == []
    assert reload(proposal).status == "open"
    # The next tick, after the settle delay, would adopt if it could: the objection holds.
    assert proposal_services.proposals_close_due(now=after_window(proposal)) == []
    assert reload(proposal).status == "open"
