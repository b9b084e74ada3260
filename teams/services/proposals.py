"""Consent decisions: raise, ask and comment, consent or object, amend, withdraw, adopt.

A proposal is adopted when its objection window has closed with no open objection
and at least half of the team's members have responded (consented or objected) to
its current revision. Until then it stays open, visibly waiting.

Closing happens without anyone looking: ``proposals_close_due`` runs from the
``tick`` command every few seconds (``make run`` starts it beside daphne;
docker-compose.yml runs it as its own service) and for a team whenever its pages or
API are read. An objection counts by the time it arrived: the closer waits
``SETTLE`` past the window before deciding, and both lock the proposal's row, so an
objection sent in the window's last second wins over a concurrent close.

Everything written here that the team's invited coaches read (a revision's title,
purpose, details and payload texts, an objection's reason, a comment) passes the
team's text checks first (``teams.texts``: the client-data check holds a text that
seems to identify a client); a held text is a ``ValidationError`` and nothing is
stored or published. ``confirm_no_client_data`` lets softer findings through.
"""

from __future__ import annotations

import datetime
import logging
import math
from collections.abc import Callable, Mapping
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from teams import access, cleaning, decisions
from teams import texts as text_checks
from teams.cleaning import Errors, clean_text, limit_of, raise_errors
from teams.models import Comment, Membership, Person, Proposal, Response, Team
from teams.services.common import audit, publish_team
from teams.versioning import check_version, lock, save_fields, save_new_version

logger = logging.getLogger("kith.decisions")

MIN_WINDOW = datetime.timedelta(hours=1)
MAX_WINDOW = datetime.timedelta(days=14)
DEFAULT_WINDOW = datetime.timedelta(hours=72)
SETTLE = datetime.timedelta(seconds=10)
TEXT_LABELS = {"title": "title", "purpose": "purpose", "details": "details"}


def proposal_state(proposal: Proposal) -> dict[str, Any]:
    return {
        "id": proposal.pk,
        "status": proposal.status,
        "revision": proposal.revision,
        "version": proposal.version,
        "title": proposal.title,
        "purpose": proposal.purpose,
        "details": proposal.details,
        "payload": proposal.payload,
        "closes_at": proposal.closes_at.isoformat(),
    }


def quorum(member_count: int) -> int:
    """At least half of the members must respond."""
    return math.ceil(member_count / 2)


def _clean_text(fields: Mapping[str, object]) -> dict[str, str]:
    errors: Errors = {}
    cleaned = {
        name: clean_text(
            errors,
            name,
            value,
            limit=limit_of(Proposal, name),
            required=name in {"title", "purpose"},
            required_message="Required: say what and why.",
        )
        for name, value in fields.items()
    }
    raise_errors(errors)
    return cleaned


def _clean_window(window: object) -> datetime.timedelta:
    if window is None:
        return DEFAULT_WINDOW
    if not isinstance(window, datetime.timedelta):
        raise ValidationError({"window_hours": ["A number of hours, from 1 to 336."]})
    if not MIN_WINDOW <= window <= MAX_WINDOW:
        raise ValidationError(
            {"window_hours": ["The objection window is from 1 hour to 14 days (336 hours)."]}
        )
    return window


def _clean_payload(team: Team, kind_key: str, payload: object) -> dict[str, Any]:
    kind = decisions.get(kind_key)
    if kind is None:
        raise ValidationError({"kind": [f"Unknown kind of decision: {kind_key!r}."]})
    if not isinstance(payload, dict):
        raise ValidationError({"payload": ["Must be an object."]})
    try:
        return kind.validate(team, payload)
    except ValidationError as exc:
        # Name payload fields as payload.<field>, so a form can point at them.
        if hasattr(exc, "error_dict"):
            raise ValidationError(
                {f"payload.{k}": v for k, v in exc.message_dict.items()}
            ) from None
        raise


