"""Every write of published quality data, and the decision kind that publishes.

- ``survey_answer``: the client (or their representative) answers the experience
  survey for a quarter: the current one, or the one just ended. Once per quarter.
- ``snapshot_prepare``: the team's informer prepares a draft snapshot of a period
  that has ended: the team's indicators as they stand, under disclosure control.
  Preparing the same period again refreshes the draft, unless a proposal to publish
  it is open (the team is deciding on what it saw).
- ``snapshot_propose``: a member raises the proposal to publish a draft (kind
  ``quality_publication``, payload ``{"snapshot": id}``); the same can be done through
  the proposals API. The team adopts it by consent; adoption freezes the snapshot
  (``_apply_publication``): it is published, hashed and never changed again.

A period published already can be published again only as a correction: a new
version pointing to the one it corrects, which stays readable, marked as corrected.
"""

from __future__ import annotations

import contextlib
import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from care.figures import access as figures_access
from care.figures.compute import METHOD_VERSION, team_indicators
from care.figures.periods import Period, parse_period, quarter
from care.figures.quality import access
from care.figures.quality.content import content_hash, source_table
from care.figures.quality.disclosure import disclose
from care.figures.selectors import problem_names
from care.models import Client, ExperienceSurvey, Snapshot
from care.services.common import record
from coordination.events import NETWORK_STREAM
from teams import decisions
from teams.cleaning import Errors, add_error, clean_text, cleaned, limit_of, raise_errors, refused
from teams.errors import Conflict
from teams.models import Person, Proposal, Team
from teams.services.proposals import proposal_raise

KIND = "quality_publication"
RECOMMEND = (0, 10)
ITEM = (1, 5)
ITEMS = ("listen", "informed", "say")


# --- the experience survey ------------------------------------------------------------------


