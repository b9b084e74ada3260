"""Finding what identifies a person in one folded text (``folding.Folded``).

Each finder returns ``Hit``s: where in the folded text, what kind, which client (if
any). Numbers are looked for first and claim their characters, so a date of birth is
not also read as a phone number, nor an NHS number as either.

Written by hand where no library fits: names in their written forms (initials,
reversed, titles, particles), street addresses and dates in the forms people write
them. Phone numbers are ``phonenumbers``' matcher; NHS and BSN check digits are
``python-stdnum``'s.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

import phonenumbers
from stdnum.gb import nhs
from stdnum.nl import bsn

from coordination.privacy.folding import Folded
from coordination.privacy.known import PARTICLES, PHONE_TAIL, TOKEN, Client, Known

# Words put before a surname: English and Dutch forms of address, and family.
TITLES = frozenset(
    {
        *("mrs", "mr", "ms", "miss", "mx", "dr"),
        *("mevrouw", "mevr", "mw", "meneer", "mijnheer", "dhr", "heer"),
        *("mej", "mejuffrouw", "juffrouw", "fam", "familie", "family", "oma", "opa"),
    }
)
NUMBER_WORDS = frozenset({"nr", "no", "nummer", "number", "huisnummer"})
NHS_NUMBER = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?!\d|-\d)")
BSN_NUMBER = re.compile(
    r"(?<![\d.-])(\d{4}\.\d{2}\.\d{3}|\d{3}[ .-]\d{3}[ .-]\d{3}|\d{9})(?!\d|[.-]\d)"
)
PHONE_LIKE = re.compile(r"\+?\d[\d \-()/.]{5,}\d")
CLIENT_LINK = re.compile(r"/(?:portal/)?clients/(\d+)(?!\d)")

MONTHS = {
    **dict.fromkeys(["january", "jan", "januari"], 1),
    **dict.fromkeys(["february", "feb", "februari"], 2),
    **dict.fromkeys(["march", "mar", "maart", "mrt"], 3),
    **dict.fromkeys(["april", "apr"], 4),
    **dict.fromkeys(["may", "mei"], 5),
    **dict.fromkeys(["june", "jun", "juni"], 6),
    **dict.fromkeys(["july", "jul", "juli"], 7),
    **dict.fromkeys(["august", "aug", "augustus"], 8),
    **dict.fromkeys(["september", "sep", "sept"], 9),
    **dict.fromkeys(["october", "oct", "oktober", "okt"], 10),
    **dict.fromkeys(["november", "nov"], 11),
    **dict.fromkeys(["december", "dec"], 12),
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_ORDINAL = r"(?:st|nd|rd|th|e|de|ste)?"
DATE_NUMERIC = re.compile(r"(?<![\d.\-/])(\d{1,2})([-/.])(\d{1,2})\2(\d{4}|\d{2})(?![\d]|[-/.]\d)")
DATE_ISO = re.compile(r"(?<![\d.\-/])(\d{4})-(\d{1,2})-(\d{1,2})(?![\d]|-\d)")
DATE_DAY_MONTH = re.compile(
    rf"(?<!\w)(\d{{1,2}}){_ORDINAL}\s+(?:of\s+)?({_MONTH})\.?,?\s+'?(\d{{4}}|\d{{2}})(?!\w)"
)
DATE_MONTH_DAY = re.compile(rf"(?<!\w)({_MONTH})\.?\s+(\d{{1,2}}){_ORDINAL},?\s+(\d{{4}})(?!\w)")
BIRTH_WORDS = re.compile(
    r"(?:born|b\.|dob|d\.o\.b\.?|date of birth|birth ?date|birthday|geboren|geb\.|"
    r"geboortedatum)[\s:,]*(?:on\s+|op\s+)?$"
)


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    kind: str
    client: Client | None = None


@dataclass(frozen=True)
class _Token:
    word: str
    start: int
    end: int


class _Scan:
    """One folded text and what has been claimed in it."""

    def __init__(self, folded: Folded, known: Known):
        self.folded = folded
        self.text = folded.folded
        self.known = known
        self.tokens = [_Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(self.text)]
        self.claimed: list[tuple[int, int]] = []
        self.hits: list[Hit] = []

    def free(self, start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in self.claimed)

    def add(self, start: int, end: int, kind: str, client: Client | None = None) -> None:
        self.claimed.append((start, end))
        self.hits.append(Hit(start, end, kind, client))

    def gap(self, i: int) -> str:
        """What lies between token i and token i + 1 (None past the end)."""
        if i + 1 >= len(self.tokens):
            return self.text[self.tokens[i].end :]
        return self.text[self.tokens[i].end : self.tokens[i + 1].start]

    def typed_upper(self, position: int) -> bool:
        return self.folded.text[self.folded.start_of(position)].isupper()


# --- numbers ----------------------------------------------------------------------------


def _nhs_and_bsn(scan: _Scan) -> None:
    for match in NHS_NUMBER.finditer(scan.text):
        digits = "".join(match.groups())
        # NHS numbers never start with 0; ten digits that do are a phone number (one
        # in eleven of them passes the check digit).
        if digits[0] != "0" and nhs.is_valid(digits) and scan.free(*match.span()):
            scan.add(*match.span(), "nhs_number")
    for match in BSN_NUMBER.finditer(scan.text):
        digits = re.sub(r"\D", "", match.group())
        if bsn.is_valid(digits) and scan.free(*match.span()):
            scan.add(*match.span(), "bsn")


def _date(year: int, month: int, day: int) -> datetime.date | None:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        return None


def _dates(scan: _Scan) -> None:
    """Written dates: a client's date of birth, or any date said to be a birth date."""
    found: list[tuple[int, int, list[tuple[int, int, int]]]] = []  # (start, end, [(d, m, y)])
    for m in DATE_NUMERIC.finditer(scan.text):
        a, b, y = int(m.group(1)), int(m.group(3)), int(m.group(4))
        found.append((m.start(), m.end(), [(a, b, y), (b, a, y)]))  # day first, or month first
    for m in DATE_ISO.finditer(scan.text):
        found.append((m.start(), m.end(), [(int(m.group(3)), int(m.group(2)), int(m.group(1)))]))
    for m in DATE_DAY_MONTH.finditer(scan.text):
        found.append((m.start(), m.end(), [(int(m.group(1)), MONTHS[m.group(2)], int(m.group(3)))]))
    for m in DATE_MONTH_DAY.finditer(scan.text):
        found.append((m.start(), m.end(), [(int(m.group(2)), MONTHS[m.group(1)], int(m.group(3)))]))
    known = scan.known
    for start, end, readings in sorted(found, key=lambda f: f[0]):
        if not scan.free(start, end):
            continue
        client = None
        for day, month, year in readings:
            if year >= 100:
                date = _date(year, month, day)
                client = known.birthdays.get(date) if date else None
            elif _date(2000, month, day):  # a valid day and month, year of two digits
                client = known.short_birthdays.get((day, month, year))
            if client is not None:
                break
        if client is not None:
            scan.add(start, end, "date_of_birth", client)
        elif BIRTH_WORDS.search(scan.text[max(0, start - 30) : start]):
            scan.add(start, end, "birth_date")