def _clean_all(
    team: Team,
    kind: str,
    *,
    text: Mapping[str, object],
    window: object,
    payload: object,
    review_date: datetime.date | None = None,
) -> tuple[dict[str, str], datetime.timedelta, dict[str, Any]]:
    """Every field checked, every problem reported at once, field by field."""
    errors: dict[str, list[str]] = {}

    def checked[T](check: Callable[[], T]) -> T | None:
        try:
            return check()
        except ValidationError as exc:
            found = exc.message_dict if hasattr(exc, "error_dict") else {"payload": exc.messages}
            for name, messages in found.items():
                errors.setdefault(name, []).extend(messages)
            return None

    cleaned_text = checked(lambda: _clean_text(text))
    cleaned_window = checked(lambda: _clean_window(window))
    cleaned_payload = checked(lambda: _clean_payload(team, kind, payload))
    if review_date is not None and review_date <= timezone.localdate():
        errors["review_date"] = ["The review date must be in the future."]
    raise_errors(errors)
    # A failed check noted its problems, so raise_errors raised: each value is here.
    if cleaned_text is None or cleaned_window is None or cleaned_payload is None:
        raise ValueError("A proposal check failed without naming a problem.")
    return cleaned_text, cleaned_window, cleaned_payload


def revision_texts(
    kind_key: str, text: Mapping[str, object], payload: object
) -> tuple[dict[str, str], dict[str, str]]:
    """The texts of a revision that the team's coaches read, by field (a payload's
    as ``payload.<field>``), and how messages name each field."""
    texts = {name: value for name, value in text.items() if isinstance(value, str)}
    labels = dict(TEXT_LABELS)
    kind = decisions.get(kind_key)
    for name, spec in (kind.texts if kind else {}).items():
        value = payload.get(name) if isinstance(payload, dict) else None
        if isinstance(value, str) and value.strip():
            texts[f"payload.{name}"] = spec.readable(value)
            labels[f"payload.{name}"] = spec.label
    return texts, labels


def _check_texts(
    actor: Person, team: Team, texts: dict[str, str], labels: dict[str, str], confirmed: object
) -> None:
    text_checks.check(
        author=actor, team=team, texts=texts, confirmed=confirmed is True, labels=labels
    )


def _require_member(actor: Person, team: Team, doing: str) -> None:
    if not access.can_take_part(actor, team):
        raise PermissionDenied(f"Only members of this team can {doing}.")


def _require_open(proposal: Proposal) -> None:
    if proposal.status == Proposal.Status.WITHDRAWN:
        raise ValidationError("This proposal was withdrawn.")
    if proposal.status == Proposal.Status.ADOPTED:
        raise ValidationError("This proposal was already adopted.")


def _event(proposal: Proposal, event_type: str, actor: Person | None, **data: Any) -> None:
    publish_team(
        proposal.team,
        event_type,
        {"proposal": proposal.pk, "revision": proposal.revision, "title": proposal.title, **data},
        actor=actor,
        shared=True,
    )


def proposal_raise(
    *,
    actor: Person,
    team: Team,
    kind: str,
    title: str,
    purpose: str,
    details: str = "",
    payload: dict[str, Any] | None = None,
    window: datetime.timedelta | None = None,
    review_date: datetime.date | None = None,
    confirm_no_client_data: bool = False,
) -> Proposal:
    _require_member(actor, team, "raise proposals")
    with transaction.atomic():
        text, window, cleaned = _clean_all(
            team,
            kind,
            text={"title": title, "purpose": purpose, "details": details},
            window=window,
            payload=payload or {},
            review_date=review_date,
        )
        _check_texts(actor, team, *revision_texts(kind, text, payload), confirm_no_client_data)
        now = timezone.now()
        proposal = Proposal.objects.create(
            team=team,
            author=actor,
            kind=kind,
            payload=cleaned,
            window=window,
            closes_at=now + window,
            review_date=review_date,
            created=now,
            **text,
        )
        # Raising a proposal is consenting to it.
        Response.objects.create(
            proposal=proposal, person=actor, revision=1, kind=Response.Kind.CONSENT, at=now
        )
        audit(actor=actor, action="proposal.raised", target=proposal, data={"kind": kind})
        _event(proposal, "proposal.raised", actor, kind=kind)
    return proposal


