"""``manage.py privacy_scan``: the stored texts that the privacy check would hold
today, across practice, help and team decisions, by model, id, field, team and kind
of hit, never quoting the text.

The texts here were written through the services when Gerrit Bosch was nobody's
client; he joins team Noord afterwards, so each is now a text the check would hold.
"""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.management import call_command

from coordination.models import HelpOffer, HelpRequest
from coordination.practice import services as practice
from coordination.practice.models import Note, NoteVersion, Tag
from teams import models as team_models
from teams.services import proposals as proposal_services
from tests.coordination.test_practice import ask, write
from tests.factories import member
from tests.teams.test_decision_privacy import bosch, invite_coach

pytestmark = pytest.mark.django_db

HEADER = "model\tid\tfield\tteam\tkind\tmay_confirm"
WORDS_OF_THE_TEXTS = ("Bosch", "bosch", "Hanzeweg", "622", "7418", "Gerrit", "1941")


def adopted(actor, team, kind, payload, **text):
    proposal = proposal_services.proposal_raise(
        actor=actor,
        team=team,
        kind=kind,
        title=text.get("title", "A decision"),
        purpose=text.get("purpose", "Because."),
        details=text.get("details", ""),
        payload=payload,
    )
    moment = proposal.closes_at + proposal_services.SETTLE + datetime.timedelta(seconds=1)
    for person in team_models.Membership.objects.current().filter(team=team):
        if person.person_id != actor.pk:
            proposal_services.proposal_consent(actor=person.person, proposal=proposal)
    assert proposal.pk in proposal_services.proposals_close_due(now=moment)
    proposal.refresh_from_db()
    return proposal


@pytest.fixture
def stored(personas, settings):
    """Texts of every kind written before their client was one; then the client."""
    settings.PHONE_REGION = "GB"
    w = personas
    invite_coach(w)
    w.dirk = member("dirk", w.noord, first_name="Dirk", last_name="Smit")
    w.note = write(w.ana, title="Hoists", body="Gerrit Bosch showed us his.")
    w.question = ask(w.cas, title="Ramps?")
    w.answer = practice.answer_post(actor=w.ben, note=w.question, body="Ask at Hanzeweg 41.")
    w.comment = practice.comment_add(actor=w.ana, note=w.question, body="Bosch ramps last.")
    w.pointer = practice.note_point(
        actor=w.coach, note=w.question, team=w.noord, note_text="Mrs Bosch had one."
    )
    w.tag = practice.tag_create(actor=w.ana, name="G. Bosch")
    w.help = HelpRequest.objects.create(team=w.noord, raised_by=w.ana, skills="Hoist, for G. Bosch")
    w.offer = HelpOffer.objects.create(
        request=w.help, person=w.cas, note="Happy to.", reason="We rang 0570 622 480 ourselves."
    )
    w.handover = adopted(
        w.ana,
        w.noord,
        "role_handover",
        {"role": "planner", "person": w.ben.pk, "handover_notes": "Mr Bosch: keys in the safe."},
        details="Starts at Hanzeweg 41.",
    )
    w.agreement = adopted(w.ana, w.noord, "agreement", {"text": "Never park at 41 Hanzeweg."})
    w.role = adopted(
        w.ana, w.noord, "role_create", {"name": "Hoists", "description": "Bosch, Gerrit's hoist."}
    )
    w.leaving = adopted(
        w.ana, w.noord, "remove_member", {"person": w.dirk.pk, "reason": "Cares for G. Bosch."}
    )
    w.open = proposal_services.proposal_raise(
        actor=w.ana, team=w.noord, kind="general", title="Later starts", purpose="Traffic."
    )
    w.objection = proposal_services.proposal_object(
        actor=w.ben, proposal=w.open, reason="7418 AB first."
    )
    # Any birth date is a softer hit, which the coach confirmed: nobody's, then.
    w.remark = proposal_services.proposal_comment(
        actor=w.coach, proposal=w.open, body="Born 3/3/1941?", confirm_no_client_data=True
    )
    w.client = bosch(w.noord)  # he becomes the team's client now
    return w