def quarter_of(day: datetime.date) -> Period:
    return quarter(day.year, (day.month - 1) // 3 + 1)


def open_quarters(today: datetime.date | None = None) -> tuple[Period, Period]:
    """The quarters a survey may be answered for: this one and the one just ended."""
    today = today or timezone.localdate()
    current = quarter_of(today)
    return current, quarter_of(current.first - datetime.timedelta(days=1))


def _survey_period(value: str | None, today: datetime.date) -> Period:
    current, previous = open_quarters(today)
    if value in (None, ""):
        return current
    period = parse_period(value, today=today)
    if period.kind != "quarter":
        raise refused(
            "period", f'The survey is per quarter, "YYYY-Qn" (this one is {current.label}).'
        )
    if period.label not in (current.label, previous.label):
        raise refused(
            "period",
            f"The survey can be answered for {current.label} (now) or"
            f" {previous.label} (just ended), not {period.label}.",
        )
    return period


def _score(errors: Errors, name: str, value: object, bounds: tuple[int, int]) -> int | None:
    low, high = bounds
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # "--5", "x": not a number, said below
            value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        add_error(errors, name, f"Required: a whole number from {low} to {high}.")
        return None
    if not low <= value <= high:
        add_error(errors, name, f"From {low} to {high}; {value} is outside.")
        return None
    return value


def survey_state(survey: ExperienceSurvey) -> dict[str, Any]:
    return {
        "survey": survey.pk,
        "client": survey.client_id,
        "period": survey.period,
        "answered_at": survey.answered_at.isoformat(),
    }


def _already(survey: ExperienceSurvey) -> Conflict:
    when = timezone.localtime(survey.answered_at)
    return Conflict(
        f"The survey for {survey.period} was answered on {when:%-d %B %Y}; it is answered"
        " once a quarter.",
        current=survey_state(survey),
    )


def survey_answer(
    *,
    actor: Person,
    client: Client,
    recommend: object,
    listen: object,
    informed: object,
    say: object,
    comment: str = "",
    period: str | None = None,
) -> ExperienceSurvey:
    if not access.can_answer_survey(actor, client):
        raise PermissionDenied("Only the client, or the representative they named, answers.")
    today = timezone.localdate()
    errors: Errors = {}
    try:
        chosen = _survey_period(period, today)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        chosen = None
    scores = {"recommend": _score(errors, "recommend", recommend, RECOMMEND)}
    given = {"listen": listen, "informed": informed, "say": say}
    scores |= {name: _score(errors, name, given[name], ITEM) for name in ITEMS}
    comment = clean_text(errors, "comment", comment, limit=limit_of(ExperienceSurvey, "comment"))
    raise_errors(errors)
    chosen = cleaned(chosen)
    with transaction.atomic():
        earlier = ExperienceSurvey.objects.filter(client=client, period=chosen.label).first()
        if earlier is not None:
            raise _already(earlier)
        try:
            with transaction.atomic():
                survey = ExperienceSurvey.objects.create(
                    client=client,
                    period=chosen.label,
                    comment=comment,
                    answered_by=actor,
                    **scores,
                )
        except IntegrityError:
            # Answered a moment ago (another tab, a retry without its key).
            raise _already(
                ExperienceSurvey.objects.get(client=client, period=chosen.label)
            ) from None
        data = {"survey": survey.pk, "client": client.pk, "period": survey.period}
        record(actor, "survey.answered", survey, data, [client.team.stream])
    return survey


# --- snapshots ------------------------------------------------------------------------------


# What only the informer does here, in the words of a refusal.
PREPARING = "prepares what the team publishes"


def _published_contents(team: Team | int) -> list[dict[str, Any]]:
    return list(Snapshot.objects.published().filter(team=team).values_list("content", flat=True))


def _current_published(team: Team | int, period: str) -> Snapshot | None:
    return Snapshot.objects.current().filter(team=team, period=period).first()


def open_proposal_for(snapshot: Snapshot) -> Proposal | None:
    """The open proposal to publish this draft, if any (the team is deciding)."""
    for proposal in Proposal.objects.filter(
        team_id=snapshot.team_id, kind=KIND, status=Proposal.Status.OPEN
    ).order_by("created", "pk"):
        if str((proposal.payload or {}).get("snapshot")) == str(snapshot.pk):
            return proposal
    return None


def snapshot_state(snapshot: Snapshot) -> dict[str, Any]:
    return {
        "snapshot": snapshot.pk,
        "team": snapshot.team_id,
        "period": snapshot.period,
        "status": snapshot.status,
        "version": snapshot.version,
    }


def snapshot_prepare(*, actor: Person, team: Team, period: str | Period) -> Snapshot:
    if not access.can_prepare_snapshot(actor, team):
        raise PermissionDenied(figures_access.informer_refusal(team, PREPARING))
    today = timezone.localdate()
    label = period.label if isinstance(period, Period) else period
    period = parse_period(label, today=today)
    if period.last >= today:
        raise refused("period", f"{period.title} is not over yet: prepare it once it has ended.")
    indicators = team_indicators(team, period)
    numbers = [row.problem for row in indicators.outcomes_by_problem]
    names = problem_names(numbers)
    source = source_table(indicators, team_name=team.name, problem_names=names)
    content = disclose(source, _published_contents(team))
    with transaction.atomic():
        draft = (
            Snapshot.objects.drafts()
            .select_for_update()
            .filter(team=team, period=period.label)
            .first()
        )
        if draft is not None and (proposal := open_proposal_for(draft)) is not None:
            raise Conflict(
                f"A proposal to publish this draft is open ({proposal.title!r}): the team is"
                " deciding on it as it stands. Withdraw the proposal to prepare it again.",
                current=snapshot_state(draft) | {"proposal": proposal.pk},
            )
        fields: dict[str, Any] = {
            "last_day": period.last,
            "method_version": METHOD_VERSION,
            "content": content,
            "source": source,
            "prepared_by": actor,
            "prepared_at": timezone.now(),
            "corrects": _current_published(team, period.label),
        }
        if draft is None:
            try:
                with transaction.atomic():
                    draft = Snapshot.objects.create(team=team, period=period.label, **fields)
            except IntegrityError:
                raise Conflict(
                    f"A draft for {period.label} was prepared a moment ago.",
                    current={"team": team.pk, "period": period.label},
                ) from None
        else:
            for name, value in fields.items():
                setattr(draft, name, value)
            draft.save()
        data = {"snapshot": draft.pk, "team": team.pk, "period": period.label}
        record(actor, "snapshot.prepared", draft, data, [team.stream])
    return draft


def snapshot_propose(
    *,
    actor: Person,
    snapshot: Snapshot,
    title: str = "",
    purpose: str = "",
    details: str = "",
    window: datetime.timedelta | None = None,
) -> Proposal:
    """Raise the proposal to publish a draft (any member; the team decides)."""
    team = snapshot.team
    if not access.can_propose_snapshot(actor, team):
        raise PermissionDenied("Only members of the team propose what it publishes.")
    # The draft is locked while it is checked and proposed: two members proposing it
    # at the same moment raise one proposal, and the other is told (409).
    with transaction.atomic():
        snapshot = (
            Snapshot.objects.select_for_update(of=("self",))
            .select_related("corrects")
            .get(pk=snapshot.pk)
        )
        if snapshot.is_published:
            raise refused("snapshot", f"Already published as version {snapshot.version}.")
        proposal = open_proposal_for(snapshot)
        if proposal is not None:
            raise Conflict(
                f"This draft is proposed already ({proposal.title!r}).",
                current=snapshot_state(snapshot) | {"proposal": proposal.pk},
            )
        period = parse_period(snapshot.period)
        correction = (
            f" It corrects version {snapshot.corrects.version}." if snapshot.corrects else ""
        )
        return proposal_raise(
            actor=actor,
            team=team,
            kind=KIND,
            title=title or f"Publish our quality figures for {period.title}",
            purpose=purpose
            or (
                f"Inspectors and the network see our figures for {period.title} once we"
                f" publish them. Figures resting on fewer than 5 clients are hidden.{correction}"
            ),
            details=details or describe(snapshot.content),
            payload={"snapshot": snapshot.pk},
            window=window,
        )


def describe(content: dict[str, Any]) -> str:
    """The snapshot's table in words, for the proposal the team consents to."""
    lines = []
    for figure in content["indicators"].values():
        if figure.get("suppressed"):
            shown = figure["suppressed"]
        elif figure["value"] is None:
            shown = "no figure"
        else:
            unit = "%" if figure["unit"] == "%" else f" {figure['unit']}"
            shown = f"{figure['value']}{unit}"
        lines.append(f"- {figure['label']}: {shown}")
    hidden = sum(1 for row in content["outcomes_by_problem"] if row["suppressed"])
    rows = len(content["outcomes_by_problem"])
    if rows:
        lines.append(f"- Outcomes for {rows} Omaha problems, {hidden} of them hidden.")
    return "\n".join(lines)


# --- the decision kind: publishing by consent -----------------------------------------------


def _snapshot_id(payload: dict[str, Any]) -> int:
    value = (payload or {}).get("snapshot")
    if isinstance(value, bool) or not str(value).isdecimal():
        raise refused(
            "snapshot",
            "Choose a prepared snapshot: the team's informer prepares one for a period"
            " that has ended, then it is proposed for publication.",
        )
    return int(str(value))


def _validate_publication(team: Team, payload: dict[str, Any]) -> dict[str, Any]:
    """Raise, amend and adoption time: the draft is the team's, still a draft, its
    hidden figures still hidden given what the team has published since, and it is
    what the proposal was raised on."""
    snapshot = Snapshot.objects.filter(pk=_snapshot_id(payload), team=team).first()
    if snapshot is None:
        raise refused("snapshot", "No prepared snapshot of this team has this id.")
    if snapshot.is_published:
        raise refused("snapshot", f"Already published as version {snapshot.version}.")
    current = _current_published(team, snapshot.period)
    if (current.pk if current else None) != snapshot.corrects_id:
        raise refused(
            "snapshot",
            f"{snapshot.period} was published again since this draft was prepared:"
            " prepare it again.",
        )
    fingerprint = content_hash(snapshot.content)
    proposed = (payload or {}).get("content_hash")
    if proposed not in (None, "", fingerprint):
        raise refused("snapshot", "The draft changed since it was proposed: propose it again.")
    try:
        again = disclose(snapshot.source, _published_contents(team))
    except ValidationError as exc:
        raise ValidationError({"snapshot": exc.message_dict.get("period", exc.messages)}) from None
    if again != snapshot.content:
        raise refused(
            "snapshot",
            "What the team has published since changes what must be hidden in this"
            " draft: prepare it again.",
        )
    return {"snapshot": snapshot.pk, "period": snapshot.period, "content_hash": fingerprint}


def _apply_publication(proposal: Proposal) -> dict[str, Any]:
    """Freeze the draft: published, versioned, hashed, its source figures dropped."""
    payload = proposal.payload
    snapshot = Snapshot.objects.select_for_update().get(pk=payload["snapshot"])
    latest = Snapshot.objects.published().filter(team=snapshot.team_id, period=snapshot.period)
    version = (latest.aggregate(n=Max("version"))["n"] or 0) + 1
    snapshot.status = Snapshot.Status.PUBLISHED
    snapshot.version = version
    snapshot.published_at = timezone.now()
    snapshot.decision = proposal
    snapshot.content_hash = content_hash(snapshot.content)
    snapshot.source = {}
    snapshot.save()
    data = {
        "snapshot": snapshot.pk,
        "team": snapshot.team_id,
        "period": snapshot.period,
        "version": version,
        "decision": proposal.pk,
    }
    team = proposal.team
    streams = [team.stream, team.shared_stream, NETWORK_STREAM]
    record(None, "snapshot.published", snapshot, data, streams)
    period = parse_period(snapshot.period, today=snapshot.last_day)
    corrects = f", correcting version {snapshot.corrects.version}" if snapshot.corrects else ""
    return {
        "snapshot": snapshot.pk,
        "version": version,
        "content_hash": snapshot.content_hash,
        "summary": f"Published the quality figures for {period.title}, version {version}{corrects}",
    }


def draft_choices(team: Team) -> list[tuple[str, str]]:
    """The team's draft snapshots (prepared by its informer), to propose one."""
    from care.figures.quality import selectors  # here, not above: the selectors import this module

    return [
        (
            str(d.pk),
            f"{d.period}, prepared by {d.prepared_by.display_name} {d.prepared_at:%-d %b %Y}",
        )
        for d in selectors.drafts_of(team)
    ]


PUBLICATION = decisions.DecisionKind(
    KIND,
    "Publish quality figures",
    "Publish a snapshot the informer prepared: inspectors and the network can read it.",
    _validate_publication,
    _apply_publication,
    fields=[
        decisions.Field(
            "snapshot",
            "Snapshot to publish",
            decisions.CHOICE,
            help="The team's informer prepares a snapshot of a period that has ended.",
            choices=draft_choices,
        )
    ],
)


def register() -> None:
    """Called from ``CareConfig.ready`` (teams never imports care)."""
    decisions.register(PUBLICATION)
