"""The demo network: three neighbourhood teams in Deventer, a coach and an inspector.

Used by ``manage.py seed_demo``; idempotent (people and teams are matched by their
usernames and slugs, so running it again changes nothing).
"""

from __future__ import annotations

import datetime

from django.db import transaction

from teams.models import Membership, Person, Team

DEMO_PASSWORD = "kith-demo"

TEAMS = [
    {
        "slug": "noord",
        "name": "Noord",
        "town": "Deventer",
        "patch": "Keizerslanden, Voorstad, Zandweerd",
        "postcodes": "7413, 7414, 7415",
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
    made["people"] = Person.objects.count() - before
    return made


def accounts() -> list[tuple[str, str]]:
    """(username, what they show) for the accounts printed by ``make run``."""
    return [
        ("ana", "member of team Noord"),
        ("ben", "member of team Noord"),
        ("cas", "member of team Zuid"),
        ("coach", "coach (advises teams that invite her)"),
        ("inspector", "inspector (reads published quality data)"),
    ]