def proposal_comment(
    *,
    actor: Person,
    proposal: Proposal,
    body: str,
    kind: str = "comment",
    confirm_no_client_data: bool = False,
) -> Comment:
    if not access.can_comment(actor, proposal.team):
        raise PermissionDenied("Only the team and the coaches it invited can comment.")
    if kind not in Comment.Kind.values:
        raise ValidationError({"kind": ["Either comment or question."]})
    body = cleaning.text("body", body, limit=limit_of(Comment, "body"), required=True)
    with transaction.atomic():
        proposal = lock(proposal, "team")
        if proposal.status == Proposal.Status.WITHDRAWN:
            raise ValidationError("This proposal was withdrawn.")
        label = "question" if kind == Comment.Kind.QUESTION else "comment"
        _check_texts(actor, proposal.team, {"body": body}, {"body": label}, confirm_no_client_data)
        comment = Comment.objects.create(proposal=proposal, author=actor, kind=kind, body=body)
        audit(
            actor=actor, action="proposal.commented", target=proposal, data={"comment": comment.pk}
        )
        _event(proposal, "proposal.commented", actor, comment=comment.pk, kind=kind)
    return comment


def proposal_consent(
    *, actor: Person, proposal: Proposal, at: datetime.datetime | None = None
) -> Response:
    """Consent to the current revision. After the window closes, a proposal still
    waiting for enough responses takes consents (never new objections)."""
    at = at or timezone.now()
    _require_member(actor, proposal.team, "consent")
    with transaction.atomic():
        proposal = lock(proposal, "team")
        _require_open(proposal)
        response = _respond(actor, proposal, Response.Kind.CONSENT, "", at)
        # Past the window, this consent may complete the quorum; the settle delay still
        # applies, so an objection that arrived in time is never overtaken.
        _decide(proposal, now=at, settle=SETTLE)
    return response


def proposal_object(
    *,
    actor: Person,
    proposal: Proposal,
    reason: str,
    at: datetime.datetime | None = None,
    confirm_no_client_data: bool = False,
) -> Response:
    """Object with a reason while the window is open. ``at`` is when the objection
    arrived (the view passes the request's arrival), not when the lock was won."""
    at = at or timezone.now()
    _require_member(actor, proposal.team, "object")
    reason = cleaning.text(
        "reason",
        reason,
        limit=limit_of(Response, "reason"),
        required=True,
        required_message="Say what the objection is, so it can be resolved.",
    )
    with transaction.atomic():
        proposal = lock(proposal, "team")
        _require_open(proposal)
        if at >= proposal.closes_at:
            raise ValidationError(
                "The objection window has closed; objections are taken while it is open."
            )
        _check_texts(
            actor,
            proposal.team,
            {"reason": reason},
            {"reason": "objection"},
            confirm_no_client_data,
        )
        response = _respond(actor, proposal, Response.Kind.OBJECTION, reason, at)
    return response


def _respond(
    actor: Person, proposal: Proposal, kind: Response.Kind, reason: str, at: datetime.datetime
) -> Response:
    """The actor's one response to the current revision (a second replaces the first)."""
    response, _ = Response.objects.update_or_create(
        proposal=proposal,
        person=actor,
        revision=proposal.revision,
        defaults={"kind": kind, "reason": reason, "state": Response.State.OPEN, "at": at},
    )
    action = "proposal.objected" if kind == Response.Kind.OBJECTION else "proposal.consented"
    audit(actor=actor, action=action, target=proposal)
    _event(proposal, "proposal.responded", actor, response=kind.value)
    return response


def objection_withdraw(*, actor: Person, objection: Response) -> Response:
    with transaction.atomic():
        proposal = lock(objection.proposal, "team")
        objection = Response.objects.select_for_update().get(pk=objection.pk)
        if objection.person_id != actor.pk:
            raise PermissionDenied("Only the person who objected can withdraw the objection.")
        if objection.kind != Response.Kind.OBJECTION or objection.state != Response.State.OPEN:
            raise ValidationError("This is not an open objection.")
        _require_open(proposal)
        save_fields(objection, state=Response.State.WITHDRAWN)
        audit(
            actor=actor,
            action="objection.withdrawn",
            target=proposal,
            data={"response": objection.pk},
        )
        _event(proposal, "proposal.objection_withdrawn", actor, response=objection.pk)
        _decide(proposal, now=timezone.now(), settle=SETTLE)
    return objection


