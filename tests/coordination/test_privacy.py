"""The privacy check of texts that leave a team, through the services that write them:
every written form of a client's name, address, postcode, phone number and date of
birth, and NHS and BSN numbers, is held and cannot be confirmed away; softer hits are
held until confirmed; clean texts go through; held means nothing is stored; what
another team knows is no hit, what a helper learnt is; the query count does not grow
with the clients."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.models import Client, VisitGrant
from coordination.models import HelpOffer, HelpRequest
from coordination.practice import services
from coordination.practice.models import Answer, Comment, Note, NoteVersion, Pointer, Tag
from coordination.services import help as help_services
from tests.coordination.test_help import MORNING, build
from tests.coordination.test_practice import ask, write
from tests.factories import ClientFactory, TeamFactory, member
from tests.frontend.omaha import ensure_omaha_reference

pytestmark = pytest.mark.django_db

ClientDataWarning = services.ClientDataWarning


@pytest.fixture
def w(personas, settings):
    settings.PHONE_REGION = "GB"
    ensure_omaha_reference()
    w = personas
    w.bosch = ClientFactory(
        team=w.noord,
        first_name="Gerrit",
        last_name="Bosch",
        date_of_birth=datetime.date(1936, 4, 12),
        address="Hanzeweg 41",
        postcode="7413 AB",
        phone="0570 622 480",
    )
    w.van_dam = ClientFactory(
        team=w.noord,
        first_name="Johanna",
        preferred_name="Annie",
        last_name="van Dam",
        date_of_birth=datetime.date(1941, 9, 3),
        address="12 Church Street, Deventer",
        postcode="SW1A 1AA",
        phone="+44 20 7946 0018",
    )
    w.kerk = ClientFactory(
        team=w.noord, first_name="Hendrik", last_name="Wolters", address="Kerkstraat 12"
    )
    w.brink = ClientFactory(
        team=w.zuid, first_name="Aaltje", preferred_name="Alie", last_name="Brink"
    )
    w.note = write(w.cas, title="Night lights", body="On the way to the bathroom.")
    return w


def comment(actor, note, body: str, **extra) -> Comment:
    return services.comment_add(actor=actor, note=note, body=body, **extra)


def held(do, *args, **kwargs) -> ClientDataWarning:
    """What the privacy check found when ``do(*args, **kwargs)`` was held."""
    with pytest.raises(ClientDataWarning) as caught:
        do(*args, **kwargs)
    return caught.value


# Each written form, the kind of finding and what the author is shown as found.
IDENTIFIERS = [
    ("We asked Gerrit Bosch about it.", "name", "Gerrit Bosch"),
    ("Bosch, Gerrit liked the lights.", "name", "Bosch, Gerrit"),
    ("G. Bosch liked the lights.", "name", "G. Bosch"),
    ("G.J. Bosch liked the lights.", "name", "G.J. Bosch"),
    ("Visited Bosch G. twice.", "name", "Bosch G."),
    ("Visited Bosch, G twice.", "name", "Bosch, G"),
    ("Mrs Bosch liked the lights.", "name", "Mrs Bosch"),
    ("Mr. Bosch liked the lights.", "name", "Mr. Bosch"),
    ("We asked mevrouw Bosch.", "name", "mevrouw Bosch"),
    ("Opa Bosch liked the lights.", "name", "Opa Bosch"),
    ("gerrit   BOSCH liked it.", "name", "gerrit   BOSCH"),
    ("Ger\u200brit Bo\u200dsch liked it.", "name", "Gerrit Bosch"),  # zero-width inside
    ("G\u00aderrit Bosch\u2060 liked it.", "name", "Gerrit Bosch"),  # soft hyphen, joiner
    ("\u0412\u043esch, Gerrit liked it.", "name", "\u0412\u043esch, Gerrit"),  # Cyrillic В, о
    ("Gerrit \u0392\u03bfsch liked it.", "name", "Gerrit \u0392\u03bfsch"),  # Greek Β, ο
    ("\uff27\uff45\uff52\uff52\uff49\uff54 Bosch liked it.", "name", "Ｇｅｒｒｉｔ Bosch"),
    ("𝐆𝐞𝐫𝐫𝐢𝐭 𝐁𝐨𝐬𝐜𝐡 liked it.", "name", "𝐆𝐞𝐫𝐫𝐢𝐭 𝐁𝐨𝐬𝐜𝐡"),
    ("Gérrit Bösch liked it.", "name", "Gérrit Bösch"),  # diacritics
    ("Annie van Dam joined.", "name", "Annie van Dam"),
    ("Johanna Van Dam joined.", "name", "Johanna Van Dam"),
    ("Van Dam, Annie joined.", "name", "Van Dam, Annie"),
    ("A. van Dam joined.", "name", "A. van Dam"),
    ("Dam, A. van joined.", "name", "Dam, A. van"),
    ("We asked mevrouw Van Dam.", "name", "mevrouw Van Dam"),
    ("Annie Dam joined.", "name", "Annie Dam"),
    ("She is at Hanzeweg 41 now.", "address", "Hanzeweg 41"),
    ("She is at hanzeweg nr. 41a now.", "address", "hanzeweg nr. 41a"),
    ("She is at 41 Hanzeweg now.", "address", "41 Hanzeweg"),
    ("Hanzew\u0435g 41 has stairs.", "address", "Hanzew\u0435g 41"),  # Cyrillic е
    ("He lives at 12 Church St.", "address", "12 Church St"),
    ("He lives at Church Street 12.", "address", "Church Street 12"),
    ("Kerkstr. 12 has a ramp now.", "address", "Kerkstr. 12"),
    ("Kerkstraat 12 has a ramp now.", "address", "Kerkstraat 12"),
    ("Postcode 7413AB has no bus.", "postcode", "7413AB"),
    ("Postcode 7413 ab has no bus.", "postcode", "7413 ab"),
    ("Near sw1a 1aa there is a bus.", "postcode", "sw1a 1aa"),
    ("Ring 0570 622 480 first.", "phone", "0570 622 480"),
    ("Ring 0570-622480 first.", "phone", "0570-622480"),
    ("Ring (0570) 622480 first.", "phone", "(0570) 622480"),
    ("Ring +31 570 622 480 first.", "phone", "+31 570 622 480"),
    ("Ring 0031570622480 first.", "phone", "0031570622480"),
    ("Ring 0570/62.24.80 first.", "phone", "0570/62.24.80"),
    ("Ring ０５７０ ６２２ ４８０ first.", "phone", "０５７０ ６２２ ４８０"),
    ("Ring 020 7946 0018 first.", "phone", "020 7946 0018"),
    ("Ring +44 (0)20 7946 0018 first.", "phone", "+44 (0)20 7946 0018"),
    ("Born 12/04/1936.", "date_of_birth", "12/04/1936"),
    ("Since 12-04-1936.", "date_of_birth", "12-04-1936"),
    ("Since 12.4.36.", "date_of_birth", "12.4.36"),
    ("Since 1936-04-12.", "date_of_birth", "1936-04-12"),
    ("Since 12 April 1936.", "date_of_birth", "12 April 1936"),
    ("Since 12th of April, 1936.", "date_of_birth", "12th of April, 1936"),
    ("Since April 12, 1936.", "date_of_birth", "April 12, 1936"),
    ("Sinds 3 september 1941.", "date_of_birth", "3 september 1941"),
    ("Sinds 3 sept. '41.", "date_of_birth", "3 sept. '41"),
    ("NHS number 943 476 5919, for the GP.", "nhs_number", "943 476 5919"),
    ("NHS 9434765919, for the GP.", "nhs_number", "9434765919"),
    ("BSN 111222333 for the form.", "bsn", "111222333"),
    ("BSN 1112.22.333 for the form.", "bsn", "1112.22.333"),
]


@pytest.mark.parametrize(("text", "kind", "found"), IDENTIFIERS)
def test_a_comment_identifying_a_client_is_held_and_cannot_be_confirmed(w, text, kind, found):
    for confirm in (False, True):
        warning = held(comment, w.ana, w.note, text, confirm_no_client_data=confirm)
        assert [(f.field, f.kind, f.text, f.confirmable) for f in warning.findings] == [
            ("body", kind, found, False)
        ]
        assert not warning.confirmable
    assert not Comment.objects.exists()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("How Bosch, Gerrit stopped falling", "Bosch, Gerrit"),
        ("How G. Bosch stopped falling", "G. Bosch"),
        ("How Gerrit Bo\u200bsch stopped falling", "Gerrit Bosch"),
        ("How Gerrit \u0412\u043esch stopped falling", "Gerrit \u0412\u043esch"),
        ("Stairs at Hanzeweg 41", "Hanzeweg 41"),
    ],
)
def test_the_note_check_no_longer_lets_these_through(w, text, found):
    """Reordered and initial forms, zero-width characters, Cyrillic look-alikes and a
    bare street address all passed the old note check."""
    for confirm in (False, True):
        warning = held(write, w.ana, title=text, confirm_no_client_data=confirm)
        assert [(f.field, f.text) for f in warning.findings] == [("title", found)]
    assert not Note.objects.filter(author=w.ana).exists()
    assert not NoteVersion.objects.filter(note__author=w.ana).exists()


SOFT = [
    ("Bosch drills are the best for this.", "surname", "Bosch"),
    ("Van Dam makes good ramps.", "surname", "Van Dam"),
    ("Ring the district nurses on 0161 496 0000.", "phone_number", "0161 496 0000"),
    ("Ring them on +31 20 555 0123.", "phone_number", "+31 20 555 0123"),
    ("Someone born 3 March 1941 asked.", "birth_date", "3 March 1941"),
    ("DOB 01/02/1950 on the form.", "birth_date", "01/02/1950"),
]


@pytest.mark.parametrize(("text", "kind", "found"), SOFT)
def test_a_softer_hit_is_held_until_the_author_confirms(w, text, kind, found):
    warning = held(comment, w.ana, w.note, text)
    assert [(f.kind, f.text, f.confirmable) for f in warning.findings] == [(kind, found, True)]
    assert warning.confirmable and not Comment.objects.exists()
    stored = comment(w.ana, w.note, text, confirm_no_client_data=True)
    assert stored.body == text


def test_a_phone_number_that_passes_the_nhs_check_digit_is_still_a_phone_number(w, settings):
    """One ten-digit Dutch number in eleven passes the NHS number's check digit: it is a
    number the author may confirm (a pharmacy's), not an NHS number they may not."""
    settings.PHONE_REGION = "NL"
    text = "Ring the pharmacy on 0570622107 first."
    warning = held(comment, w.ana, w.note, text)
    assert [(f.kind, f.text, f.confirmable) for f in warning.findings] == [
        ("phone_number", "0570622107", True)
    ]
    comment(w.ana, w.note, text, confirm_no_client_data=True)


def test_a_link_to_a_record_and_a_colleagues_name_are_softer_hits(w):
    namesake = ClientFactory(team=w.noord, first_name="Ben", last_name="Mulder")
    for text, kind in (
        ("Ben Mulder showed us how.", "colleague_name"),
        (f"See /clients/{namesake.pk}/ for how.", "client_link"),
    ):
        warning = held(comment, w.ana, w.note, text)
        assert [(f.kind, f.confirmable) for f in warning.findings] == [(kind, True)]
        comment(w.ana, w.note, text, confirm_no_client_data=True)
    assert Comment.objects.count() == 2


def test_confirming_a_softer_hit_does_not_let_an_identifier_through(w):
    text = "Bosch drills: ask Mrs Bosch, 0570 622 480."
    warning = held(comment, w.ana, w.note, text, confirm_no_client_data=True)
    # What the confirmation covers is not shown again; what it cannot cover is.
    assert [(f.kind, f.text) for f in warning.findings] == [
        ("name", "Mrs Bosch"),
        ("phone", "0570 622 480"),
    ]
    assert not Comment.objects.exists()


# A clean text, and the same text once it identifies a client: the check tells them apart.
CLEAN = [
    # the brand, written as a word
    ("We bought a bosch drill for the ramp.", "We bought a bosch drill for G. Bosch."),
    # colleagues
    ("Ana de Vries showed us how; Ben Mulder agreed.", "Ana showed us how; Gerrit Bosch agreed."),
    # a street without a house number
    ("On my way back from the Kerkstraat.", "On my way back from Kerkstraat 12."),
    # a first name alone
    ("Gerrit is a common first name; so is Annie.", "Gerrit is a first name; so is Annie van Dam."),
    # surnames as words
    ("It was a dam of paperwork, on the brink.", "It was a dam of paperwork for mevrouw Van Dam."),
    # another team's client
    ("Aaltje Brink is in team Zuid's care.", "Hendrik Wolters is in our care."),
    (
        "We tried it for 12 weeks with 3 carers, 2 x 500 mg at 10:30-11:00.",
        "We tried it for 12 weeks with 3 carers; ring 0570 622 480.",
    ),
    # dates that are nobody's birthday
    ("The training on 20-05-2024 and 2024-06-03 helped.", "The date 12-04-1936 helped."),
    # an area, not a postcode
    ("Deventer 7413 has no bus on Sundays.", "Deventer 7413 AB has no bus on Sundays."),
    ("Call 111 or 999; 943 476 5918 fails the check.", "Call 111 or 999; NHS 943 476 5919."),
    ("Room 12, bed 41: the hoist is in Room 41.", "Hanzeweg 41: the hoist is in Room 41."),
]


@pytest.mark.parametrize(("clean", "identifying"), CLEAN)
def test_clean_texts_are_published_at_once_and_their_near_misses_held(w, clean, identifying):
    assert comment(w.ana, w.note, clean).body == clean
    warning = held(comment, w.ana, w.note, identifying, confirm_no_client_data=True)
    assert not warning.confirmable
    assert list(Comment.objects.values_list("body", flat=True)) == [clean]


def test_what_another_team_knows_is_no_hit_but_what_a_helper_learnt_is(w):
    text = "Alie Brink's ramp is a good example."
    comment(w.ana, w.note, text)  # Brink is Zuid's client: Ana does not know her
    comment(w.cas, w.note, "Gerrit Bosch's ramp too.")  # Bosch is Noord's
    assert held(comment, w.cas, w.note, text).findings[0].kind == "name"
    # Ana helped Zuid with one of Mrs Brink's visits: now she knows her.
    from tests.care.visit_helpers import at, plan

    visit = plan(w.cas, w.brink, at("2026-12-08", "09:00"))
    VisitGrant.objects.create(
        visit=visit,
        person=w.ana,
        granted_by=w.cas,
        expires_at=visit.window_end + datetime.timedelta(hours=4),
        reason="help request 1",
    )
    warning = held(comment, w.ana, w.note, text)
    assert [(f.kind, f.text) for f in warning.findings] == [("name", "Alie Brink")]
    assert "a client of team Zuid" in warning.findings[0].message


def test_nhs_and_bsn_numbers_are_held_whoever_writes_them(w):
    for text in ("NHS 943 476 5919 on the letter.", "BSN 111222333 on the form."):
        for author in (w.coach, w.cas):
            warning = held(comment, author, w.note, text, confirm_no_client_data=True)
            assert not warning.confirmable
    # A coach knows no clients: a name alone is no hit for them.
    comment(w.coach, w.note, "Gerrit Bosch's ramp.")


def test_answers_pointers_tags_and_revisions_are_held_and_nothing_changes(w):
    question = ask(w.cas, title="Ramps?")
    for confirm in (False, True):
        warning = held(
            services.answer_post,
            actor=w.ana,
            note=question,
            body="Ask G. Bosch.",
            confirm_no_client_data=confirm,
        )
        assert warning.findings[0].message == (
            "“G. Bosch” in the answer looks like the name of a client of team Noord."
        )
    assert not Answer.objects.exists() and Note.objects.get(pk=question.pk).answer_count == 0
    held(
        services.note_point, actor=w.coach, note=question, team=w.noord, note_text="NHS 9434765919"
    )
    assert not Pointer.objects.exists()
    held(services.tag_create, actor=w.ana, name="Gerrit Bosch")
    assert not Tag.objects.filter(name="Gerrit Bosch").exists()
    mine = write(w.ana, title="Ramps", body="Ramps help.")
    held(services.note_revise, actor=w.ana, note=mine, version=1, body="Ramps help Bosch, Gerrit.")
    mine.refresh_from_db()
    assert (mine.version, mine.body, mine.versions.count()) == (1, "Ramps help.", 1)
    # A question is a note: held the same.
    held(ask, w.ana, title="How do we help Mrs van Dam?")


def test_a_request_for_help_and_an_offer_are_held_for_what_other_teams_read(personas, settings):
    settings.PHONE_REGION = "GB"
    with time_machine.travel(MORNING, tick=False):
        w = build(personas)  # Noord asks for help with Mrs Jansen (Ceintuurbaan 118)
        visits = [w.lunch.pk]
        for skills in ("Insulin, for Mrs Jansen", "Hoist at Ceintuurbaan 118"):
            for confirm in (False, True):
                warning = held(
                    help_services.help_request_raise,
                    actor=w.ana,
                    team=w.noord,
                    visits=visits,
                    skills=skills,
                    confirm_no_client_data=confirm,
                )
                assert warning.findings[0].field == "skills"
        assert HelpRequest.objects.count() == 1  # only the one build() raised
        # The team's own note stays in the team: it is not checked.
        help_services.help_request_raise(
            actor=w.ana, team=w.noord, visits=visits, skills="Insulin", note="Mrs Jansen again"
        )
        # Cas (Zuid) offers with a word about one of his own clients.
        ClientFactory(team=w.zuid, first_name="Frans", last_name="Hulshof")
        warning = held(
            help_services.help_offer_make,
            actor=w.cas,
            request=w.request,
            version=w.request.version,
            note="After my visit to Frans Hulshof.",
        )
        assert warning.findings[0].message == (
            "“Frans Hulshof” in the note for the team looks like the name of a client of team Zuid."
        )
        assert not HelpOffer.objects.exists()
        help_services.help_offer_make(
            actor=w.cas, request=w.request, version=w.request.version, note="After my round."
        )


def test_the_check_reads_the_same_two_queries_however_many_clients_and_teams(w):
    from coordination import privacy

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            privacy.findings(author=w.ana, texts={"body": "Mrs Bosch at Hanzeweg 41."})
        return len(seen)

    few = queries()
    second = TeamFactory(name="West", slug="west")
    member("ana-west", second)
    from teams.models import Membership

    Membership.objects.create(team=second, person=w.ana)
    Client.objects.bulk_create(
        Client(team=team, first_name=f"First{i}", last_name=f"Last{i}", address=f"Laan {i}")
        for i in range(200)
        for team in (w.noord, second)
    )
    assert queries() == few == 2
