"""The demo network: three neighbourhood teams in Deventer, a coach and an inspector.

Used by ``manage.py seed_demo``; idempotent (people and teams are matched by their
usernames and slugs, so running it again changes nothing).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from teams.models import Membership, Person, Proposal, Response, Team
from teams.services import effects as effect_services
from teams.services import proposals as proposal_services

DEMO_PASSWORD = "kith-demo"

TEAMS: list[dict[str, Any]] = [
    {
        "slug": "noord",
        "name": "Noord",
        "town": "Deventer",
        "patch": "Keizerslanden, Voorstad, Zandweerd",
        "postcodes": "7413, 7414, 7415",
        # Roughly the middle of the patch: requests for help are listed nearest first.
        "latitude": Decimal("52.268600"),
        "longitude": Decimal("6.170700"),
        "phone": "0570 612 401",
        "email": "noord@kith.example",
        "members": [
            ("ana", "Ana", "de Vries", "2021-03-01"),
            ("ben", "Ben", "Mulder", "2022-09-12"),
            ("femke", "Femke", "Jansen", "2020-01-06"),
            ("joris", "Joris", "Bosman", "2023-02-20"),
            ("sanne", "Sanne", "Kok", "2021-11-08"),
            ("priya", "Priya", "Nair", "2024-05-13"),
            ("tom", "Tom", "Hendriks", "2019-06-03"),
            ("lotte", "Lotte", "Smit", "2025-01-15"),
        ],
    },
    {
        "slug": "zuid",
        "name": "Zuid",
        "town": "Deventer",
        "patch": "Rivierenwijk, Borgele, Platvoet",
        "postcodes": "7416, 7417, 7418",
        "latitude": Decimal("52.244300"),
        "longitude": Decimal("6.164000"),
        "phone": "0570 612 402",
        "email": "zuid@kith.example",
        "members": [
            ("cas", "Cas", "Bakker", "2020-04-14"),
            ("eva", "Eva", "Visser", "2021-07-05"),
            ("daan", "Daan", "Meijer", "2022-03-28"),
            ("noor", "Noor", "El Amrani", "2023-10-02"),
            ("grace", "Grace", "Okafor", "2022-01-17"),
            ("willem", "Willem", "de Boer", "2019-09-09"),
            ("iris", "Iris", "Dekker", "2024-08-26"),
        ],
    },
    {
        "slug": "oost",
        "name": "Oost",
        "town": "Deventer",
        "patch": "Colmschate, Schalkhaar, De Vijfhoek",
        "postcodes": "7421, 7422, 7433",
        "latitude": Decimal("52.248000"),
        "longitude": Decimal("6.227000"),
        "phone": "0570 612 403",
        "email": "oost@kith.example",
        "members": [
            ("mila", "Mila", "Vermeulen", "2021-02-01"),
            ("sem", "Sem", "van Dijk", "2020-06-15"),
            ("julia", "Julia", "Brouwer", "2022-11-21"),
            ("owen", "Owen", "Hughes", "2023-04-03"),
            ("fleur", "Fleur", "Peters", "2021-09-27"),
            ("ruben", "Ruben", "Wouters", "2024-02-12"),
            ("maaike", "Maaike", "Post", "2020-10-19"),
            ("hamza", "Hamza", "Yilmaz", "2025-03-03"),
            ("esther", "Esther", "Kuipers", "2019-12-02"),
        ],
    },
]

NETWORK_PEOPLE = [
    ("coach", "Carla", "Vos", Person.Kind.COACH),
    ("inspector", "Imran", "Shah", Person.Kind.INSPECTOR),
]


def _person(username: str, first: str, last: str, kind: str) -> Person:
    person, created = Person.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "kind": kind,
            "email": f"{username}@kith.example",
        },
    )
    if created:
        person.set_password(DEMO_PASSWORD)
        person.save(update_fields=["password"])
    return person


@transaction.atomic
def seed() -> dict[str, int]:
    """Create what is missing of the demo network; return how many rows were made."""
    made = {"people": 0, "teams": 0, "memberships": 0}
    before = Person.objects.count()
    for spec in TEAMS:
        fields = {k: v for k, v in spec.items() if k not in {"slug", "members"}}
        team, created = Team.objects.get_or_create(slug=spec["slug"], defaults=fields)
        made["teams"] += created
        if team.latitude is None:  # seeded before teams had a location
            Team.objects.filter(pk=team.pk).update(
                latitude=spec["latitude"], longitude=spec["longitude"]
            )
        for username, first, last, joined in spec["members"]:
            person = _person(username, first, last, Person.Kind.MEMBER)
            _, created = Membership.objects.get_or_create(
                team=team,
                person=person,
                left__isnull=True,
                defaults={"joined": datetime.date.fromisoformat(joined)},
            )
            made["memberships"] += created
    for username, first, last, kind in NETWORK_PEOPLE:
        _person(username, first, last, kind)
    for spec in TEAMS:
        team = Team.objects.get(slug=spec["slug"])
        effect_services.roles_ensure_standard(team)
        if not Proposal.objects.filter(team=team).exists():
            made["decisions"] = made.get("decisions", 0) + _decisions(team, spec)
    made["people"] = Person.objects.count() - before
    return made


ROLE_HOLDERS = {
    "noord": {
        "planner": "ana",
        "housekeeper": "femke",
        "informer": "sanne",
        "developer": "tom",
        "mentor": "priya",
    },
    "zuid": {
        "planner": "cas",
        "housekeeper": "willem",
        "informer": "eva",
        "developer": "grace",
        "mentor": "daan",
    },
    "oost": {
        "planner": "sem",
        "housekeeper": "maaike",
        "informer": "mila",
        "developer": "owen",
        "mentor": "esther",
    },
}


def _decided(proposal: Proposal, *, consenting: list[Person], days_ago: int) -> Proposal:
    """Take a demo proposal through the real consent path, as if it happened days ago."""
    for person in consenting:
        if person.pk != proposal.author_id:
            proposal_services.proposal_consent(actor=person, proposal=proposal)
    raised = timezone.now() - datetime.timedelta(days=days_ago)
    Proposal.objects.filter(pk=proposal.pk).update(
        created=raised, closes_at=raised + proposal.window
    )
    Response.objects.filter(proposal=proposal).update(at=raised + datetime.timedelta(hours=2))
    proposal.refresh_from_db()
    proposal_services.proposals_close_due(
        team=proposal.team,
        now=proposal.closes_at + proposal_services.SETTLE + datetime.timedelta(seconds=1),
    )
    proposal.refresh_from_db()
    return proposal


def _decisions(team: Team, spec: dict) -> int:
    """Roles held, an agreement, a coach for Noord, and proposals still open."""
    people = {
        m.person.username: m.person
        for m in Membership.objects.current().filter(team=team).select_related("person")
    }
    names = [username for username, *_ in spec["members"]]
    first, second = people[names[0]], people[names[1]]
    everyone = list(people.values())
    count = 0
    for days_ago, (role, holder) in zip(
        (120, 118, 116, 114, 112), ROLE_HOLDERS[team.slug].items(), strict=True
    ):
        proposal = proposal_services.proposal_raise(
            actor=first,
            team=team,
            kind="role_handover",
            title=f"{people[holder].display_name} as {role} for a year",
            purpose="Roles rotate yearly; this one is due.",
            payload={
                "role": role,
                "person": people[holder].pk,
                "handover_notes": "Folder on the shared drive; ask me anything.",
            },
        )
        _decided(proposal, consenting=everyone, days_ago=days_ago)
        count += 1
    agreement = proposal_services.proposal_raise(
        actor=second,
        team=team,
        kind="agreement",
        title="Our team agreement",
        purpose="So new colleagues know how we work together.",
        payload={
            "text": (
                "We plan the week together on Monday mornings.\n"
                "We visit in pairs after 22:00.\n"
                "Anyone can raise a proposal; we decide by consent.\n"
                "We share what works with other teams."
            )
        },
        review_date=timezone.localdate() + datetime.timedelta(days=120),
    )
    _decided(agreement, consenting=everyone, days_ago=60)
    count += 1
    if team.slug == "noord":
        coach = Person.objects.get(username="coach")
        invite = proposal_services.proposal_raise(
            actor=first,
            team=team,
            kind="coach_invite",
            title="Invite Carla Vos as our coach",
            purpose="We want an outside view while we take on more clients in Voorstad.",
            payload={
                "coach": coach.pk,
                "ends": (timezone.localdate() + datetime.timedelta(days=180)).isoformat(),
            },
        )
        _decided(invite, consenting=everyone, days_ago=30)
        lunch = proposal_services.proposal_raise(
            actor=second,
            team=team,
            kind="general",
            title="A shared lunch on Thursdays",
            purpose="We rarely see each other between visits; an hour together each week.",
            details="12:30 to 13:30 at the office in Voorstad. Visits planned around it.",
            window=datetime.timedelta(hours=48),
        )
        proposal_services.proposal_consent(actor=people["femke"], proposal=lunch)
        proposal_services.proposal_comment(
            actor=coach,
            proposal=lunch,
            kind="question",
            body="Team Zuid tried this last year; would you like me to ask how it went?",
        )
        handover = proposal_services.proposal_raise(
            actor=people["tom"],
            team=team,
            kind="role_handover",
            title="Joris takes over planning from January",
            purpose="Ana has planned for a year; rotating keeps the rota everyone's.",
            payload={
                "role": "planner",
                "person": people["joris"].pk,
                "starts": f"{timezone.localdate().year + 1}-01-05",
                "handover_notes": "Weekly rota template and the cover list.",
            },
        )
        proposal_services.proposal_object(
            actor=people["sanne"],
            proposal=handover,
            reason="January is holiday cover; could the handover be in February?",
        )
        count += 3
    return count


def accounts() -> list[tuple[str, str]]:
    """(username, what they show) for the accounts printed by ``make run``."""
    return [
        ("ana", "member of team Noord"),
        ("ben", "member of team Noord"),
        ("cas", "member of team Zuid"),
        ("coach", "coach (advises teams that invite her)"),
        ("inspector", "inspector (reads published quality data)"),
    ]
