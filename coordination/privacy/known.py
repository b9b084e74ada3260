"""What the author knows that must not leave the team: their clients' names, addresses,
postcodes, phone numbers and dates of birth, and their colleagues' names, prepared
for matching against folded text (``folding``).

Two queries, however many teams and clients: the clients (``care.selectors.clients.
identifiers_known_to``: the author's teams' clients and those whose visits were lent
to them; for a team's own text, that team's clients too) and the names of everyone in
the author's teams (and in that team).
"""

from __future__ import annotations

import datetime
import functools
import re
from dataclasses import dataclass, field

import phonenumbers
from django.conf import settings

from care.selectors.clients import IDENTIFIERS, identifiers_known_to
from coordination.privacy.folding import fold
from teams import selectors as team_selectors
from teams.models import Person, Team

TOKEN = re.compile(r"[^\W_]+")
# Dutch, German, French, Italian and Spanish name particles: "van Dam" is filed and
# also written as "Dam, A. van", and people drop the particle in speech.
PARTICLES = frozenset(
    {
        *("van", "von", "der", "den", "de", "het", "t", "ter", "ten", "te", "in", "op", "zu"),
        *("le", "la", "du", "da", "di", "del", "della", "des", "dos", "das"),
    }
)
# Street types and how they are shortened, as one set per type: a text may write
# any of them for any other.
STREET_TYPES = [
    {"street", "st"},
    {"road", "rd"},
    {"avenue", "ave", "av"},
    {"lane", "ln"},
    {"drive", "dr"},
    {"close", "cl"},
    {"court", "ct"},
    {"crescent", "cres"},
    {"place", "pl"},
    {"gardens", "gdns"},
    {"terrace", "terr"},
    {"square", "sq"},
    {"grove", "gr"},
]
COMPOUND_STREET_TYPES = {"straat": "str"}
NOT_STREETS = frozenset({"flat", "apartment", "apt", "unit", "room", "suite", "house"})
MIN_PHONE_DIGITS = 7
PHONE_TAIL = 9  # national numbers compared on their last nine digits
PREPARED_CACHE = 50_000  # clients' details kept prepared, per process (a few MB)


@functools.lru_cache(maxsize=PREPARED_CACHE)
def words(text: str) -> tuple[str, ...]:
    return tuple(TOKEN.findall(fold(text)))


@dataclass(frozen=True, eq=False)
class Client:
    pk: int
    team: str
    surname: tuple[str, ...]
    core: tuple[str, ...]  # the surname without its leading particles
    given: frozenset[str]
    initials: frozenset[str]
    dob: datetime.date | None


@dataclass(frozen=True)
class Address:
    street: tuple[str, ...]
    number: str
    client: Client


@dataclass
class Known:
    """The author's clients and colleagues, indexed for matching."""

    clients: list[Client] = field(default_factory=list)
    # First word of a surname (in full, or without its particles) -> (surname, client,
    # whether it is the surname in full).
    surnames: dict[str, list[tuple[tuple[str, ...], Client, bool]]] = field(default_factory=dict)
    streets: dict[str, list[Address]] = field(default_factory=dict)
    postcodes: dict[str, Client] = field(default_factory=dict)
    phones: dict[str, Client] = field(default_factory=dict)  # national number -> client
    birthdays: dict[datetime.date, Client] = field(default_factory=dict)
    # (day, month, year's last two digits) -> client: "12-4-36".
    short_birthdays: dict[tuple[int, int, int], Client] = field(default_factory=dict)
    by_pk: dict[int, Client] = field(default_factory=dict)
    colleagues: set[tuple[str, tuple[str, ...]]] = field(default_factory=set)
    region: str = "GB"


def national_number(raw: str, region: str) -> str:
    """A phone number's national significant number ("0570 622 480" -> "570622480"),
    or its digits without leading zeros when it does not parse."""
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        return re.sub(r"\D", "", raw).lstrip("0")
    return phonenumbers.national_significant_number(number)