def _phones(scan: _Scan) -> None:
    """A client's phone number in any written form; any other valid phone number of
    the deployment's country, or written with its country code."""
    known = scan.known
    region = known.region
    for match in phonenumbers.PhoneNumberMatcher(
        scan.text, region, leniency=phonenumbers.Leniency.POSSIBLE
    ):
        start, end = match.start, match.end
        if not scan.free(start, end):
            continue
        national = phonenumbers.national_significant_number(match.number)
        client = known.phones.get(national[-PHONE_TAIL:])
        if client is not None:
            scan.add(start, end, "phone", client)
        elif phonenumbers.is_valid_number(match.number):
            scan.add(start, end, "phone_number")
    # Forms the matcher does not read as one number ("0570/62.24.80"): their digits.
    for like in PHONE_LIKE.finditer(scan.text):
        digits = re.sub(r"\D", "", like.group()).lstrip("0")
        if len(digits) >= 7 and scan.free(*like.span()):
            client = known.phones.get(digits[-PHONE_TAIL:])
            if client is not None:
                scan.add(*like.span(), "phone", client)


def _links(scan: _Scan) -> None:
    for match in CLIENT_LINK.finditer(scan.text):
        client = scan.known.by_pk.get(int(match.group(1)))
        if client is not None and scan.free(*match.span()):
            scan.add(*match.span(), "client_link", client)