def proposal_amend(
    *,
    actor: Person,
    proposal: Proposal,
    version: int,
    title: str | None = None,
    purpose: str | None = None,
    details: str | None = None,
    payload: dict[str, Any] | None = None,
    window: datetime.timedelta | None = None,
    confirm_no_client_data: bool = False,
) -> Proposal:
    """The author amends: open objections count as resolved, the window opens again
    and the members respond to the new revision. Its texts are checked again, all of
    them, when any of them is new (``teams.texts``)."""
    _require_member(actor, proposal.team, "amend proposals")
    with transaction.atomic():
        proposal = lock(proposal, "team")
        if proposal.author_id != actor.pk:
            raise PermissionDenied("Only the author can amend a proposal.")
        _require_open(proposal)
        check_version(proposal, version, proposal_state, required=False)
        text, window, cleaned = _clean_all(
            proposal.team,
            proposal.kind,
            text={
                "title": proposal.title if title is None else title,
                "purpose": proposal.purpose if purpose is None else purpose,
                "details": proposal.details if details is None else details,
            },
            window=proposal.window if window is None else window,
            payload=proposal.payload if payload is None else payload,
        )
        new_texts, labels = revision_texts(
            proposal.kind, text, proposal.payload if payload is None else payload
        )
        old_texts, _ = revision_texts(
            proposal.kind,
            {name: getattr(proposal, name) for name in TEXT_LABELS},
            proposal.payload,
        )
        if any(old_texts.get(name) != value for name, value in new_texts.items()):
            _check_texts(actor, proposal.team, new_texts, labels, confirm_no_client_data)
        now = timezone.now()
        resolved = proposal.responses.filter(
            revision=proposal.revision, kind=Response.Kind.OBJECTION, state=Response.State.OPEN
        ).update(state=Response.State.RESOLVED)
        for name, value in text.items():
            setattr(proposal, name, value)
        proposal.payload = cleaned
        proposal.window = window
        proposal.closes_at = now + window
        proposal.revision += 1
        proposal.version += 1
        proposal.outcome = {}
        proposal.save()
        Response.objects.create(
            proposal=proposal,
            person=actor,
            revision=proposal.revision,
            kind=Response.Kind.CONSENT,
            at=now,
        )
        audit(
            actor=actor,
            action="proposal.amended",
            target=proposal,
            data={"revision": proposal.revision, "resolved_objections": resolved},
        )
        _event(proposal, "proposal.amended", actor, resolved_objections=resolved)
    return proposal


def proposal_withdraw(*, actor: Person, proposal: Proposal) -> Proposal:
    with transaction.atomic():
        proposal = lock(proposal, "team")
        if proposal.author_id != actor.pk:
            raise PermissionDenied("Only the author can withdraw a proposal.")
        _require_open(proposal)
        save_new_version(proposal, status=Proposal.Status.WITHDRAWN, decided_at=timezone.now())
        audit(actor=actor, action="proposal.withdrawn", target=proposal)
        _event(proposal, "proposal.withdrawn", actor)
    return proposal


def current_member_ids(team_id: int) -> set[int]:
    return set(
        Membership.objects.current().filter(team_id=team_id).values_list("person_id", flat=True)
    )


def tally(proposal: Proposal) -> dict[str, int]:
    """Where a proposal stands: responses of current members to the current revision.

    Lists set ``proposal.member_ids`` once for the whole team (selectors do), so a
    page of proposals does not ask for the members once per row.
    """
    members = getattr(proposal, "member_ids", None)
    if members is None:
        members = current_member_ids(proposal.team_id)
    responses = [
        r
        for r in proposal.responses.all()
        if r.revision == proposal.revision and r.person_id in members
    ]
    open_objections = sum(
        r.kind == Response.Kind.OBJECTION and r.state == Response.State.OPEN for r in responses
    )
    # Withdrawing one's objection is consenting: it counts as a response and a consent.
    responded = len(responses)
    consents = responded - open_objections
    return {
        "members": len(members),
        "needed": quorum(len(members)),
        "responded": responded,
        "consents": consents,
        "open_objections": open_objections,
    }