def scan(*args) -> tuple[list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("privacy_scan", *args, stdout=out, stderr=err)
    return out.getvalue().splitlines(), err.getvalue()


def test_the_scan_names_every_held_text_by_model_id_field_team_and_kind(stored):
    w = stored
    lines, summary = scan()
    assert lines[0] == HEADER
    role = team_models.Role.objects.get(team=w.noord, key="hoists")
    term = team_models.RoleTerm.objects.get(decision=w.handover)
    agreement = team_models.Agreement.objects.get(decision=w.agreement)
    leaving = team_models.Membership.objects.get(person=w.dirk)
    version = NoteVersion.objects.get(note=w.note)
    assert lines[1:] == [
        f"coordination.note\t{w.note.pk}\tbody\tnoord\tname\tno",
        f"coordination.noteversion\t{version.pk}\tbody\tnoord\tname\tno",
        f"coordination.answer\t{w.answer.pk}\tbody\tnoord\taddress\tno",
        f"coordination.comment\t{w.comment.pk}\tbody\t\tsurname\tyes",
        f"coordination.pointer\t{w.pointer.pk}\tnote_text\tnoord\tname\tno",
        f"coordination.tag\t{w.tag.pk}\tname\t\tname\tno",
        f"coordination.helprequest\t{w.help.pk}\tskills\tnoord\tname\tno",
        f"coordination.helpoffer\t{w.offer.pk}\treason\tnoord\tphone\tno",
        f"teams.proposal\t{w.handover.pk}\tdetails\tnoord\taddress\tno",
        f"teams.proposal\t{w.handover.pk}\tpayload.handover_notes\tnoord\tname\tno",
        f"teams.proposal\t{w.agreement.pk}\tpayload.text\tnoord\taddress\tno",
        f"teams.proposal\t{w.role.pk}\tpayload.description\tnoord\tname\tno",
        f"teams.proposal\t{w.leaving.pk}\tpayload.reason\tnoord\tname\tno",
        f"teams.response\t{w.objection.pk}\treason\tnoord\tpostcode\tno",
        f"teams.comment\t{w.remark.pk}\tbody\tnoord\tdate_of_birth\tno",
        f"teams.agreement\t{agreement.pk}\ttext\tnoord\taddress\tno",
        f"teams.role\t{role.pk}\tdescription\tnoord\tname\tno",
        f"teams.roleterm\t{term.pk}\thandover_notes\tnoord\tname\tno",
        f"teams.membership\t{leaving.pk}\tleft_reason\tnoord\tname\tno",
    ]
    assert summary.strip() == "19 hits in 18 stored records."
    # Nothing the texts say is printed: the operator is not a care worker.
    printed = "\n".join(lines) + summary
    assert not [word for word in WORDS_OF_THE_TEXTS if word in printed]


def test_identifiers_only_leaves_out_what_a_writer_may_confirm(stored):
    lines, summary = scan("--identifiers-only")
    assert len(lines) == 19  # the header and every line but the surname alone
    assert not [line for line in lines[1:] if not line.endswith("\tno")]
    assert f"coordination.comment\t{stored.comment.pk}\t" not in "\n".join(lines)
    assert summary.strip() == "18 hits in 17 stored records."


def test_clean_texts_and_a_team_without_clients_give_nothing(personas):
    write(personas.ana, title="Night lights", body="They help.")
    proposal_services.proposal_raise(
        actor=personas.ana, team=personas.noord, kind="general", title="Lunch", purpose="Together"
    )
    lines, summary = scan()
    assert lines == [HEADER]
    assert summary.strip() == "0 hits in 0 stored records."
    assert Note.objects.exists() and Tag.objects.exists()  # tags come with a migration


def test_the_demo_holds_nothing_the_check_would_hold():
    call_command("seed_demo", stdout=io.StringIO())
    lines, _ = scan()
    assert lines == [HEADER]