# --- postcodes and addresses --------------------------------------------------------------


def _postcodes(scan: _Scan) -> None:
    tokens, postcodes = scan.tokens, scan.known.postcodes
    for i, token in enumerate(tokens):
        candidates = [(token.word, token.end)]
        if i + 1 < len(tokens) and re.fullmatch(r" {0,2}", scan.gap(i)):
            candidates.insert(0, (token.word + tokens[i + 1].word, tokens[i + 1].end))
        for compact, end in candidates:
            client = postcodes.get(compact)
            if client is not None and scan.free(token.start, end):
                scan.add(token.start, end, "postcode", client)
                break


def _house_number(word: str, number: str) -> bool:
    """ "41", "41a", "118bis" are number 41 or 118."""
    return word == number or (
        word.startswith(number) and word[len(number) :].isalpha() and len(word) - len(number) <= 3
    )


def _addresses(scan: _Scan) -> None:
    """A client's street with their house number, before or after it: "Hanzeweg 41",
    "hanzeweg nr. 41", "12 Church St"."""
    tokens = scan.tokens
    for i, token in enumerate(tokens):
        for address in scan.known.streets.get(token.word, ()):
            n = len(address.street)
            if tuple(t.word for t in tokens[i : i + n]) != address.street:
                continue
            last = i + n - 1
            after = last + 1
            between = [scan.gap(last)]
            if after < len(tokens) and tokens[after].word in NUMBER_WORDS:
                between.append(scan.gap(after))
                after += 1
            span = None
            if (
                after < len(tokens)
                and _house_number(tokens[after].word, address.number)
                and all(re.fullmatch(r"[\s,.:]*", gap) for gap in between)
            ):
                span = (token.start, tokens[after].end)
            if (
                span is None
                and i > 0
                and _house_number(tokens[i - 1].word, address.number)
                and re.fullmatch(r"\s*,?\s*", scan.gap(i - 1))
            ):
                span = (tokens[i - 1].start, tokens[last].end)
            if span is not None and scan.free(*span):
                scan.add(*span, "address", address.client)
                break


# --- names ------------------------------------------------------------------------------


def _is_initial(scan: _Scan, i: int) -> bool:
    word = scan.tokens[i].word
    return len(word) == 1 and word.isalpha() and re.fullmatch(r"\.\s*", scan.gap(i)) is not None


def _before(scan: _Scan, first: int, client: Client) -> tuple[int, str] | None:
    """Given names or initials just before the surname ("Gerrit Bosch", "G. Bosch",
    "G.J. Bosch"), or a title ("Mrs Bosch"): (first token, "given" or "title")."""
    tokens = scan.tokens
    if (
        first > 0
        and tokens[first - 1].word in TITLES
        and re.fullmatch(r"\.?\s+", scan.gap(first - 1))
    ):
        return first - 1, "title"
    start = None
    i = first - 1
    while i >= 0 and first - i <= 4:
        word = tokens[i].word
        if word in client.given and re.fullmatch(r"\s+", scan.gap(i)):
            start = i
        elif _is_initial(scan, i):
            if word in client.initials:
                start = i
        else:
            break
        i -= 1
    return (start, "given") if start is not None else None


