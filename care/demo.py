"""The demo's care records: clients of the three Deventer teams, Mrs Jansen's support
network and what she shares with it, and Omaha care plans rated over time.

Used by ``manage.py seed_demo`` after ``teams.demo.seed`` (it needs the teams and
their members); idempotent: a client is matched by team and name, and a client who
is there already is left as they are. Everything goes through the care services, as a
team member (or Mrs Jansen herself, for what she shares) would do it.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from care import demo_visits
from care.models import CarePlan, Client, ClientStatusChange, OmahaSign
from care.services import clients as client_services
from care.services import plans
from teams.demo import DEMO_PASSWORD
from teams.models import Membership, Person, Team

# Who of each team takes on and keeps its demo clients (the first) and rates them.
KEEPERS = {"noord": ("ana", "ben", "femke"), "zuid": ("cas", "eva"), "oost": ("mila", "sem")}

# A simple plan: (problem, severity, signs by their text, (intervention), ratings).
# Intervention: (category, target, what, how often). Ratings: (days ago, K, B, S).
SIMPLE_PLANS = {
    "mobility": (
        25,
        "actual",
        ["decreased balance"],
        (2, 43, "Help with getting up, washing and dressing", "daily, mornings"),
        [(45, 2, 3, 2), (10, 3, 3, 3)],
    ),
    "medication": (
        42,
        "actual",
        ["inadequate system for taking medication"],
        (2, 42, "Fill the weekly pill organiser", "weekly, Mondays"),
        [(40, 2, 2, 3), (8, 3, 3, 3)],
    ),
    "skin": (
        24,
        "actual",
        ["lesion/pressure ulcer"],
        (2, 17, "Dress the wound on the left shin", "Mon/Wed/Fri"),
        [(30, 3, 2, 2), (6, 3, 3, 3)],
    ),
    "nutrition": (
        35,
        "potential",
        [],
        (4, 15, "Weigh weekly and note what she ate", "weekly"),
        [(21, 3, 3, 4)],
    ),
    "social": (
        6,
        "potential",
        [],
        (3, 48, "Arrange the lunch club at the community centre", "weekly, Tuesdays"),
        [(20, 3, 2, 3)],
    ),
    "circulation": (
        27,
        "actual",
        ["edema"],
        (2, 63, "Compression stockings on in the morning, off at night", "daily"),
        [(35, 2, 3, 2), (7, 3, 3, 3)],
    ),
}

# One client a line: first | last | preferred | born | address | postcode | status |
# plan (a key of SIMPLE_PLANS, or - for none yet).
CLIENTS = {
    "noord": """
        Gerrit | Bosch | | 1936-04-12 | Hanzeweg 41 | 7413 AB | active | mobility
        Johanna | van Dam | Annie | 1941-09-03 | Rielerweg 112 | 7414 CD | active | medication
        Hendrik | Wolters | Henk | 1939-01-27 | Zwolseweg 208 | 7415 GH | active | skin
        Maria | Lammers | Riet | 1944-06-18 | Snipperlingsdijk 7 | 7414 EK | paused | circulation
        Ahmet | Kaya | | 1948-11-30 | Hoge Hondstraat 66 | 7413 BN | active | nutrition
        Cornelia | Smeenk | Corrie | 1933-02-14 | Brinkgreverweg 15 | 7413 AD | active | social
        Bernard | Nijhof | Ben | 1950-08-09 | Diepenveenseweg 94 | 7413 AV | referral | -
    """,
    "zuid": """
        Aaltje | Brink | Alie | 1938-05-22 | IJsselstraat 19 | 7416 BE | active | mobility
        Frans | Hulshof | | 1942-12-01 | Rijnstraat 63 | 7416 CK | active | medication
        Grietje | Pol | Greet | 1935-07-16 | Oranjelaan 8 | 7417 AS | active | nutrition
        Mohamed | Ouali | | 1951-03-09 | Holterweg 141 | 7418 CR | active | circulation
        Willemina | Tijhuis | Mien | 1940-10-28 | Amstelstraat 30 | 7416 DH | referral | -
    """,
    "oost": """
        Dirk | Veldhuis | | 1937-08-05 | Bathmenseweg 77 | 7422 LC | active | skin
        Hilda | Klein Gunnewiek | | 1943-04-21 | Oerdijk 210 | 7433 AH | active | social
        Jan | Oosterhof | | 1946-02-11 | Vijfhoekweg 12 | 7421 EP | active | mobility
        Teuntje | Vos | Teun | 1939-12-24 | Frieswijkerweg 4 | 7433 RB | paused | medication
        Gerard | Reinders | | 1949-06-30 | Ludgerusstraat 52 | 7422 AB | referral | -
    """,
}


def _rows(table: str) -> list[tuple[str, ...]]:
    return [
        tuple(cell.strip() for cell in line.split("|"))
        for line in table.strip().splitlines()
        if line.strip()
    ]


JANSEN: dict[str, Any] = {
    "first_name": "Wilma",
    "last_name": "Jansen",
    "preferred_name": "",
    "date_of_birth": datetime.date(1938, 3, 14),
    "address": "Ceintuurbaan 118",
    "postcode": "7413 EW",
    "phone": "0570 622 480",
}

PORTAL_PEOPLE = [
    ("mrs_jansen", "Wilma", "Jansen"),
    ("daughter", "Petra", "Jansen"),
]


def accounts() -> list[tuple[str, str]]:
    """(username, what they show) for the portal accounts ``seed_demo`` prints."""
    return [
        ("mrs_jansen", "client of team Noord (the portal: her own record, sharing, who read it)"),
        ("daughter", "Petra, Mrs Jansen's daughter (the portal: what her mother shares)"),
    ]


def _portal_person(username: str, first: str, last: str) -> Person:
    person, created = Person.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first,
            "last_name": last,
            "kind": Person.Kind.PORTAL,
            "email": f"{username}@kith.example",
        },
    )
    if created:
        person.set_password(DEMO_PASSWORD)
        person.save(update_fields=["password"])
    return person


def _version(client: Client) -> int:
    return CarePlan.objects.filter(client=client).values_list("version", flat=True).first() or 1


def _since(client: Client, days_ago: int) -> None:
    """Date the referral back, as if the team took the client on ``days_ago`` days ago.
    (No service backdates a referral; like teams.demo dating its decisions back, the
    demo's history is moved into the past directly.)"""
    day = timezone.localdate() - datetime.timedelta(days=days_ago)
    Client.objects.filter(pk=client.pk).update(status_since=day)
    ClientStatusChange.objects.filter(client=client).update(on=day)
    client.refresh_from_db()


def _activate(keeper: Person, client: Client, status: str, days_ago: int) -> Client:
    if status == Client.Status.REFERRAL:
        return client
    _since(client, days_ago + 7)
    today = timezone.localdate()
    client = client_services.client_set_status(
        actor=keeper,
        client=client,
        status=Client.Status.ACTIVE,
        on=today - datetime.timedelta(days=days_ago),
    )
    if status == Client.Status.PAUSED:
        client = client_services.client_set_status(
            actor=keeper,
            client=client,
            status=Client.Status.PAUSED,
            on=today - datetime.timedelta(days=3),
            note="In hospital (Deventer Ziekenhuis) after a fall",
        )
    return client


def _problem(keeper: Person, client: Client, number: int, severity: str, signs: list[str]):
    sign_ids = list(
        OmahaSign.objects.filter(problem__number=number, text__in=signs).values_list(
            "pk", flat=True
        )
    )
    if len(sign_ids) != len(signs):
        raise ValueError(f"Not all of {signs} are signs of Omaha problem {number}.")
    return plans.plan_add_problem(
        actor=keeper,
        client=client,
        version=_version(client),
        problem=number,
        scope="individual",
        severity=severity,
        signs=sign_ids,
    )


def _intervene(keeper: Person, entry, category: int, target: int, what: str, often: str):
    return plans.plan_add_intervention(
        actor=keeper,
        plan_problem=entry,
        version=_version(entry.plan.client),
        category=category,
        target=target,
        description=what,
        frequency=often,
    )


def _rate(raters: list[Person], entry, ratings, note: str = "") -> int:
    today = timezone.localdate()
    for i, (days_ago, k, b, s) in enumerate(ratings):
        plans.plan_rate(
            actor=raters[i % len(raters)],
            plan_problem=entry,
            knowledge=k,
            behavior=b,
            status=s,
            rated_on=today - datetime.timedelta(days=days_ago),
            note=note if i == len(ratings) - 1 else "",
        )
    return len(ratings)


def _keepers(team: Team) -> list[Person]:
    usernames = KEEPERS[team.slug]
    people = {
        m.person.username: m.person
        for m in Membership.objects.current()
        .filter(team=team, person__username__in=usernames)
        .select_related("person")
    }
    return [people[u] for u in usernames if u in people]


def _simple_client(team: Team, keepers: list[Person], spec: tuple, index: int, made: dict):
    first, last, preferred, born, address, postcode, status, plan = spec
    plan = None if plan == "-" else plan
    # A made-up Deventer landline; none yet for a referral.
    phone = "" if status == "referral" else f"0570 6{index:02d} {(211 * index) % 900 + 100}"
    if Client.objects.filter(team=team, first_name=first, last_name=last).exists():
        return
    keeper = keepers[0]
    client = client_services.client_create(
        actor=keeper,
        team=team,
        date_of_birth=datetime.date.fromisoformat(born),
        first_name=first,
        last_name=last,
        preferred_name=preferred,
        address=address,
        postcode=postcode,
        phone=phone,
    )
    made["clients"] += 1
    client = _activate(keeper, client, status, days_ago=60)
    if plan is None:
        return
    number, severity, signs, (category, target, what, often), ratings = SIMPLE_PLANS[plan]
    entry = _problem(keeper, client, number, severity, signs)
    _intervene(keeper, entry, category, target, what, often)
    made["plan problems"] += 1
    made["ratings"] += _rate(keepers, entry, ratings)


def _jansen(team: Team, keepers: list[Person], made: dict) -> None:
    """Mrs Jansen: her own account, her daughter Petra and a neighbour, her GP and
    pharmacist; what she shares with Petra; three problems rated at four dates."""
    if Client.objects.filter(team=team, first_name="Wilma", last_name="Jansen").exists():
        return
    ana, ben, femke = (keepers * 3)[:3]  # the first three keepers of Noord
    wilma = _portal_person(*PORTAL_PEOPLE[0])
    petra = _portal_person(*PORTAL_PEOPLE[1])
    client = client_services.client_create(actor=ana, team=team, **JANSEN)
    made["clients"] += 1
    # The team gives her portal access when she asks for it.
    client = client_services.client_link_account(actor=ana, client=client, account=wilma)
    client = _activate(ana, client, Client.Status.ACTIVE, days_ago=100)

    network: list[dict[str, Any]] = [
        {
            "circle": "informal",
            "relationship": "daughter",
            "name": "Petra Jansen",
            "phone": "06 4821 3377",
            "email": "petra.jansen@example.nl",
            "takes_on": "Shopping on Saturdays; goes with her to the GP",
            "account": petra,
        },
        {
            "circle": "informal",
            "relationship": "neighbour",
            "name": "Henk de Groot",
            "phone": "0570 622 913",
            "takes_on": "Looks in most evenings; has the spare key",
        },
        {
            "circle": "formal",
            "relationship": "GP",
            "name": "Dr. Anneke Brinkman",
            "organisation": "Huisartsenpraktijk Voorstad",
            "phone": "0570 613 500",
        },
        {
            "circle": "formal",
            "relationship": "pharmacist",
            "name": "Ruud Koster",
            "organisation": "Apotheek Keizerslanden",
            "phone": "0570 619 220",
            "takes_on": "Prepares the weekly medication roll",
        },
    ]
    members = [client_services.network_add(actor=ana, client=client, **m) for m in network]
    made["network members"] += len(members)
    daughter = members[0]
    # What Mrs Jansen herself decided Petra may see.
    for scope in ("visits", "diary", "plan"):
        client_services.grant_scope(actor=wilma, client=client, member=daughter, scope=scope)
        made["grants"] += 1

    mobility = _problem(
        ana,
        client,
        25,
        "actual",
        ["decreased balance", "gait/ambulation disturbance", "difficulty transferring"],
    )
    for intervention in [
        (1, 27, "Walking practice with the rollator, hallway and garden path", "twice a week"),
        (2, 43, "Help with getting up, washing and dressing", "daily, mornings"),
        (4, 58, "Check the house for trip hazards; night light on the landing", "weekly"),
    ]:
        _intervene(ana, mobility, *intervention)
    medication = _problem(
        ana,
        client,
        42,
        "actual",
        ["inadequate system for taking medication", "unable to take medications without help"],
    )
    for intervention in [
        (2, 42, "Set out the week's medication roll from the pharmacy", "weekly, Mondays"),
        (4, 38, "Watch for dizziness since the new blood-pressure tablets", "each visit"),
        (3, 40, "Agree refills with Apotheek Keizerslanden and the GP", "monthly"),
    ]:
        _intervene(ben, medication, *intervention)
    social = _problem(femke, client, 6, "potential", [])
    for intervention in [
        (3, 48, "Lunch club at the community centre, with a lift from a volunteer", "Tuesdays"),
        (1, 73, "Talk through whom she would like to see more often", "monthly"),
    ]:
        _intervene(femke, social, *intervention)
    made["plan problems"] += 3
    raters = [ana, ben, femke]
    made["ratings"] += _rate(
        raters,
        mobility,
        [(90, 2, 2, 2), (60, 3, 2, 2), (30, 3, 3, 3), (5, 4, 4, 3)],
        note="Walks to the corner shop with the rollator again",
    )
    made["ratings"] += _rate(
        raters,
        medication,
        [(90, 2, 1, 2), (60, 3, 2, 3), (30, 4, 3, 3), (5, 4, 4, 4)],
        note="No missed doses this month",
    )
    made["ratings"] += _rate(raters, social, [(60, 3, 2, 3), (30, 3, 3, 3), (5, 4, 3, 4)])


@transaction.atomic
def seed() -> dict[str, int]:
    """Create what is missing of the demo's care records; return how many were made."""
    made = {"clients": 0, "network members": 0, "grants": 0, "plan problems": 0, "ratings": 0}
    for slug, table in CLIENTS.items():
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            continue
        keepers = _keepers(team)
        if not keepers:
            continue
        if slug == "noord":
            _jansen(team, keepers, made)
        first = {"noord": 21, "zuid": 31, "oost": 51}[slug]
        for index, spec in enumerate(_rows(table), start=first):
            _simple_client(team, keepers, spec, index, made)
        for what, count in demo_visits.seed_team(team, keepers[0]).items():
            made[what] = made.get(what, 0) + count
    made["shared figures"] = _share_last_month()
    made["survey answers"] = _answer_last_quarter()
    made["published snapshots"] = _publish_last_quarter()
    return made


def _share_last_month() -> int:
    """Each demo team's informer shares last month's figures with the network, once."""
    from care.figures import access as figures_access
    from care.figures.periods import previous_month
    from care.figures.services import share_figures
    from care.models import SharedFigures

    period = previous_month(timezone.localdate())
    shared = 0
    for team in Team.objects.filter(slug__in=CLIENTS).order_by("name"):
        term = figures_access.current_informer_term(team)
        if term is None or SharedFigures.objects.filter(team=team, period=period.label).exists():
            continue
        share_figures(actor=term.person, team=team, period=period)
        shared += 1
    return shared


# Last quarter's "How are we doing?" answers, each by the client on the portal:
# (first name, would recommend 0-10, listen, informed, say 1-5). Noord has enough
# answers for its experience figures to be published; Zuid and Oost show "fewer than 5".
SURVEY_ANSWERS = {
    "noord": [
        ("Wilma", 9, 5, 4, 4),
        ("Gerrit", 10, 5, 5, 4),
        ("Johanna", 8, 4, 3, 4),
        ("Hendrik", 9, 4, 4, 5),
        ("Ahmet", 6, 3, 3, 3),
        ("Cornelia", 10, 5, 4, 5),
    ],
    "zuid": [("Aaltje", 9, 4, 4, 4), ("Frans", 7, 4, 3, 4)],
    "oost": [("Dirk", 10, 5, 5, 5)],
}


def _last_quarter():
    from care.figures.quality.services import open_quarters

    return open_quarters(timezone.localdate())[1]


def _answer_last_quarter() -> int:
    """A few clients answer last quarter's survey on the portal (their team gives them a
    portal account first, as it does when a client asks for one)."""
    from care.figures.quality.services import survey_answer
    from care.models import ExperienceSurvey

    period = _last_quarter()
    answered = 0
    for slug, answers in SURVEY_ANSWERS.items():
        team = Team.objects.filter(slug=slug).first()
        keepers = _keepers(team) if team else []
        if not keepers:
            continue
        for first, recommend, listen, informed, say in answers:
            client = Client.objects.filter(team=team, first_name=first).first()
            if (
                client is None
                or ExperienceSurvey.objects.filter(client=client, period=period.label).exists()
            ):
                continue
            account = client.account
            if account is None:
                username = f"{first}.{client.last_name}".lower().replace(" ", "")
                account = _portal_person(username, first, client.last_name)
                client = client_services.client_link_account(
                    actor=keepers[0], client=client, account=account
                )
            survey_answer(
                actor=account,
                client=client,
                period=period.label,
                recommend=recommend,
                listen=listen,
                informed=informed,
                say=say,
            )
            answered += 1
    return answered


def demo_publication_periods() -> list:
    """What the demo teams publish: last quarter (its experience survey) and last
    month (the demo's visits are recent), unless last month lies inside last quarter
    (a team publishes a quarter or its months, never both)."""
    from care.figures.periods import previous_month
    from care.figures.quality.disclosure import overlaps

    quarter = _last_quarter()
    month = previous_month(timezone.localdate())
    return [quarter] if overlaps(month.label, quarter.label) else [quarter, month]


def _publish_last_quarter() -> int:
    """Each demo team's informer prepares the snapshots of ``demo_publication_periods``
    and proposes them; the team adopts each by consent through the decision engine, as
    teams.demo runs its decisions (raised four days ago, everyone consenting, the
    window closed)."""
    from care.figures import access as figures_access
    from care.figures.quality import services as quality
    from care.models import Snapshot
    from teams.demo import _decided

    published = 0
    for period in demo_publication_periods():
        for team in Team.objects.filter(slug__in=CLIENTS).order_by("name"):
            term = figures_access.current_informer_term(team)
            if term is None or Snapshot.objects.filter(team=team, period=period.label).exists():
                continue
            draft = quality.snapshot_prepare(actor=term.person, team=team, period=period)
            proposal = quality.snapshot_propose(actor=term.person, snapshot=draft)
            everyone = [
                m.person
                for m in Membership.objects.current().filter(team=team).select_related("person")
            ]
            if _decided(proposal, consenting=everyone, days_ago=4).status == "adopted":
                published += 1
    return published
