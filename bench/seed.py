"""Bench data: N teams of M members, their clients, visits to claim and a board to read.

Everything goes in with ``bulk_create`` (1,000 teams take seconds), straight into the
bench database: the figures measure the live stack, so the data only has to have the
shape the real services and selectors expect. Nobody logs in with a password; the
harness writes sessions (websockets) and API tokens directly.

    .venv/bin/python -m bench.seed --teams 1000 --per-team 10 [--fresh]
"""

from __future__ import annotations

import datetime
import hashlib
import itertools

# The board's team day comes in three sizes: the figure reads the 50-visit day, and
# counts queries on all three to show the count does not grow with rows.
BOARD_SIZES = (10, 50, 200)
USERNAME = "bench-{team:05d}-{member:02d}"


def seed(*, teams: int, per_team: int, clients_per_team: int, claims_per_team: int) -> dict:
    """Create the bench data in the (empty, migrated) database; return the plan."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from care.models import Client, Visit
    from teams import tokens as api_tokens
    from teams.models import ApiToken, Membership, Person, Team

    today = timezone.localdate()
    board_days = {
        size: today + datetime.timedelta(days=30 + i) for i, size in enumerate(BOARD_SIZES)
    }
    claim_day = today + datetime.timedelta(days=40)
    # One unusable password for everyone: nobody signs in with it, and hashing 10,000
    # real passwords would take minutes.
    password = make_password(None)
    batch = 2000

    with transaction.atomic():
        team_rows = Team.objects.bulk_create(
            [
                Team(name=f"Bench team {t:05d}", slug=f"bench-{t:05d}", town="Benchley")
                for t in range(teams)
            ],
            batch_size=batch,
        )
        people = Person.objects.bulk_create(
            [
                Person(
                    username=USERNAME.format(team=t, member=m),
                    first_name=f"Member{m:02d}",
                    last_name=f"Team{t:05d}",
                    kind=Person.Kind.MEMBER,
                    password=password,
                )
                for t in range(teams)
                for m in range(per_team)
            ],
            batch_size=batch,
        )
        members = {
            team.pk: people[t * per_team : (t + 1) * per_team] for t, team in enumerate(team_rows)
        }
        joined = today - datetime.timedelta(days=365)
        Membership.objects.bulk_create(
            [
                Membership(team_id=team_id, person=person, joined=joined)
                for team_id, persons in members.items()
                for person in persons
            ],
            batch_size=batch,
        )
        now = timezone.now()
        ApiToken.objects.bulk_create(
            [
                ApiToken(
                    person=person,
                    name="bench",
                    prefix=api_tokens.prefix(bench_token(person.pk)),
                    digest=api_tokens.digest(bench_token(person.pk)),
                    created=now,
                    expires=now + datetime.timedelta(days=365),
                )
                for person in people
            ],
            batch_size=batch,
        )
        clients = Client.objects.bulk_create(
            [
                Client(
                    team=team,
                    first_name=f"Client{c:02d}",
                    last_name=f"Team{t:05d}",
                    postcode="BE1 1NC",
                    status=Client.Status.ACTIVE,
                )
                for t, team in enumerate(team_rows)
                for c in range(clients_per_team)
            ],
            batch_size=batch,
        )
        clients_of = {
            team.pk: clients[t * clients_per_team : (t + 1) * clients_per_team]
            for t, team in enumerate(team_rows)
        }

        # Unassigned visits to claim, spread over the team's clients through the day.
        visits = []
        for team in team_rows:
            cycle = itertools.cycle(clients_of[team.pk])
            for k in range(claims_per_team):
                start = _at(claim_day, 6 * 60 + (k * 7) % (15 * 60))
                visits.append(
                    Visit(
                        client=next(cycle),
                        window_start=start,
                        window_end=start + datetime.timedelta(minutes=30),
                        expected_minutes=30,
                        tasks="bench claim",
                        status=Visit.Status.PLANNED,
                    )
                )
        Visit.objects.bulk_create(visits, batch_size=batch)

        # The board: the first team's days of 10, 50 and 200 visits; most assigned, some
        # open, a third with preferred carers, as a real day looks.
        board_team = team_rows[0]
        board_members = members[board_team.pk]
        board_visits = []
        for size, day in board_days.items():
            cycle = itertools.cycle(clients_of[board_team.pk])
            for k in range(size):
                start = _at(day, 7 * 60 + (k * 14 * 60) // size)
                assignee = board_members[k % len(board_members)] if k % 5 else None
                board_visits.append(
                    Visit(
                        client=next(cycle),
                        window_start=start,
                        window_end=start + datetime.timedelta(minutes=45),
                        expected_minutes=30 + (k % 4) * 15,
                        tasks="Personal care, medication, a cup of tea and a chat",
                        assignee=assignee,
                        status=Visit.Status.ASSIGNED if assignee else Visit.Status.PLANNED,
                    )
                )
        Visit.objects.bulk_create(board_visits, batch_size=batch)
        through = Visit.preferred_carers.through
        through.objects.bulk_create(
            [
                through(visit_id=visit.pk, person_id=board_members[(k + 1) % len(board_members)].pk)
                for k, visit in enumerate(board_visits)
                if k % 3 == 0
            ],
            batch_size=batch,
        )

    return {
        "board_team": board_team.pk,
        "board_days": {str(size): day.isoformat() for size, day in board_days.items()},
        "claim_day": claim_day.isoformat(),
    }


def _at(day: datetime.date, minutes: int) -> datetime.datetime:
    from django.utils import timezone

    moment = datetime.datetime.combine(day, datetime.time(minutes // 60, minutes % 60))
    return timezone.make_aware(moment)


def teams_and_members(teams: int) -> list[tuple[int, list[int]]]:
    """The bench teams, each with its current members' ids, in seeding order."""
    from teams.models import Membership, Team

    team_ids = list(
        Team.objects.filter(slug__startswith="bench-").order_by("slug").values_list("pk", flat=True)
    )[:teams]
    members: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    for team_id, person_id in (
        Membership.objects.current()
        .filter(team_id__in=team_ids)
        .order_by("team_id", "person_id")
        .values_list("team_id", "person_id")
    ):
        members[team_id].append(person_id)
    return [(team_id, members[team_id]) for team_id in team_ids]