def _after(scan: _Scan, last: int, client: Client) -> int | None:
    """Given names or initials just after the surname, as lists write them ("Bosch,
    Gerrit", "Bosch G.", "Bosch, G", "Dam, A. van"): the last token of the name."""
    tokens = scan.tokens
    gap = scan.gap(last)
    if last + 1 >= len(tokens) or not re.fullmatch(r"\s*,?\s*", gap) or not gap:
        return None
    comma = "," in gap
    end = None
    i = last + 1
    while i < len(tokens) and i - last <= 4:
        word = tokens[i].word
        if word in client.given:
            end = i
        elif len(word) == 1 and word in client.initials:
            if not (comma or _is_initial(scan, i)):
                break
            end = i
        elif not (end is not None and (word in PARTICLES or _is_initial(scan, i))):
            break
        if not re.fullmatch(r"[\s.]*", scan.gap(i)):
            break
        i += 1
    if end is not None:
        while end + 1 < len(tokens) and tokens[end + 1].word in PARTICLES and end + 1 <= i:
            end += 1
    return end


def _colleague(scan: _Scan, first: int, last: int, surname: tuple[str, ...]) -> bool:
    """The surname is a colleague's, named with their given name ("Femke Jansen",
    "Jansen, Femke"): a team's decisions name colleagues all the time, and a client
    who shares the surname is not who is meant."""
    tokens, colleagues = scan.tokens, scan.known.colleagues
    before = (
        first > 0
        and re.fullmatch(r"\s+", scan.gap(first - 1)) is not None
        and (tokens[first - 1].word, surname) in colleagues
    )
    after = (
        last + 1 < len(tokens)
        and re.fullmatch(r"\s*,?\s*", scan.gap(last)) is not None
        and (tokens[last + 1].word, surname) in colleagues
    )
    return before or after


def _names(scan: _Scan) -> None:
    tokens, known = scan.tokens, scan.known
    for i, token in enumerate(tokens):
        for surname, client, full in known.surnames.get(token.word, ()):
            n = len(surname)
            if tuple(t.word for t in tokens[i : i + n]) != surname:
                continue
            if not full:
                particles = len(client.surname) - n
                if (
                    tuple(t.word for t in tokens[max(0, i - particles) : i])
                    == client.surname[:particles]
                ):
                    continue  # the surname in full is here: read as that
            last = i + n - 1
            before = _before(scan, i, client)
            after = None if before else _after(scan, last, client)
            if before is not None:
                first, how = before
                start, end = tokens[first].start, tokens[last].end
                kind = "name"
                if how == "given":
                    given = {t.word for t in tokens[first:i]} & client.given
                    if any((g, client.surname) in known.colleagues for g in given):
                        kind = "colleague_name"
            elif after is not None:
                start, end, kind = token.start, tokens[after].end, "name"
                if _is_initial(scan, after):
                    end += 1  # "Bosch G.": the initial's full stop
                given = {t.word for t in tokens[last + 1 : after + 1]} & client.given
                if any((g, client.surname) in known.colleagues for g in given):
                    kind = "colleague_name"
            elif full and scan.typed_upper(tokens[i + n - len(client.core)].start):
                if _colleague(scan, i, last, surname):
                    continue
                start, end, kind = token.start, tokens[last].end, "surname"
            else:
                continue
            if scan.free(start, end):
                scan.add(start, end, kind, client)


def scan(folded: Folded, known: Known) -> list[Hit]:
    """Everything in the text that seems to identify a person, in the order written."""
    found = _Scan(folded, known)
    for finder in (_nhs_and_bsn, _dates, _postcodes, _phones, _addresses, _links, _names):
        finder(found)
    return sorted(found.hits, key=lambda h: h.start)
