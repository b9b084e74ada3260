"""Practice notes for figures 5 and 6: ``--notes`` notes (default 1,000,000) over three
years, their tags and Omaha problems, answers to half the questions, and the network
feed's entries for all of them, in the data database (``bench/seed_data.py``).

The text: a vocabulary of about 2,000 English words (Faker's English word lists,
and the words of a care team's notes written out below) drawn with a Zipf
distribution (the word of rank r with weight 1/r), so a handful of words are in most
notes and most words in few; sentences of 5 to 16 such words come from a pool of
200,000, and a note's body is 2 to 4 paragraphs of 5 to 12 of them (about 90 words).
Besides, 3% of the notes mention one of 80 specialist terms (again Zipf: the
commonest in about 6,000 notes, the rarest in about 80), as real notes name a
condition or a device most never mention. Figure 5 asks for those rare terms and for
the commonest care words (each in 40 to 80% of notes).

The search vector is written as ``coordination.practice.search.index_note`` writes
it: title at weight A, the tags (name and slug words) and Omaha problem names at B,
the body at C, in the 'english' configuration, in the same SQL expression. Notes
have no versions, comments or useful marks here: neither search nor the feed reads
them. Rows go in with COPY into staging tables and ``INSERT ... SELECT`` with the
indexes dropped, then the indexes are built again as the migrations made them.
"""

from __future__ import annotations

import datetime
import random
import re
import time

from bench.harness import say
from bench.seed_data import (
    bulk_session,
    coaches,
    execute,
    insert_select,
    members_by_team,
    reset_sequences,
    vacuum,
    without_indexes,
)

SEED_VERSION = 1
YEARS = 3
SENTENCE_POOL = 200_000
KINDS = (("practice", 40), ("question", 30), ("story", 20), ("guide", 10))
SPECIALIST_SHARE = 0.03
PUBLIC_SHARE = 0.10
ANSWERED_SHARE = 0.5  # of questions
FOLLOWER = "data-00002-01"  # follows a few tags, teams and problems (figure 6)


def _words(text: str) -> list[str]:
    return text.split()


# The head of the distribution: English stop words (the 'english' configuration
# leaves them out of the vector, as real text has them) and the words every care note
# uses, interleaved as they rank in such notes. The common terms figure 5 asks for
# are among them.
HEAD = _words(
    """
the and to care of a visit in client we team she family for medication with her
morning daughter it is on was that he his at as be they this had but not by have
from our when so all after if about would them more
"""
)
COMMON_TERMS = ("visit", "client", "team", "family", "medication", "morning", "daughter")

CARE_WORDS = _words(
    """
nurse carer home week help time plan gp evening pain falls fall wound dressing hoist
shower wash breakfast lunch dinner tea night weekend doctor pharmacy prescription
tablets dose insulin blood pressure sugar diabetes dementia memory confused anxious
lonely neighbour son husband wife grandson friend church garden walk walker frame
stairs bed chair toilet commode catheter continence pad skin heel sacrum redness
pressure cushion mattress turn reposition sore bruise fracture hip knee shoulder
physio physiotherapist occupational therapist exercise balance strength mobility
transfer stand sit kitchen meal fluids drink water hydration weight appetite soup
sandwich fridge shopping cleaning laundry bins post letters phone call alarm pendant
key safe door lock heating cold warm window light dark sleep tired rest nap awake
routine rota shift handover meeting coach colleague roster planning decision consent
agreement proposal budget direct payment council funder hours cost invoice receipt
referral discharge hospital ward ambulance paramedic admission readmission surgery
clinic appointment district practice surgery pharmacist chemist optician dentist
podiatrist chiropodist audiology hearing glasses teeth denture mouth swallow speech
language stroke heart failure breathless oxygen inhaler nebuliser copd asthma cough
chest infection antibiotics temperature fever flu vaccine covid test mask gloves
apron hygiene handwashing infection control safeguarding concern worry risk review
assessment goal outcome progress improved worse stable knowledge behaviour status
rating problem intervention target teaching guidance counselling surveillance case
management treatment procedure omaha record notes diary portal tablet app message
text reminder calendar schedule window late early arrived left finished started
cancelled missed covered swap claim offer request cover sick leave holiday training
learning supervision reflection feedback compliment complaint story tried worked
helped changed together listened asked explained showed agreed decided chose
preferred independent independence dignity choice voice wishes advance palliative
comfort end life grief bereavement funeral hospice syringe driver pain relief
morphine patch cream ointment drops eye ear nose bandage compression stocking leg
ulcer swelling oedema fluid restriction diuretic bowel constipation laxative
diarrhoea nausea vomiting appetite weight loss malnutrition supplement shake protein
fibre fruit vegetables porridge toast cereal yoghurt biscuits chocolate cake
"""
)