class Stage:
    """Where a proposal stands, as its readers see it (``proposal_stage``)."""

    OPEN = "open"  # its objection window is open
    BLOCKED = "blocked"  # the window closed with an open objection
    WAITING = "waiting"  # the window closed before enough members responded
    CLOSING = "closing"  # the window closed with what it needs: being adopted
    NOT_APPLIED = "not_applied"  # adopting it failed as it stands (``outcome``)
    ADOPTED = "adopted"
    WITHDRAWN = "withdrawn"
    ALL = (OPEN, BLOCKED, WAITING, CLOSING, NOT_APPLIED, ADOPTED, WITHDRAWN)


def proposal_stage(
    proposal: Proposal,
    *,
    now: datetime.datetime | None = None,
    counts: dict[str, int] | None = None,
) -> str:
    """Where a proposal stands (a ``Stage``): its status once decided; while open,
    whether its window is open and, once closed, what it is waiting for. ``counts``
    is its ``tally`` when the caller has it already."""
    if proposal.status != Proposal.Status.OPEN:
        return proposal.status
    if (now or timezone.now()) < proposal.closes_at:
        return Stage.OPEN
    counts = counts or tally(proposal)
    if counts["open_objections"]:
        return Stage.BLOCKED
    if counts["responded"] < counts["needed"]:
        return Stage.WAITING
    if (proposal.outcome or {}).get("not_applied"):
        return Stage.NOT_APPLIED
    return Stage.CLOSING


def _decide(proposal: Proposal, *, now: datetime.datetime, settle: datetime.timedelta) -> bool:
    """Adopt a locked, open proposal if its time has come; True when adopted."""
    if proposal.status != Proposal.Status.OPEN or now < proposal.closes_at + settle:
        return False
    counts = tally(proposal)
    if counts["open_objections"] or counts["responded"] < counts["needed"]:
        return False
    kind = decisions.of(proposal)
    try:
        with transaction.atomic():  # a savepoint: a failed apply leaves nothing behind
            kind.validate(proposal.team, proposal.payload)
            outcome = kind.apply(proposal)
    except ValidationError as exc:
        reason = "; ".join(
            f"{k}: {' '.join(v)}"
            for k, v in getattr(exc, "message_dict", {"": exc.messages}).items()
        )
        if proposal.outcome.get("not_applied") != reason:
            save_fields(proposal, outcome={"not_applied": reason})
            _event(proposal, "proposal.not_applied", None)
        logger.info("proposal %s could not be applied: %s", proposal.pk, reason)
        return False
    save_new_version(proposal, status=Proposal.Status.ADOPTED, decided_at=now, outcome=outcome)
    audit(actor=None, action="proposal.adopted", target=proposal, data=outcome)
    _event(proposal, "proposal.adopted", None, outcome=outcome.get("summary", ""))
    return True


def proposals_close_due(
    *, team: Team | None = None, now: datetime.datetime | None = None
) -> list[int]:
    """Adopt every proposal whose window has closed and that has what it needs.

    Returns the ids adopted. Each proposal is decided in its own transaction under
    its row lock, so a concurrent objection or consent is never lost.
    """
    now = now or timezone.now()
    due = Proposal.objects.filter(status=Proposal.Status.OPEN, closes_at__lte=now - SETTLE)
    if team is not None:
        due = due.filter(team=team)
    adopted = []
    for proposal_id in due.values_list("pk", flat=True):
        with transaction.atomic():
            proposal = (
                Proposal.objects.select_for_update(skip_locked=True).filter(pk=proposal_id).first()
            )
            if proposal is not None and _decide(proposal, now=now, settle=SETTLE):
                adopted.append(proposal_id)
    return adopted
