"""The demo's practice across the network: a dozen notes of each kind from the three
Deventer teams and the coach, answers (one marked as the one that helped), comments,
useful marks, follows and a coach's pointer, so ``make run`` opens on a living feed.

Used by ``manage.py seed_demo`` after the teams and the care records (it needs their
people); idempotent: a note is matched by its title, and one that is there already is
left as it is. Everything is written through the practice services, as the people
would write it; only the dates are set back afterwards (spread over the past six
weeks), since a service writes "now".
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from care.models import OmahaProblem
from coordination.practice import services
from coordination.practice.models import Answer, FeedItem, Note, NoteVersion, Tag
from teams.models import Person, Team

# (kind, author, title, body, tags, Omaha problems, public). Authors are demo usernames.
NOTES = [
    # --- practice: how we do it ------------------------------------------------------
    (
        "practice",
        "ana",
        "Night lights on the route to the bathroom",
        "We fit plug-in night lights from bed to bathroom on the first visit after a fall.\n\n"
        "- cheap, and the family can buy more\n- warm light, not blue\n\n"
        "Falls at night dropped in the months after.",
        ["falls"],
        [25],
        True,
    ),
    (
        "practice",
        "cas",
        "A one-page plan on the fridge",
        "The plan that matters for the day fits on one page on the fridge door: who comes,"
        " when, and who to ring. Family read it; so do we.",
        ["informal-carers", "planning"],
        [41],
        True,
    ),
    (
        "practice",
        "mila",
        "Weekly pill organiser check on Mondays",
        "Whoever visits on Monday morning checks the organiser against the pharmacy list."
        " A **photo** in the team chat, never with a name on it.",
        ["medication"],
        [42],
        False,
    ),
    (
        "practice",
        "femke",
        "Starting every visit with a cup of tea",
        "Ten minutes of tea first: we hear how the night went, and the wash goes easier.",
        ["dementia", "loneliness"],
        [6],
        True,
    ),
    (
        "practice",
        "eva",
        "Handover in the car park, five minutes",
        "Between the early and the late round we meet in the car park for five minutes:"
        " what changed, who needs a second visit.",
        ["team-meetings", "planning"],
        [],
        False,
    ),
    (
        "practice",
        "sem",
        "Compression stockings: a second pair in the wash",
        "Two pairs per client, so one is always clean. We mark them with the size.",
        ["wound-care"],
        [27],
        False,
    ),
    (
        "practice",
        "joris",
        "Checking the hoist sling before each use",
        "Label, seams, loops: thirty seconds before each transfer. A worn sling goes out"
        " the same day.",
        ["manual-handling"],
        [25],
        True,
    ),
    (
        "practice",
        "noor",
        "A welcome week for new colleagues",
        "A new colleague walks every round once with someone else before visiting alone,"
        " and picks a buddy for the first month.",
        ["onboarding", "self-organisation"],
        [],
        True,
    ),
    (
        "practice",
        "julia",
        "Drinking chart on the kitchen table",
        "A simple chart with glasses to tick. Family fill it in between visits.",
        ["nutrition"],
        [28],
        True,
    ),
    (
        "practice",
        "ben",
        "Phoning the GP practice at 11, not at 8",
        "The practice nurse calls back the same day when we ring after the morning rush.",
        ["gp-collaboration"],
        [41],
        False,
    ),
    (
        "practice",
        "daan",
        "Skin check during the wash",
        "Heels, hips and sacrum at every wash: we note any redness in the record the same visit.",
        ["pressure-care"],
        [24],
        False,
    ),
    (
        "practice",
        "sanne",
        "Rota in the team's own hands",
        "Each of us fills in our availability by the 15th; the planner of the month makes"
        " the rota from that, and the team checks it on Thursday.",
        ["planning", "self-organisation"],
        [],
        True,
    ),
    # --- questions -------------------------------------------------------------------
    (
        "question",
        "ben",
        "How do you use a ceiling hoist with one carer?",
        "A client's new ceiling hoist needs two of us by the supplier's advice. How do"
        " other teams manage the evening visit?",
        ["manual-handling"],
        [25],
        False,
    ),
    (
        "question",
        "cas",
        "Who orders continence products in your team?",
        "We lose time chasing deliveries. Is one of you the contact, or the client's family?",
        ["continence"],
        [30],
        False,
    ),
    (
        "question",
        "mila",
        "Sharing a key safe code safely?",
        "How do you pass on a key safe code to a helper from another team?",
        ["safeguarding"],
        [4],
        False,
    ),
    (
        "question",
        "eva",
        "Falls sensor mats: worth it?",
        "Has any team tried sensor mats at night? Did the alarms help or just wake everyone?",
        ["falls", "technology"],
        [25],
        True,
    ),
    (
        "question",
        "ana",
        "Personal budgets: who writes the support plan?",
        "With a new Direct Payment, who helps the client write the support plan in your team?",
        ["personal-budgets"],
        [1],
        True,
    ),
    (
        "question",
        "julia",
        "Insulin at 8 when the round starts at 7?",
        "How do you fit insulin times into the morning round?",
        ["diabetes", "planning"],
        [42],
        False,
    ),
    (
        "question",
        "daan",
        "Loneliness after a partner dies",
        "What has worked for you beyond the visits themselves?",
        ["loneliness"],
        [10],
        True,
    ),
    (
        "question",
        "joris",
        "Dementia and refusing the wash",
        "Any approaches that work on bad days?",
        ["dementia"],
        [38],
        False,
    ),
    (
        "question",
        "noor",
        "Working with the district physiotherapist",
        "Do you invite the physiotherapist to team meetings?",
        ["physiotherapy"],
        [25],
        False,
    ),
    (
        "question",
        "sem",
        "Hospital discharge on a Friday afternoon",
        "How do you get the first visit planned when the ward rings at 4?",
        ["hospital-discharge"],
        [41],
        False,
    ),
    (
        "question",
        "femke",
        "Informal carers burning out",
        "How do you notice it early with family carers?",
        ["informal-carers"],
        [13],
        True,
    ),
    (
        "question",
        "coach",
        "How do you decide who takes a new client?",
        "Teams I visit decide this in very different ways. What works for yours?",
        ["self-organisation"],
        [],
        True,
    ),
    # --- stories: something we tried -------------------------------------------------
    (
        "story",
        "eva",
        "Fall prevention with a local physiotherapist",
        "We asked the physiotherapist in the health centre to join two visits for each"
        " client who fell twice. Exercises went on the fridge; six months later, fewer"
        " falls and two clients walking to the shop again.",
        ["falls", "physiotherapy"],
        [25, 37],
        True,
    ),
    (
        "story",
        "ana",
        "A lunch club in the community centre",
        "Three clients now go to the Tuesday lunch club, brought by a volunteer driver.",
        ["loneliness"],
        [6],
        True,
    ),
    (
        "story",
        "mila",
        "Telecare pendant nobody wore",
        "We learned to ask first where it would be worn: a wrist band worked where the"
        " pendant stayed in a drawer.",
        ["technology"],
        [4],
        True,
    ),
    (
        "story",
        "daan",
        "Splitting our team at fourteen",
        "We grew past twelve and split by neighbourhood; the clients stayed with the"
        " carers they knew.",
        ["self-organisation"],
        [],
        False,
    ),
    (
        "story",
        "julia",
        "Music at the end of life",
        "A family brought the radio station she loved; the last visits were quieter.",
        ["palliative-care"],
        [21],
        True,
    ),
    (
        "story",
        "ben",
        "Wound healing with the tissue viability nurse",
        "Photos at every dressing change and one joint visit a fortnight.",
        ["wound-care"],
        [24],
        False,
    ),
    (
        "story",
        "noor",
        "A family WhatsApp group for one client",
        "The client chose who was in it. We only post times, never how she is.",
        ["informal-carers", "technology"],
        [],
        False,
    ),
    (
        "story",
        "sem",
        "Breakfast first, tablets after",
        "Moving tablets after breakfast stopped the morning nausea for two clients.",
        ["medication", "nutrition"],
        [42],
        True,
    ),
    (
        "story",
        "sanne",
        "The month we had no planner",
        "Nobody took the planner role for a month. We learned why it matters.",
        ["planning", "team-meetings"],
        [],
        False,
    ),
    (
        "story",
        "cas",
        "Rehabilitation at home after a hip fracture",
        "Short daily walks with the carer, and a chart of the distance.",
        ["falls", "mobility"],
        [25, 37],
        True,
    ),
    (
        "story",
        "femke",
        "Reading glasses and the medication list",
        "The list was right; the client could not read it. Larger print fixed it.",
        ["medication"],
        [18, 42],
        False,
    ),
    (
        "story",
        "joris",
        "A quiet room for our team meetings",
        "The library lets us use its back room on Thursdays: no phones.",
        ["team-meetings"],
        [],
        False,
    ),
    # --- guides ----------------------------------------------------------------------
    (
        "guide",
        "ana",
        "Guide: the first visit after hospital",
        "## Before\n\n1. Ask the ward for the discharge letter\n2. Check the medication"
        " changes\n\n## During\n\n- home safe? heating on?\n- food for tonight?",
        ["hospital-discharge"],
        [41, 42],
        True,
    ),
    (
        "guide",
        "cas",
        "Guide: setting up a Direct Payment",
        "What the client needs from the council, what the team can help with, and where to"
        " [read more](https://www.gov.uk/apply-direct-payments).",
        ["personal-budgets"],
        [1],
        True,
    ),
    (
        "guide",
        "mila",
        "Guide: skin check in five places",
        "Heels, hips, sacrum, elbows, ears: what to look for and what to write down.",
        ["pressure-care"],
        [24],
        True,
    ),
    (
        "guide",
        "coach",
        "Guide: a consent round in ten minutes",
        "Present, questions, reactions, consent: keep the proposal short and the objection"
        " window real.",
        ["self-organisation", "coaching"],
        [],
        True,
    ),
    (
        "guide",
        "eva",
        "Guide: manual handling refresher",
        "The five transfers we use most, step by step.",
        ["manual-handling"],
        [25],
        False,
    ),
    (
        "guide",
        "daan",
        "Guide: infection control in the home",
        "Hands, gloves, aprons; what to carry in the car.",
        ["infection-control"],
        [34],
        True,
    ),
    (
        "guide",
        "julia",
        "Guide: talking about end-of-life wishes",
        "Open questions that helped us start the conversation.",
        ["palliative-care"],
        [21],
        True,
    ),
    (
        "guide",
        "ben",
        "Guide: blood sugar checks",
        "When to check, what to write, when to ring the GP.",
        ["diabetes"],
        [42],
        False,
    ),
    (
        "guide",
        "sem",
        "Guide: recognising delirium",
        "Sudden confusion is not dementia getting worse: what to check first.",
        ["dementia", "mental-health"],
        [21],
        True,
    ),
    (
        "guide",
        "noor",
        "Guide: our onboarding checklist",
        "Everything a new colleague needs in the first two weeks.",
        ["onboarding"],
        [],
        False,
    ),
    (
        "guide",
        "femke",
        "Guide: continence products, who pays",
        "What the NHS provides, what a budget can pay for.",
        ["continence", "personal-budgets"],
        [30],
        True,
    ),
    (
        "guide",
        "joris",
        "Guide: COPD and breathlessness",
        "Positions and breathing techniques that help on a bad day.",
        ["copd"],
        [26],
        False,
    ),
]

# (question title, answerer, answer) — the first answer to each is marked as the one
# that helped when the asker has one marked below.
ANSWERS = [
    (
        "How do you use a ceiling hoist with one carer?",
        "mila",
        "We plan that visit for two, always: the planner pairs it with a neighbour visit.",
    ),
    (
        "How do you use a ceiling hoist with one carer?",
        "coach",
        "Team Oost solved this with the occupational therapist last year: ask them.",
    ),
    (
        "Falls sensor mats: worth it?",
        "cas",
        "Yes for one client who wandered at night; no for two others (false alarms).",
    ),
    (
        "Personal budgets: who writes the support plan?",
        "eva",
        "The client, with the family; we add the care part. See the Direct Payment guide.",
    ),
    (
        "Insulin at 8 when the round starts at 7?",
        "ben",
        "We start the round with the two insulin clients and plan the rest around them.",
    ),
    (
        "Loneliness after a partner dies",
        "femke",
        "The lunch club, and a volunteer from the church who visits on Sundays.",
    ),
    (
        "Hospital discharge on a Friday afternoon",
        "sanne",
        "Whoever is on call takes it and plans the first visit for the evening round.",
    ),
    (
        "How do you decide who takes a new client?",
        "ana",
        "The carer with the fewest clients in that street, unless the client knows one of us.",
    ),
    (
        "How do you decide who takes a new client?",
        "cas",
        "We discuss it on Thursday; the client meets two of us first.",
    ),
]
ACCEPTED = {
    "How do you use a ceiling hoist with one carer?": "mila",
    "Personal budgets: who writes the support plan?": "eva",
    "How do you decide who takes a new client?": "cas",
}
COMMENTS = [
    ("Night lights on the route to the bathroom", "cas", "We do this too, and it works."),
    ("Fall prevention with a local physiotherapist", "coach", "A good example to share."),
]
FOLLOWS: list[tuple[str, str, Any]] = [
    ("ana", "tag", "falls"),
    ("ana", "team", "zuid"),
    ("cas", "problem", 42),
]
# What a follow names, and the field its key is.
FOLLOWED = {"tag": (Tag, "slug"), "team": (Team, "slug"), "problem": (OmahaProblem, "number")}
POINTER = ("How do you use a ceiling hoist with one carer?", "oost", "They asked the OT.")


def _people() -> dict[str, Person]:
    names = {n[1] for n in NOTES} | {a[1] for a in ANSWERS} | {c[1] for c in COMMENTS}
    return {p.username: p for p in Person.objects.filter(username__in=names)}


@transaction.atomic
def seed() -> dict[str, int]:
    """Create what is missing of the demo's practice; return how many were made."""
    made = {"notes": 0, "answers": 0}
    people = _people()
    if "ana" not in people:
        return made  # no demo network to write in
    known = set(Tag.objects.values_list("slug", flat=True))
    now = timezone.now()
    fresh: list[Note] = []
    for index, (kind, who, title, body, tags, problems, public) in enumerate(NOTES):
        author = people.get(who)
        if author is None or Note.objects.filter(title=title).exists():
            continue
        note = services.note_publish(
            actor=author,
            kind=kind,
            title=title,
            body=body,
            tags=[t for t in tags if t in known],
            problems=problems,
            public=public,
        )
        # Spread over six weeks, the list's first entries the newest.
        when = now - datetime.timedelta(hours=20 * index + 3)
        _backdate(note, when)
        fresh.append(note)
        made["notes"] += 1
    if not fresh:
        return made
    questions = {n.title: n for n in Note.objects.filter(kind="question")}
    for offset, (title, who, body) in enumerate(ANSWERS):
        question, author = questions.get(title), people.get(who)
        if question is None or author is None:
            continue
        answer = services.answer_post(actor=author, note=question, body=body)
        when = question.created + datetime.timedelta(hours=2 + offset)
        Answer.objects.filter(pk=answer.pk).update(created=when)
        FeedItem.objects.filter(kind="answer", ref_id=answer.pk).update(created=min(when, now))
        made["answers"] += 1
        if ACCEPTED.get(title) == who:
            services.answer_accept(actor=question.author, answer=answer)
    for title, who, body in COMMENTS:
        commented = Note.objects.filter(title=title).first()
        if commented is not None and who in people:
            services.comment_add(actor=people[who], note=commented, body=body)
    for index, note in enumerate(fresh[:12]):
        for who in ("ben", "cas", "mila", "coach")[: 1 + index % 4]:
            if who in people and people[who].pk != note.author_id:
                services.note_mark_useful(actor=people[who], note=note)
    for who, what, key in FOLLOWS:
        if who not in people:
            continue
        model, field = FOLLOWED[what]
        followed: Any = model._default_manager.filter(**{field: key}).first()
        if followed is not None:
            services.follow_add(actor=people[who], **{what: followed})
    title, slug, text = POINTER
    question, team = questions.get(title), Team.objects.filter(slug=slug).first()
    coach = Person.objects.filter(username="coach", kind=Person.Kind.COACH).first()
    if question is not None and team is not None and coach is not None:
        services.note_point(actor=coach, note=question, team=team, note_text=text)
    return made


def _backdate(note: Note, when: datetime.datetime) -> None:
    Note.objects.filter(pk=note.pk).update(created=when, updated=when)
    NoteVersion.objects.filter(note=note).update(created=when)
    FeedItem.objects.filter(kind="note", ref_id=note.pk).update(created=when)
    note.created = note.updated = when