# Named by few notes: conditions, devices and drugs a team meets now and then. The
# second half are figure 5's rare terms.
SPECIALIST_TERMS = _words(
    """
tinnitus glaucoma cellulitis sciatica gout shingles psoriasis eczema vertigo angina
osteoporosis parkinsonism neuropathy lymphoedema incontinence hemiparesis aphasia
dysphagia cataracts macular bisphosphonate anticoagulant warfarin apixaban digoxin
levothyroxine metformin gliclazide furosemide bumetanide ramipril amlodipine statin
paracetamol codeine oxycodone fentanyl buprenorphine gabapentin pregabalin sertraline
mirtazapine donepezil memantine rivastigmine quetiapine haloperidol lorazepam
midazolam glycopyrronium hyoscine levomepromazine cyclizine ondansetron
metoclopramide lactulose senna macrogol loperamide nitrofurantoin trimethoprim
doxycycline flucloxacillin clarithromycin nystatin fluconazole emollient
hydrocolloid alginate silicone tracheostomy gastrostomy nephrostomy urostomy
colostomy ileostomy suprapubic spironolactone bisoprolol tamsulosin
"""
)

SPECIALIST_SENTENCES = (
    "We talked through the {term} with the GP and the family.",
    "Her {term} was reviewed at the practice this week.",
    "The district nurse showed us how she manages the {term} at home.",
    "He worries about the {term}, so we explain each step as we go.",
    "Since the {term} was started we check every morning and note what we see.",
)
SPECIALIST_TITLES = (
    "Living with {term} at home",
    "What we learnt about {term}",
    "{term}: how we support it",
)
TITLE_OPENINGS = {
    "practice": ("How we", "Our way of", "What works for", "We now"),
    "question": ("How do you", "Has anyone", "Who knows about", "What to do about"),
    "story": ("What happened when we", "We tried", "A week of", "Why we changed"),
    "guide": ("A guide to", "Checklist:", "Step by step:", "Getting started with"),
}


def add_arguments(p) -> None:
    g = p.add_argument_group("practice notes (figures 5 and 6)")
    g.add_argument(
        "--notes", type=int, default=1_000_000, help="practice notes to seed (default 1,000,000)"
    )


def signature(args) -> dict:
    return {"notes": args.notes, "version": SEED_VERSION}


def models() -> list:
    """What this seed fills (each must hold rows for the seed to be reused)."""
    from coordination.practice.models import Answer, FeedItem, Follow, Note

    return [Note, Answer, FeedItem, Follow]


