"""The client-data warning: practice notes are for the whole network, so before one is
published Kith looks for what seems to identify a client of the author's own teams.

Best effort, never a guarantee. It finds, in the title and the body:

- a client's name: first or preferred name with the last name ("Gerrit Bosch",
  "Annie van Dam"), or a title with the last name ("Mrs Jansen", "mevrouw Jansen");
- their phone number (digits compared, spaces and dashes ignored), street address
  with house number, or full postcode;
- a link to their record in Kith (``/clients/17/``, ``/portal/clients/17/``);
- anything shaped like an NHS number (ten digits that pass its check digit), whoever
  it belongs to.

The clients come from ``care.selectors.clients.clients_of``, one query per team the
author belongs to (coaches have none: only the NHS number check applies to them).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from care.selectors.clients import clients_of
from teams import selectors as team_selectors
from teams.models import Person

TITLES = r"(?:mrs|mr|ms|miss|mx|dr|mevrouw|meneer|mevr|dhr)\.?"
NHS_NUMBER = re.compile(r"(?<![\d-])(\d{3})[ -]?(\d{3})[ -]?(\d{4})(?![\d-])")
PHONE_LIKE = re.compile(r"\+?\d[\d \-()/.]{5,}\d")
CLIENT_LINK = re.compile(r"/(?:portal/)?clients/(\d+)(?!\d)")
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Warning:
    field: str  # "title" or "body"
    kind: str  # name, phone, address, postcode, client_link, nhs_number
    text: str  # what was found, as written
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def _phrase(text: str) -> str:
    """A phrase as a pattern in which runs of spaces do not matter."""
    return r"\s+".join(re.escape(p) for p in text.split())


def _words(text: str) -> str:
    """A phrase as whole words only (search it case-insensitively)."""
    return r"(?<!\w)" + _phrase(text) + r"(?!\w)"


def nhs_number_valid(digits: str) -> bool:
    """The NHS number's modulus 11 check digit."""
    if len(digits) != 10 or not digits.isdecimal() or len(set(digits)) == 1:
        return False
    total = sum(int(d) * (10 - i) for i, d in enumerate(digits[:9]))
    check = 11 - total % 11
    if check == 11:
        check = 0
    return check != 10 and check == int(digits[9])


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


@dataclass
class _Client:
    pk: int
    team: str
    names: list[str]
    last: str
    phone: str
    address: str
    postcode: str


def _clients_of_author(author: Person) -> list[_Client]:
    found = []
    for team in team_selectors.teams_of(author):
        rows = clients_of(author, team).values_list(
            "pk", "first_name", "last_name", "preferred_name", "phone", "address", "postcode"
        )
        for pk, first, last, preferred, phone, address, postcode in rows:
            names = []
            for given in {first.strip(), preferred.strip()} - {""}:
                if last.strip():
                    names.append(f"{given} {last.strip()}")
            found.append(
                _Client(
                    pk=pk,
                    team=team.name,
                    names=names,
                    last=last.strip(),
                    phone=_digits(phone),
                    address=address.strip(),
                    postcode=postcode.strip(),
                )
            )
    return found


def _client_warnings(field: str, text: str, clients: list[_Client]) -> list[Warning]:
    warnings: list[Warning] = []
    phones = {_digits(m.group()): m.group().strip() for m in PHONE_LIKE.finditer(text)}
    links = {int(m.group(1)): m.group() for m in CLIENT_LINK.finditer(text)}

    def add(kind: str, found: str, what: str, client: _Client) -> None:
        message = (
            f"The {field} mentions “{found}”, which looks like {what} of a client of"
            f" team {client.team}."
        )
        warnings.append(Warning(field=field, kind=kind, text=found, message=message))

    for client in clients:
        for name in client.names:
            match = re.search(_words(name), text, re.IGNORECASE)
            if match:
                add("name", match.group(), "the name", client)
        if client.last:
            titled = rf"(?<!\w){TITLES}\s+{_phrase(client.last)}(?!\w)"
            match = re.search(titled, text, re.IGNORECASE)
            if match:
                add("name", match.group(), "the name", client)
        if len(client.phone) >= MIN_PHONE_DIGITS:
            for digits, written in phones.items():
                same = digits.endswith(client.phone[-9:]) or client.phone.endswith(digits[-9:])
                if same and len(digits) >= MIN_PHONE_DIGITS:
                    add("phone", written, "the phone number", client)
        if client.address and re.search(r"\d", client.address) and len(client.address) > 5:
            match = re.search(_words(client.address), text, re.IGNORECASE)
            if match:
                add("address", match.group(), "the address", client)
        compact = client.postcode.replace(" ", "")
        if len(compact) >= 5 and re.search(r"\d", compact) and re.search(r"[A-Za-z]", compact):
            pattern = r"(?<!\w)" + r"\s?".join(re.escape(c) for c in compact) + r"(?!\w)"
            match = re.search(pattern, text, re.IGNORECASE)
            if match:
                add("postcode", match.group(), "the postcode", client)
        if client.pk in links:
            add("client_link", links[client.pk], "a link to the record", client)
    return warnings


def _nhs_warnings(field: str, text: str) -> list[Warning]:
    warnings = []
    for match in NHS_NUMBER.finditer(text):
        if nhs_number_valid("".join(match.groups())):
            warnings.append(
                Warning(
                    field=field,
                    kind="nhs_number",
                    text=match.group(),
                    message=f"The {field} contains “{match.group()}”, which looks like an NHS"
                    " number.",
                )
            )
    return warnings


def client_data_warnings(*, author: Person, title: str, body: str) -> list[Warning]:
    """What in the title and body seems to identify a client (see the module)."""
    clients = _clients_of_author(author)
    warnings: list[Warning] = []
    seen: set[tuple[str, str, str]] = set()
    for field, text in (("title", title or ""), ("body", body or "")):
        for warning in _client_warnings(field, text, clients) + _nhs_warnings(field, text):
            key = (warning.field, warning.kind, warning.text.lower())
            if key not in seen:
                seen.add(key)
                warnings.append(warning)
    return warnings
