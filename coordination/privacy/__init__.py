"""The privacy check of every text that leaves a team.

Practice notes and their edits, answers, comments and coaches' pointers are read by
every team and coach (public ones by inspectors, clients and families too); tag
names by everyone who reads practice; the skills of a request for help and the note
of an offer of help by other teams; a team's decisions (proposals, the texts of
their payloads, amendments, objections, comments) by the coaches it invites. Before
any of them is written, ``check`` looks for what identifies a person, and a hit holds
the text for its author with the reason: the service raises ``ClientDataWarning`` (a
``ValidationError``: the API answers 400 with a message per field, a page keeps the
typed text and shows the reasons beside it) and nothing is stored. ``teams`` cannot
import this package: ``register`` puts ``check_team_texts`` in its registry of text
checks (``teams.texts``), from ``CoordinationConfig.ready``.

What is found (``detect``), on text folded so that case, diacritics, invisible
characters, compatibility forms and look-alike letters of other scripts do not hide
anything (``folding``):

- identifiers, which the author cannot confirm away (they must edit the text):
  the name of a client the author knows (their teams' clients, and those whose visits
  were lent to them; in a team's decisions, that team's clients too, whoever writes),
  in any order and form: "Gerrit Bosch", "Bosch, Gerrit",
  "G. Bosch", "Bosch G.", "Mrs Bosch", "mevrouw Bosch", "opa Bosch", "Annie van Dam",
  "Dam, A. van"; their street and house number ("Hanzeweg 41", "41 Hanzeweg",
  "Kerkstr. 12"), postcode, phone number (any written form, with or without the
  country code) and date of birth (numeric, ISO, or with the month in words); and
  anything that passes the check digits of an NHS number (modulus 11) or a BSN
  (11-proef), whoever it belongs to;
- softer hits, which the author may confirm (``confirm_no_client_data``): a client's
  surname alone, written with a capital (it may be a colleague, a brand or a place:
  "Bosch"; written in lower case, "bosch" is a word and no hit); a client's full name
  that is also the name of someone in the author's teams; any other phone number; any
  date said to be a birth date ("born 3 March 1941"); a link to a client's record.

A client's first name alone is no hit (too common to tell), nor is a colleague named
with their given name who shares a client's surname ("Femke Jansen as housekeeper",
when Femke Jansen is in the team), nor a street without a house number ("on my way
back from the Kerkstraat"), nor the first half of a postcode (an area). Best effort,
never a guarantee: spelling a name out letter by letter, or writing digits as
look-alike letters, is not caught.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from coordination.privacy import detect, known
from coordination.privacy.folding import Folded
from teams import texts as team_texts
from teams.models import Person, Team

CONFIRM = team_texts.CONFIRM

# kind: (what it is, whether the author may confirm it is not a client's)
KINDS: dict[str, tuple[str, bool]] = {
    "name": ("the name of a client of team {team}", False),
    "address": ("the address of a client of team {team}", False),
    "postcode": ("the postcode of a client of team {team}", False),
    "phone": ("the phone number of a client of team {team}", False),
    "date_of_birth": ("the date of birth of a client of team {team}", False),
    "nhs_number": ("an NHS number", False),
    "bsn": ("a BSN (a Dutch citizen service number)", False),
    "surname": (
        "the surname of a client of team {team}: confirm only if you mean someone or"
        " something else (a colleague, a brand, a place)",
        True,
    ),
    "colleague_name": (
        "the name of a client of team {team}, and of someone in your team: confirm only if"
        " you mean your colleague",
        True,
    ),
    "phone_number": (
        "a phone number: confirm only if it is nobody's in a client's life (a service's"
        " number, say)",
        True,
    ),
    "birth_date": (
        "someone's date of birth: confirm only if it is nobody's in a client's life",
        True,
    ),
    "client_link": (
        "a link to the record of a client of team {team}: confirm only if you mean to link it",
        True,
    ),
}

HELD = (
    "Not published: this seems to identify a client. Take out what is marked: a client's"
    " name, address, postcode, phone number or date of birth, and any NHS or BSN number,"
    " cannot leave the team, even when confirmed."
)
HELD_SOFT = (
    "Not published yet: check what is marked. If none of it identifies a client,"
    " confirm and publish it."
)
CANNOT_CONFIRM = (
    "Confirming cannot publish a client's name, address, postcode, phone number or date"
    " of birth, nor an NHS or BSN number: edit the text."
)
MAY_CONFIRM = "Confirm that none of this identifies a client to publish it as it is."


@dataclass(frozen=True)
class Finding:
    field: str  # the field it was found in ("title", "body", "skills", ...)
    kind: str  # a key of KINDS
    text: str  # what was found, as written (without invisible characters)
    message: str
    confirmable: bool

    def as_dict(self) -> dict:
        return asdict(self)


class ClientDataWarning(ValidationError):
    """The text seems to identify a client: a 400 naming what was found under each
    field, a general message, and under ``confirm_no_client_data`` whether the author
    may confirm it (only when every finding is ``confirmable``)."""

    def __init__(self, findings: list[Finding]):
        self.findings = findings
        self.confirmable = all(f.confirmable for f in findings)
        errors: dict[str, list[str]] = {NON_FIELD_ERRORS: [self.summary]}
        for finding in findings:
            errors.setdefault(finding.field, []).append(finding.message)
        errors[CONFIRM] = [MAY_CONFIRM if self.confirmable else CANNOT_CONFIRM]
        super().__init__(errors)

    @property
    def summary(self) -> str:
        """What the author is to do, in one sentence."""
        return HELD_SOFT if self.confirmable else HELD

    @property
    def field_messages(self) -> dict[str, list[str]]:
        """What was found, by the field it was found in."""
        found: dict[str, list[str]] = {}
        for finding in self.findings:
            found.setdefault(finding.field, []).append(finding.message)
        return found


def findings(
    *,
    author: Person | None,
    texts: Mapping[str, str],
    labels: Mapping[str, str] | None = None,
    team: Team | None = None,
    what_is_known: known.Known | None = None,
) -> list[Finding]:
    """What in the texts (field name -> text) seems to identify a person; ``labels``
    names the fields in the messages ("the comment"). ``team``: the texts are that
    team's, so its clients count as known too. ``what_is_known``: loaded already."""
    labels = labels or {}
    if what_is_known is None:
        what_is_known = known.load(author, team=team)
    found: list[Finding] = []
    seen: set[tuple[str, str, str]] = set()
    for name, text in texts.items():
        if not text:
            continue
        folded = Folded(text)
        for hit in detect.scan(folded, what_is_known):
            written = folded.written(hit.start, hit.end)
            key = (name, hit.kind, folded.folded[hit.start : hit.end])
            if key in seen:
                continue
            seen.add(key)
            what, confirmable = KINDS[hit.kind]
            what = what.format(team=hit.client.team if hit.client else "")
            label = labels.get(name, name)
            found.append(
                Finding(
                    field=name,
                    kind=hit.kind,
                    text=written,
                    message=f"“{written}” in the {label} looks like {what}.",
                    confirmable=confirmable,
                )
            )
    return found


def check(
    *,
    author: Person,
    texts: Mapping[str, str],
    confirmed: bool = False,
    labels: Mapping[str, str] | None = None,
    team: Team | None = None,
) -> None:
    """Hold the texts (raise ``ClientDataWarning``) if they seem to identify a client,
    unless every finding is one the author may confirm and ``confirmed`` is true."""
    found = findings(author=author, texts=texts, labels=labels, team=team)
    if confirmed is True:
        found = [f for f in found if not f.confirmable]
    if found:
        raise ClientDataWarning(found)


def check_team_texts(
    *,
    author: Person,
    team: Team,
    texts: Mapping[str, str],
    confirmed: bool,
    labels: Mapping[str, str],
) -> None:
    """The check of what a team shares with its coaches (``teams.texts``): the team's
    own clients are the ones its coaches must not read of, whoever writes (a coach
    commenting knows none by their work), and the author's other clients too (a member
    of two teams knows both teams')."""
    check(author=author, texts=texts, confirmed=confirmed, labels=labels, team=team)


def register() -> None:
    """Called from ``CoordinationConfig.ready`` (teams never imports coordination)."""
    team_texts.register("client_data", check_team_texts)