def vocabulary() -> list[str]:
    """The words by rank, most frequent first (specialist terms excluded)."""
    from faker.providers.company.en_US import Provider as Company
    from faker.providers.job.en_US import Provider as Jobs
    from faker.providers.lorem.en_US import Provider as Lorem

    seen = set(SPECIALIST_TERMS)
    ranked: list[str] = []
    for word in [*HEAD, *CARE_WORDS]:
        if word not in seen:
            seen.add(word)
            ranked.append(word)
    head, care = ranked[: len(HEAD)], ranked[len(HEAD) :]
    texts = [
        *Lorem.word_list,
        *Jobs.jobs,
        *(w for words in Company.catch_phrase_words for w in words),
        *(w for words in Company.bsWords for w in words),
    ]
    rest = []
    for text in texts:
        for word in re.findall(r"[A-Za-z]{3,}", text):
            word = word.lower()
            if word not in seen:
                seen.add(word)
                rest.append(word)
    rng = random.Random(1)
    rng.shuffle(rest)
    # The care words spread through the upper ranks, everything else after them.
    body: list[str] = []
    step = max(1, (len(rest) // 2) // max(1, len(care)))
    for i, word in enumerate(care):
        body.append(word)
        body.extend(rest[i * step : (i + 1) * step])
    body.extend(rest[len(care) * step :])
    return head + body


def rare_terms() -> list[str]:
    """Figure 5's rare terms: the less frequent half of the specialist terms."""
    return SPECIALIST_TERMS[len(SPECIALIST_TERMS) // 2 :]


def common_terms() -> list[str]:
    return list(COMMON_TERMS)


class Writer:
    """Deterministic text from the Zipf vocabulary."""

    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed)
        self.words = vocabulary()
        self.cum = _zipf_cumulative(len(self.words))
        self.heavy = len(HEAD)  # title words skip the stop words and the commonest
        self.title_words = self.words[self.heavy :]
        self.title_cum = _zipf_cumulative(len(self.title_words))
        self.special_cum = _zipf_cumulative(len(SPECIALIST_TERMS))
        self.sentences = [self._sentence() for _ in range(SENTENCE_POOL)]

    def _sentence(self) -> str:
        words = self.rng.choices(self.words, cum_weights=self.cum, k=self.rng.randint(5, 16))
        return words[0].capitalize() + " " + " ".join(words[1:]) + "."

    def body(self, term: str | None) -> str:
        rng = self.rng
        count = rng.randint(5, 12)
        chosen = [self.sentences[rng.randrange(SENTENCE_POOL)] for _ in range(count)]
        if term:
            chosen.insert(rng.randrange(count), rng.choice(SPECIALIST_SENTENCES).format(term=term))
        paragraphs, at = [], 0
        while at < len(chosen):
            size = rng.randint(2, 4)
            paragraphs.append(" ".join(chosen[at : at + size]))
            at += size
        return "\n\n".join(paragraphs)

    def title(self, kind: str, term: str | None) -> str:
        rng = self.rng
        if term and rng.random() < 0.3:
            return rng.choice(SPECIALIST_TITLES).format(term=term).capitalize()
        words = rng.choices(self.title_words, cum_weights=self.title_cum, k=rng.randint(2, 5))
        return f"{rng.choice(TITLE_OPENINGS[kind])} {' '.join(words)}"

    def specialist(self) -> str | None:
        if self.rng.random() >= SPECIALIST_SHARE:
            return None
        return self.rng.choices(SPECIALIST_TERMS, cum_weights=self.special_cum)[0]


def _zipf_cumulative(size: int) -> list[float]:
    total, cum = 0.0, []
    for rank in range(1, size + 1):
        total += 1.0 / rank
        cum.append(total)
    return cum


def seed(args) -> None:
    from django.db import connection, transaction
    from django.utils import timezone

    from care.models import OmahaProblem
    from coordination.practice.models import Answer, FeedItem, Note, Tag

    started = time.monotonic()
    teams = members_by_team()
    team_ids = sorted(teams)
    coach_ids = coaches()
    tags = list(Tag.objects.order_by("name").values_list("pk", "name", "slug"))
    problems = list(OmahaProblem.objects.order_by("number").values_list("pk", "name"))
    tag_order = {pk: i for i, (pk, _, _) in enumerate(tags)}
    problem_order = {pk: i for i, (pk, _) in enumerate(problems)}
    rng = random.Random(11)
    tag_ranked = [pk for pk, _, _ in tags]
    rng.shuffle(tag_ranked)  # which tags are popular: any, but the same every time
    tag_cum = _zipf_cumulative(len(tag_ranked))
    problem_ranked = [pk for pk, _ in problems]
    rng.shuffle(problem_ranked)
    problem_cum = _zipf_cumulative(len(problem_ranked))
    tag_words = {pk: f"{name} {slug.replace('-', ' ')}" for pk, name, slug in tags}
    problem_words = dict(problems)
    kinds = [k for k, _ in KINDS]
    kind_weights = [w for _, w in KINDS]
    writer = Writer()
    say(f"notes: vocabulary of {len(writer.words):,} words, {SENTENCE_POOL:,} sentences")

    now = timezone.now()
    first = now - datetime.timedelta(days=365 * YEARS)
    span = (now - first).total_seconds()
    total = args.notes
    answer_rows: list[tuple] = []

    def notes():
        """The note rows, in the order of time; the answers go to answer_rows."""
        for i in range(total):
            note_id = i + 1
            created = first + datetime.timedelta(seconds=span * (i + rng.random()) / total)
            kind = rng.choices(kinds, weights=kind_weights)[0]
            if rng.random() < 0.03 or not team_ids:
                team_id, author = None, rng.choice(coach_ids)
            else:
                team_id = team_ids[rng.randrange(len(team_ids))]
                author = rng.choice(teams[team_id])
            term = writer.specialist()
            note_tags = sorted(
                set(rng.choices(tag_ranked, cum_weights=tag_cum, k=rng.randint(1, 3))),
                key=tag_order.get,
            )
            count = rng.choice((0, 0, 1, 1, 2))
            note_problems = sorted(
                set(rng.choices(problem_ranked, cum_weights=problem_cum, k=count)),
                key=problem_order.get,
            )
            tag_text = " ".join(
                [*(tag_words[t] for t in note_tags), *(problem_words[p] for p in note_problems)]
            )
            answered = kind == "question" and rng.random() < ANSWERED_SHARE
            yield (
                note_id,
                kind,
                writer.title(kind, term)[:200],
                writer.body(term),
                author,
                team_id,
                team_id is not None and rng.random() < 0.3,
                rng.random() < PUBLIC_SHARE,
                created,
                rng.choice((0, 0, 0, 1, 1, 2, 3, 5)),
                1 if answered else 0,
                note_tags,
                note_problems,
                tag_text,
            )
            if answered:
                helper_team = team_ids[rng.randrange(len(team_ids))]
                answered_at = min(now, created + datetime.timedelta(hours=rng.uniform(1, 72)))
                body = " ".join(writer.sentences[rng.randrange(SENTENCE_POOL)] for _ in range(3))
                answer_rows.append(
                    (
                        len(answer_rows) + 1,
                        note_id,
                        rng.choice(teams[helper_team]),
                        helper_team,
                        body,
                        answered_at,
                    )
                )
            if note_id % 200_000 == 0:
                say(f"notes: {note_id:,} written ({time.monotonic() - started:.0f} s)")

    note_tables = [
        Note._meta.db_table,
        FeedItem._meta.db_table,
        Answer._meta.db_table,
        Note.tags.through._meta.db_table,
        Note.problems.through._meta.db_table,
        FeedItem.tags.through._meta.db_table,
        FeedItem.problems.through._meta.db_table,
    ]
    with transaction.atomic():
        bulk_session()
        execute(
            f"TRUNCATE {', '.join(connection.ops.quote_name(t) for t in note_tables)}"
            " RESTART IDENTITY CASCADE"
        )
        execute(
            "CREATE TEMPORARY TABLE bench_note_stage (id bigint, kind text, title text,"
            " body text, author_id bigint, team_id bigint, team_owned boolean, public boolean,"
            " created timestamptz, useful_count int, answer_count int, tag_ids bigint[],"
            " problem_ids bigint[], tag_text text) ON COMMIT DROP"
        )
        execute(
            "CREATE TEMPORARY TABLE bench_answer_stage (id bigint, note_id bigint,"
            " author_id bigint, team_id bigint, body text, created timestamptz) ON COMMIT DROP"
        )
        _copy(
            "bench_note_stage",
            notes(),
            [
                "int8",
                "text",
                "text",
                "text",
                "int8",
                "int8",
                "bool",
                "bool",
                "timestamptz",
                "int4",
                "int4",
                "int8[]",
                "int8[]",
                "text",
            ],
        )
        _copy(
            "bench_answer_stage",
            answer_rows,
            ["int8", "int8", "int8", "int8", "text", "timestamptz"],
        )
        say(f"notes: staged ({time.monotonic() - started:.0f} s)")
        with without_indexes(*note_tables):
            insert_select(
                Note,
                {
                    "id": "id",
                    "kind": "kind",
                    "title": "title",
                    "body": "body",
                    # The Markdown of a body of plain paragraphs, as render() makes it.
                    "body_html": "'<p>' || replace(body, E'\\n\\n', E'</p>\\n<p>') || '</p>'",
                    "author_id": "author_id",
                    "team_id": "team_id",
                    "team_owned": "team_owned",
                    "public": "public",
                    "useful_count": "useful_count",
                    "answer_count": "answer_count",
                    "created": "created",
                    "updated": "created",
                    # search.index_note's vector, the same expression (search.vector).
                    "search": "setweight(to_tsvector('english'::regconfig, COALESCE(title, '')),"
                    " 'A') || setweight(to_tsvector('english'::regconfig,"
                    " COALESCE(tag_text, '')), 'B') || setweight(to_tsvector("
                    "'english'::regconfig, COALESCE(body, '')), 'C')",
                },
                "bench_note_stage ORDER BY id",
            )
            say(f"notes: inserted with their vectors ({time.monotonic() - started:.0f} s)")
            insert_select(
                Answer,
                {
                    "id": "id",
                    "note_id": "note_id",
                    "author_id": "author_id",
                    "team_id": "team_id",
                    "body": "body",
                    "body_html": "'<p>' || body || '</p>'",
                    "created": "created",
                },
                "bench_answer_stage ORDER BY id",
            )
            _m2m(
                Note.tags.through, "note", "tag", "SELECT id, unnest(tag_ids) FROM bench_note_stage"
            )
            _m2m(
                Note.problems.through,
                "note",
                "omahaproblem",
                "SELECT id, unnest(problem_ids) FROM bench_note_stage",
            )
            # The feed: an entry per note and per answer, ids in the order of time as
            # the services would have added them.
            execute(
                "CREATE TEMPORARY TABLE bench_feed_stage ON COMMIT DROP AS"
                " SELECT row_number() OVER (ORDER BY created, kind DESC, ref_id) AS id, x.*"
                " FROM (SELECT 'note'::text AS kind, s.id AS ref_id, s.id AS note_id,"
                " NULL::bigint AS answer_id, s.team_id, s.public, s.created, s.tag_ids,"
                " s.problem_ids FROM bench_note_stage s"
                " UNION ALL SELECT 'answer', a.id, a.note_id, a.id, a.team_id, s.public,"
                " a.created, s.tag_ids, s.problem_ids FROM bench_answer_stage a"
                " JOIN bench_note_stage s ON s.id = a.note_id) x"
            )
            insert_select(
                FeedItem,
                {
                    "id": "id",
                    "kind": "kind",
                    "ref_id": "ref_id",
                    "note_id": "note_id",
                    "answer_id": "answer_id",
                    "team_id": "team_id",
                    "public": "public",
                    "created": "created",
                },
                "bench_feed_stage ORDER BY id",
            )
            _m2m(
                FeedItem.tags.through,
                "feeditem",
                "tag",
                "SELECT id, unnest(tag_ids) FROM bench_feed_stage",
            )
            _m2m(
                FeedItem.problems.through,
                "feeditem",
                "omahaproblem",
                "SELECT id, unnest(problem_ids) FROM bench_feed_stage",
            )
            say(f"notes: answers, tags and feed inserted ({time.monotonic() - started:.0f} s)")
        say(f"notes: indexes built ({time.monotonic() - started:.0f} s)")
        reset_sequences(Note, Answer, FeedItem)
        _follows(tag_ranked, problem_ranked, team_ids)
    vacuum(*note_tables)
    say(f"notes: vacuumed ({time.monotonic() - started:.0f} s)")


def _copy(table: str, rows, types: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} FROM STDIN") as copy:
        copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _m2m(through, left: str, right: str, select: str) -> None:
    from django.db import connection

    fields = {
        f.related_model._meta.model_name: f.column
        for f in through._meta.concrete_fields
        if f.is_relation
    }
    table = connection.ops.quote_name(through._meta.db_table)
    execute(f"INSERT INTO {table} ({fields[left]}, {fields[right]}) {select}")


def _follows(tag_ranked: list[int], problem_ranked: list[int], team_ids: list[int]) -> None:
    """The follower of figure 6: three popular tags, one problem and two teams."""
    from coordination.practice.models import Follow
    from teams.models import Person

    person = Person.objects.get(username=FOLLOWER)
    Follow.objects.filter(person=person).delete()
    Follow.objects.bulk_create(
        [
            *(Follow(person=person, tag_id=pk) for pk in tag_ranked[2:5]),
            Follow(person=person, problem_id=problem_ranked[3]),
            *(Follow(person=person, team_id=pk) for pk in team_ids[10:12]),
        ]
    )