def street_variants(street: tuple[str, ...]) -> set[tuple[str, ...]]:
    """The street as written, and with its type written out or shortened
    ("Church Street", "Church St"; "Kerkstraat", "Kerkstr")."""
    found = {street}
    last = street[-1]
    for group in STREET_TYPES:
        if last in group:
            found |= {(*street[:-1], other) for other in group}
    # Dutch streets end in their type, one word: "Kerkstraat", written "Kerkstr.".
    for long, short in COMPOUND_STREET_TYPES.items():
        for stem_end, other_end in ((long, short), (short, long)):
            if last.endswith(stem_end) and len(last) > len(stem_end) + 1:
                found.add((*street[:-1], last[: -len(stem_end)] + other_end))
    return found


def parse_address(address: str) -> tuple[tuple[str, ...], str] | None:
    """(street words, house number) of "Hanzeweg 41", "Ceintuurbaan 118 A",
    "12 Church Street, Deventer" or "Flat 2, 12 Church Street"; None without both."""
    for part in fold(address).split(","):
        tokens = TOKEN.findall(part)
        while tokens and not tokens[-1][0].isdigit() and len(tokens[-1]) <= 2:
            tokens.pop()  # an addition after the number ("118 A", "7 hs")
        if len(tokens) < 2:
            continue
        number = re.match(r"\d+", tokens[-1])
        if number and all(t.isalpha() for t in tokens[:-1]):
            street = tuple(tokens[:-1])
        else:
            number = re.match(r"\d+", tokens[0])
            street = tuple(tokens[1:])
            if number is None or not all(t.isalpha() for t in street):
                continue
        if street and street[0] not in NOT_STREETS and len("".join(street)) >= 3:
            return street, number.group()
    return None


@dataclass(frozen=True)
class _Prepared:
    """One client's identifiers as the matchers need them."""

    client: Client
    addresses: tuple[Address, ...]
    postcode: str
    phone: str


@functools.lru_cache(maxsize=PREPARED_CACHE)
def _prepare(row: tuple, region: str) -> _Prepared:
    """Folding and parsing a client's details is most of the check's work: done once
    per version of the details (the row's values are the key, so a changed address is
    prepared afresh) and kept for the next check."""
    pk, team, first_name, last_name, preferred_name, dob, address, postcode, phone = row
    surname = words(last_name)
    core = surname
    while len(core) > 1 and core[0] in PARTICLES:
        core = core[1:]
    given = {w for name in (first_name, preferred_name) for w in words(name)}
    client = Client(
        pk=pk,
        team=team,
        surname=surname,
        core=core,
        given=frozenset(w for w in given if len(w) > 1),
        initials=frozenset(w[0] for w in given if w[0].isalpha()),
        dob=dob,
    )
    addresses: tuple[Address, ...] = ()
    parsed = parse_address(address or "")
    if parsed:
        street, number = parsed
        addresses = tuple(Address(v, number, client) for v in street_variants(street))
    compact = "".join(words(postcode or ""))
    if not (len(compact) >= 5 and re.search(r"\d", compact) and re.search(r"[a-z]", compact)):
        compact = ""
    national = ""
    if len(re.sub(r"\D", "", fold(phone or ""))) >= MIN_PHONE_DIGITS:
        national = national_number(phone, region)[-PHONE_TAIL:]
    return _Prepared(client, addresses, compact, national)


def load(author: Person | None, *, team: Team | None = None) -> Known:
    """What ``author`` knows; with ``team``, also that team's clients and members (the
    text is the team's, read by its coaches)."""
    known = Known(region=settings.PHONE_REGION)
    for row in identifiers_known_to(author, team=team):
        prepared = _prepare(tuple(row[name] for name in IDENTIFIERS), known.region)
        client = prepared.client
        known.clients.append(client)
        known.by_pk[client.pk] = client
        if client.surname:
            known.surnames.setdefault(client.surname[0], []).append((client.surname, client, True))
            if client.core != client.surname:
                known.surnames.setdefault(client.core[0], []).append((client.core, client, False))
        for address in prepared.addresses:
            known.streets.setdefault(address.street[0], []).append(address)
        if prepared.postcode:
            known.postcodes[prepared.postcode] = client
        if prepared.phone:
            known.phones[prepared.phone] = client
        if client.dob is not None:
            known.birthdays[client.dob] = client
            short = (client.dob.day, client.dob.month, client.dob.year % 100)
            known.short_birthdays[short] = client
    for teammate in team_selectors.teammate_names(author, team=team):
        surname = words(teammate["last_name"])
        for name in (teammate["first_name"], teammate["preferred_name"]):
            for given in words(name):
                known.colleagues.add((given, surname))
    return known
