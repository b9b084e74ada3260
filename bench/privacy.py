"""The privacy check on the write path (``coordination.privacy``): how long it takes to
check a comment when the author's teams look after ~200 clients, beside the rest of
writing that comment (``practice.services.comment_add``), in-process, on a database of
its own.

Prints p50 and p95 over ``--runs`` checks of: loading what the author knows (two
queries), scanning a comment of 200 and of 2,000 characters (the most a comment
holds), and a note body of 20,000 characters (the most a note holds); and a whole
``comment_add`` of the 2,000-character comment, check included. Not a test: nothing
here asserts a timing.

    .venv/bin/python -m bench.privacy --clients 200 --runs 200

Without ``DATABASE_URL`` it uses an SQLite file of its own (``--sqlite``); with it,
that database, which must exist and be migrated (``manage.py migrate``); the rows it
adds are removed at the end.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import statistics
import time

BODY = (
    "We tried the night lights on the way to the bathroom for three weeks. The carers "
    "noticed fewer calls after midnight, and the family said the same. What helped most "
    "was asking each person where they get up and which way they walk, then placing the "
    "lights there rather than where the sockets are. Two of us keep a list of the lamps "
    "that last; Bosch and Philips both did, the cheap ones did not. Ask in the team "
    "meeting if you want the list. "
)
FIRST = [
    "Gerrit",
    "Johanna",
    "Hendrik",
    "Maria",
    "Ahmet",
    "Cornelia",
    "Bernard",
    "Aaltje",
    "Frans",
    "Grietje",
    "Mohamed",
]
LAST = [
    "Bosch",
    "Dam",
    "Wolters",
    "Lammers",
    "Kaya",
    "Smeenk",
    "Nijhof",
    "Brink",
    "Hulshof",
    "Pol",
    "Ouali",
    "Tijhuis",
    "Vos",
]
STREETS = [
    "Hanzeweg",
    "Rielerweg",
    "Zwolseweg",
    "Kerkstraat",
    "Oranjelaan",
    "Holterweg",
    "Brinkgreverweg",
]


def quantiles(values: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(values, n=20)
    return statistics.median(values), cuts[18]


def seed(clients: int):
    from care.models import Client
    from teams.models import Membership, Person, Team

    rng = random.Random(15)
    team = Team.objects.create(name="Bench privacy", slug="bench-privacy")
    other = Team.objects.create(name="Bench privacy 2", slug="bench-privacy-2")
    author = Person.objects.create(username="bench-privacy-author", first_name="Ana")
    for t in (team, other):
        Membership.objects.create(team=t, person=author)
    for i in range(9):
        person = Person.objects.create(
            username=f"bench-privacy-{i}", first_name=rng.choice(FIRST), last_name="Colleague"
        )
        Membership.objects.create(team=team, person=person)
    Client.objects.bulk_create(
        Client(
            team=team if i % 2 else other,
            first_name=rng.choice(FIRST),
            last_name=f"{rng.choice(LAST)}{i}",
            preferred_name=rng.choice(["", "Annie", "Henk"]),
            date_of_birth=datetime.date(1930 + i % 30, 1 + i % 12, 1 + i % 28),
            address=f"{rng.choice(STREETS)} {1 + i}",
            postcode=f"74{10 + i % 90:02d} {chr(65 + i % 26)}{chr(65 + (i * 7) % 26)}",
            phone=f"0570 6{i % 100:02d} {(211 * i) % 900 + 100}",
        )
        for i in range(clients)
    )
    return team, author


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=200)
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--sqlite", default="/tmp/kith-bench-privacy.sqlite3")
    args = p.parse_args()
    if not os.environ.get("DATABASE_URL"):
        if os.path.exists(args.sqlite):
            os.remove(args.sqlite)
        os.environ["DATABASE_URL"] = f"sqlite:///{args.sqlite}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from coordination import privacy
    from coordination.practice import services
    from coordination.practice.models import Comment
    from coordination.privacy import detect, known
    from coordination.privacy.folding import Folded

    if connection.vendor == "sqlite":
        call_command("migrate", verbosity=0)
    texts = {
        "comment, 200 characters": (BODY * 1)[:200],
        "comment, 2,000 characters": (BODY * 6)[:2000],
        "note body, 20,000 characters": (BODY * 60)[:20000],
    }
    with transaction.atomic():
        team, author = seed(args.clients)
        note = services.note_publish(
            actor=author, kind="practice", title="Night lights", body="On the way.", team=team.pk
        )
        with CaptureQueriesContext(connection) as queries:
            privacy.findings(author=author, texts={"body": "x"})
        print(
            f"privacy check, {args.clients} clients in 2 teams, {args.runs} runs,"
            f" {connection.vendor}; queries per check: {len(queries)}"
        )
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            what = known.load(author)
            times.append(time.perf_counter() - start)
        p50, p95 = quantiles(times)
        print(f"  load what the author knows: p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
        for name, text in texts.items():
            assert not [h for h in detect.scan(Folded(text), what) if h.kind != "surname"]
            times = []
            for _ in range(args.runs):
                start = time.perf_counter()
                detect.scan(Folded(text), what)
                times.append(time.perf_counter() - start)
            p50, p95 = quantiles(times)
            print(f"  scan a {name}: p50 {p50 * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms")
        comment = texts["comment, 2,000 characters"].replace("Bosch and ", "")
        for label, check in (("with the check", True), ("check skipped", False)):
            times = []
            original = privacy.check
            if not check:
                privacy.check = lambda **kwargs: None
            try:
                for _ in range(args.runs):
                    start = time.perf_counter()
                    services.comment_add(actor=author, note=note, body=comment)
                    times.append(time.perf_counter() - start)
            finally:
                privacy.check = original
            p50, p95 = quantiles(times)
            print(
                f"  comment_add of 2,000 characters, {label}: p50 {p50 * 1000:.2f} ms,"
                f" p95 {p95 * 1000:.2f} ms"
            )
        assert Comment.objects.filter(note=note).count() == 2 * args.runs
        transaction.set_rollback(True)  # leave the database as it was


if __name__ == "__main__":
    main()