def bench_token(person_id: int) -> str:
    """The bench person's API token. Kith keeps only a token's digest, so the bench
    makes its tokens from the person's id, to know them again in a later run (bench
    data only: never a way to make a real token)."""
    return "kith_bench_" + hashlib.sha256(f"kith-bench-token:{person_id}".encode()).hexdigest()


def tokens(person_ids: list[int]) -> dict[int, str]:
    return {person_id: bench_token(person_id) for person_id in person_ids}


def sessions(person_ids: list[int]) -> dict[int, str]:
    """A signed-in session for each person (the websocket authenticates by cookie).

    Written straight into the session table, as ``login()`` would leave it, signed
    with this run's SECRET_KEY (the servers get the same key).
    """
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from teams.models import Person

    store = SessionStore()
    backend = settings.AUTHENTICATION_BACKENDS[0]
    expires = timezone.now() + datetime.timedelta(days=1)
    keys: dict[int, str] = {}
    rows = []
    for person in Person.objects.filter(pk__in=person_ids).only("pk", "password"):
        key = get_random_string(32, "abcdefghijklmnopqrstuvwxyz0123456789")
        data = {
            SESSION_KEY: str(person.pk),
            BACKEND_SESSION_KEY: backend,
            HASH_SESSION_KEY: person.get_session_auth_hash(),
        }
        rows.append(Session(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys[person.pk] = key
    Session.objects.all().delete()  # the bench database's sessions are the bench's own
    Session.objects.bulk_create(rows, batch_size=2000)
    return keys


def claim_pool(team_ids: list[int]) -> list[tuple[int, int]]:
    """(visit, team) of every visit to claim, interleaved so that claims in a row go
    to different teams."""
    from care.models import Visit

    by_team: dict[int, list[int]] = {team_id: [] for team_id in team_ids}
    for visit_id, team_id in (
        Visit.objects.filter(tasks="bench claim", client__team_id__in=team_ids)
        .order_by("pk")
        .values_list("pk", "client__team_id")
    ):
        by_team[team_id].append(visit_id)
    rounds = itertools.zip_longest(*by_team.values())
    teams_in_order = list(by_team)
    return [
        (visit_id, teams_in_order[i])
        for row in rounds
        for i, visit_id in enumerate(row)
        if visit_id is not None
    ]


def reset_claims() -> int:
    """Make every visit of the claim pool unassigned again, at version 1."""
    from care.models import Visit

    return Visit.objects.filter(tasks="bench claim").update(
        assignee=None, status=Visit.Status.PLANNED, version=1
    )


def main() -> None:
    from bench import harness

    p = harness.parser("Seed the bench database (the figures do this themselves).")
    args = p.parse_args()
    bench = harness.Bench.from_args(args)
    bench.setup()
    plan = bench.ensure_seeded(args)
    print(plan)
    if args.drop:
        bench.drop()


if __name__ == "__main__":
    main()
