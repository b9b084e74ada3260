"""Notifications: who each event notifies, once; quiet hours; the person's own stream;
the API (list, unread count, mark read, preferences); the daily digest."""

from __future__ import annotations

import datetime
import io
from types import SimpleNamespace

import pytest
import time_machine
from channels.db import database_sync_to_async
from channels.routing import URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from care.services import visits as visit_services
from coordination.events import Event, EventRecord, publish
from coordination.events.streams import person_stream, team_stream
from coordination.notifications import digest, rules
from coordination.notifications import services as notification_services
from coordination.notifications.models import Notification, NotificationPreference
from coordination.notifications.quiet import in_quiet_hours
from coordination.routing import websocket_urlpatterns
from coordination.services import handovers as handover_services
from teams.models import AuditEntry, Membership
from teams.services import proposals as proposal_services
from tests.care.visit_helpers import at, jansen_client, plan
from tests.doors import api
from tests.factories import member

API = "/api/v1/notifications"
DAY = "2026-12-08"
MORNING = at(DAY, "07:30")  # Tuesday, before the day's visits


def build(personas) -> SimpleNamespace:
    """Noord (Ana, Ben, Dora) with Mrs Jansen's visits on Tuesday; Zuid has Cas."""
    w = personas
    w.dora = member("dora", w.noord, first_name="Dora", last_name="Kamp")
    w.client = jansen_client(w)
    w.open = plan(w.ana, w.client, at(DAY, "09:00"))
    w.anas = plan(w.ana, w.client, at(DAY, "11:00"), assignee=w.ana)
    w.bens = plan(w.ana, w.client, at(DAY, "14:00"), assignee=w.ben)
    return w


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        yield build(personas)


def of(person) -> list[Notification]:
    return list(Notification.objects.filter(person=person).order_by("id"))


def pushed(person) -> list[EventRecord]:
    """What went out live on the person's own stream."""
    return list(EventRecord.objects.filter(stream=person_stream(person.pk)).order_by("seq"))


def offer(w):
    return handover_services.handover_offer(actor=w.ana, visit=w.anas, version=1, to=w.ben)


def raise_proposal(w, actor=None):
    return proposal_services.proposal_raise(
        actor=actor or w.ana, team=w.noord, kind="general", title="Lunch together", purpose="P"
    )


def run_late(w, visit, actor, minutes=20):
    until = max(MORNING, visit.window_start) + datetime.timedelta(minutes=minutes)
    return visit_services.visit_running_late(
        actor=actor, visit=visit, version=visit.version, until=until
    )


def accept_help(w, person, actor, offer_id=7):
    with transaction.atomic():
        publish(
            Event(
                "help.offer_accepted",
                {"request": 3, "offer": offer_id, "person": person.pk},
                actor=actor.pk,
            ),
            streams=["help"],
        )


def mute(person, *kinds):
    notification_services.preference_update(actor=person, muted=list(kinds))


# --- the four triggers -------------------------------------------------------------------


def test_a_handover_offer_notifies_the_colleague_it_is_offered_to_only(w):
    made = offer(w)
    (n,) = of(w.ben)
    assert n.kind == Notification.Kind.HANDOVER_OFFERED
    assert n.text == "Ana de Vries offers you the visit at 11:00 on Tue 8 Dec"
    assert n.url == f"/teams/noord/board/?date={DAY}"
    assert n.read_at is None
    assert (n.source_stream, n.subject) == (w.noord.stream, f"handover.offered:{made.pk}")
    # Not the actor, not the rest of the team, not another team; no client named.
    assert of(w.ana) == of(w.dora) == of(w.cas) == []
    assert "Jansen" not in n.text


def test_a_swap_offer_says_which_visit_goes_the_other_way(w):
    handover_services.handover_offer_swap(
        actor=w.ana, visit=w.anas, version=1, swap_visit=w.bens, swap_version=1
    )
    (n,) = of(w.ben)
    assert n.text == (
        "Ana de Vries offers you the visit at 11:00 on Tue 8 Dec"
        " in exchange for yours at 14:00 on Tue 8 Dec"
    )


def test_an_accepted_help_offer_notifies_the_helper(w):
    accept_help(w, w.cas, actor=w.ana)
    (n,) = of(w.cas)
    assert n.kind == Notification.Kind.HELP_ACCEPTED
    assert n.text == "Ana de Vries accepted your offer of help"
    assert n.source_stream == "help"
    assert of(w.ana) == of(w.ben) == []


def test_a_raised_proposal_waits_for_every_other_current_member(w):
    proposal = raise_proposal(w)
    for person in (w.ben, w.dora):
        (n,) = of(person)
        assert n.kind == Notification.Kind.PROPOSAL_WAITING
        assert n.text.startswith("Ana de Vries asks for your response to “Lunch together” by ")
        assert n.url == f"/proposals/{proposal.pk}/"
    # The proposer consented by raising it; other teams and coaches have nothing to answer.
    assert of(w.ana) == of(w.cas) == of(w.coach) == []
    # One notification per person, though the event went to the team and shared streams.
    assert Notification.objects.count() == 2


def test_a_member_who_left_is_not_asked(w):
    Membership.objects.filter(person=w.dora).update(left=datetime.date(2026, 12, 7))
    raise_proposal(w)
    assert [n.person_id for n in Notification.objects.all()] == [w.ben.pk]


def test_running_late_tells_the_rest_of_the_team(w):
    visit = run_late(w, w.bens, w.ben)
    for person in (w.ana, w.dora):
        (n,) = of(person)
        assert n.kind == Notification.Kind.VISIT_LATE
        assert n.text == (
            "Ben Mulder is running late for the visit at 14:00 on Tue 8 Dec: arriving about 14:20"
        )
        assert n.url == f"/teams/noord/board/?date={DAY}"
    assert of(w.ben) == of(w.cas) == []
    # Later still: a new notification. On time after all: none.
    visit = run_late(w, visit, w.ben, minutes=40)
    assert [n.text[-5:] for n in of(w.ana)] == ["14:20", "14:40"]
    visit_services.visit_running_late(actor=w.ben, visit=visit, version=visit.version, until=None)
    assert len(of(w.ana)) == 2


def test_an_unassigned_visit_running_late_tells_everyone_but_who_said_so(w):
    run_late(w, w.open, w.dora)
    assert [len(of(p)) for p in (w.ana, w.ben, w.dora)] == [1, 1, 0]
    assert of(w.ana)[0].text == "The visit at 09:00 on Tue 8 Dec is running late: about 09:20"


def test_the_actor_is_never_notified_even_when_named(w):
    accept_help(w, w.ana, actor=w.ana)
    assert Notification.objects.count() == 0


def test_muted_kinds_are_skipped(w):
    mute(w.ben, "proposal_waiting")
    raise_proposal(w)
    offer(w)
    assert [n.kind for n in of(w.ben)] == ["handover_offered"]
    assert len(of(w.dora)) == 1


def test_the_same_event_never_notifies_twice(w):
    made = offer(w)
    record = EventRecord.objects.get(stream=w.noord.stream, type="handover.offered")
    event = Event(record.type, record.data, actor=record.actor_id)
    with transaction.atomic():
        rules.on_event(event, [record])  # replayed from the log
        publish(event, streams=[w.noord.stream])  # published again: a new seq, the same news
    assert len(of(w.ben)) == 1
    assert of(w.ben)[0].subject == f"handover.offered:{made.pk}"
    assert len(pushed(w.ben)) == 1


def test_notifications_of_notifications_do_not_exist(w, monkeypatch, loose_events):
    # Even a rule that would match them is never asked: no notification loops (the
    # event carries a help payload, which its declaration refuses when strict).
    monkeypatch.setitem(rules.RULES, "notification.created", rules.help_offer_accepted)
    with transaction.atomic():
        publish(
            Event("notification.created", {"offer": 1, "person": w.ben.pk}, actor=w.ana.pk),
            streams=[person_stream(w.ben.pk)],
        )
    assert Notification.objects.count() == 0


def test_a_failing_rule_never_fails_the_write(w, monkeypatch):
    def broken(event):
        raise RuntimeError("boom")

    monkeypatch.setitem(rules.RULES, "handover.offered", broken)
    made = offer(w)
    assert made.status == "offered"
    assert EventRecord.objects.filter(type="handover.offered").count() == 1
    assert Notification.objects.count() == 0


def test_a_rolled_back_write_leaves_no_notification(w):
    with pytest.raises(RuntimeError), transaction.atomic():
        offer(w)
        raise RuntimeError("the caller gives up")
    assert Notification.objects.count() == 0
    assert not EventRecord.objects.filter(stream__startswith="person.").exists()


# --- live, and quiet hours ----------------------------------------------------------------


def test_each_new_notification_rings_the_persons_stream_with_the_unread_count(w):
    offer(w)
    raise_proposal(w)
    events = pushed(w.ben)
    assert [e.type for e in events] == ["notification.created"] * 2
    assert [e.data["unread"] for e in events] == [1, 2]
    assert [e.data["notification"] for e in events] == [n.pk for n in of(w.ben)]


def test_quiet_hours_store_the_notification_without_pushing_it(w):
    notification_services.preference_update(actor=w.ben, quiet_start="07:00", quiet_end="08:00")
    raise_proposal(w)
    assert len(of(w.ben)) == 1  # kept: the bell shows it on the next page
    assert pushed(w.ben) == []
    assert [e.type for e in pushed(w.dora)] == ["notification.created"]


def test_quiet_hours_may_wrap_midnight():
    night = (datetime.time(22, 0), datetime.time(7, 0))
    assert in_quiet_hours(*night, at(DAY, "23:30"))
    assert in_quiet_hours(*night, at(DAY, "06:59"))
    assert not in_quiet_hours(*night, at(DAY, "07:00"))
    assert not in_quiet_hours(*night, at(DAY, "21:59"))
    assert in_quiet_hours(datetime.time(13, 0), datetime.time(14, 0), at(DAY, "13:00"))
    assert not in_quiet_hours(None, None, at(DAY, "13:00"))


ORIGIN = (b"origin", b"http://localhost")


def socket_of(person, query: str):
    app = AllowedHostsOriginValidator(URLRouter(websocket_urlpatterns))
    socket = WebsocketCommunicator(app, f"/ws/live/{query}", headers=[ORIGIN])
    socket.scope["user"] = person
    return socket


@pytest.mark.django_db(transaction=True)
async def test_the_person_stream_is_readable_by_that_person_alone(personas):
    ben_stream = person_stream(personas.ben.pk)
    for outsider in (personas.ana, personas.cas, personas.coach, personas.mrs_jansen):
        socket = socket_of(outsider, f"?since={ben_stream}:0")
        assert (await socket.connect())[0]
        assert await socket.receive_output(timeout=3) == {"type": "websocket.close", "code": 4403}

    socket = socket_of(personas.ben, f"?since={ben_stream}:0")
    assert (await socket.connect())[0]
    assert (await socket.receive_json_from(timeout=3)) == {
        "type": "ready",
        "heads": {ben_stream: 0},
    }

    @database_sync_to_async
    def ana_offers():
        w = build(personas)
        return offer(w)

    await ana_offers()
    event = await socket.receive_json_from(timeout=3)
    assert (event["stream"], event["event"]) == (ben_stream, "notification.created")
    assert event["data"]["unread"] == 1
    await socket.disconnect()


# --- the API ------------------------------------------------------------------------------


def fields(response) -> dict:
    body = response.json()
    assert set(body) == {"message", "extra"}, body
    return body["extra"].get("fields", {})


def many(person, count: int) -> list[Notification]:
    start = Notification.objects.filter(person=person).count()
    return Notification.objects.bulk_create(
        Notification(
            person=person,
            kind=Notification.Kind.VISIT_LATE,
            text=f"Note {start + i}",
            url="/",
            source_stream=team_stream(0),
            source_seq=start + i + 1,
            subject=f"test:{start + i}",
        )
        for i in range(count)
    )


def test_unread_count_mark_read_and_read_all(w):
    offer(w)
    raise_proposal(w)
    assert api(w.ben).get(f"{API}/unread-count").json() == {"unread": 2}
    first, second = of(w.ben)
    r = api(w.ben).post(f"{API}/{first.pk}/read")
    assert r.status_code == 200
    assert r.json()["read"] is True
    assert api(w.ben).get(f"{API}/unread-count").json() == {"unread": 1}
    # Reading it again changes nothing and tells nobody.
    events = len(pushed(w.ben))
    assert api(w.ben).post(f"{API}/{first.pk}/read").status_code == 200
    assert len(pushed(w.ben)) == events
    assert pushed(w.ben)[-1].type == "notification.read"
    assert pushed(w.ben)[-1].data == {"notifications": [first.pk], "unread": 1}
    r = api(w.ben).post(f"{API}/read-all")
    assert r.json() == {"read": 1, "unread": 0}
    assert pushed(w.ben)[-1].data == {"notifications": [second.pk], "unread": 0}
    assert api(w.ben).post(f"{API}/read-all").json() == {"read": 0, "unread": 0}
    assert AuditEntry.objects.filter(action__startswith="notification.read").count() == 2


def test_someone_elses_notification_is_404_and_stays_unread(w):
    offer(w)
    (n,) = of(w.ben)
    for person in (w.ana, w.cas, w.coach):
        r = api(person).post(f"{API}/{n.pk}/read")
        assert r.status_code == 404
        assert set(r.json()) == {"message", "extra"}
    assert api(w.ben).post(f"{API}/999999/read").status_code == 404
    n.refresh_from_db()
    assert n.read_at is None
    # Read-all and the list are one's own too.
    api(w.ana).post(f"{API}/read-all")
    n.refresh_from_db()
    assert n.read_at is None
    assert api(w.ana).get(API).json()["results"] == []


def test_anonymous_callers_get_401(w):
    for method, path in [
        ("get", API),
        ("get", f"{API}/unread-count"),
        ("post", f"{API}/1/read"),
        ("post", f"{API}/read-all"),
        ("get", f"{API}/preferences"),
        ("patch", f"{API}/preferences"),
    ]:
        assert getattr(api(), method)(path).status_code == 401, path


def test_the_list_is_newest_first_in_pages_of_fifty(w):
    made = many(w.ben, 120)
    many(w.ana, 3)
    seen, cursor, pages = [], None, 0
    while True:
        r = api(w.ben).get(API, {"cursor": cursor} if cursor else {})
        assert r.status_code == 200
        body = r.json()
        pages += 1
        seen += [item["id"] for item in body["results"]]
        cursor = body["next"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == [n.pk for n in reversed(made)]  # all the same moment: newest id first
    item = api(w.ben).get(API).json()["results"][0]
    assert set(item) == {
        *("id", "kind", "text", "url", "created", "read", "read_at"),
        *("done", "done_at", "done_why"),
    }


def test_a_bad_cursor_is_400_naming_it(w):
    r = api(w.ben).get(API, {"cursor": "not-a-cursor"})
    assert r.status_code == 400
    assert "cursor" in fields(r)


def test_the_list_costs_the_same_queries_as_rows_grow(w, django_assert_num_queries):
    many(w.ben, 3)
    client = api(w.ben)
    client.get(API)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        assert client.get(API).status_code == 200
    many(w.ben, 80)
    with django_assert_num_queries(len(few)):
        body = client.get(API).json()
    assert len(body["results"]) == 50
    with django_assert_num_queries(len(few)):
        assert len(client.get(API, {"cursor": body["next"]}).json()["results"]) == 33


# --- preferences --------------------------------------------------------------------------


PREFS = f"{API}/preferences"


def test_preferences_start_from_the_defaults_and_change_field_by_field(w):
    r = api(w.ben).get(PREFS)
    assert r.json() == {
        "muted": [],
        "digest": True,
        "quiet_start": None,
        "quiet_end": None,
        "version": 1,
    }
    r = api(w.ben).patch(
        PREFS,
        {"muted": ["visit_late"], "quiet_start": "22:00", "quiet_end": "07:00"},
        format="json",
    )
    assert r.status_code == 200, r.json()
    assert r.json() == {
        "muted": ["visit_late"],
        "digest": True,
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "version": 2,
    }
    r = api(w.ben).patch(PREFS, {"digest": False, "version": 2}, format="json")
    assert r.json()["digest"] is False and r.json()["quiet_start"] == "22:00"
    # Clearing the quiet hours: both at once.
    r = api(w.ben).patch(PREFS, {"quiet_start": "", "quiet_end": None}, format="json")
    assert (r.json()["quiet_start"], r.json()["quiet_end"]) == (None, None)
    assert AuditEntry.objects.filter(action="notification.preferences_changed").count() == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"muted": ["visit_late", "gossip"]}, "muted"),
        ({"muted": "visit_late"}, "muted"),
        ({"quiet_start": "22:00"}, "quiet_end"),
        ({"quiet_end": "07:00"}, "quiet_start"),
        ({"quiet_start": "22:00", "quiet_end": "22:00"}, "quiet_end"),
        ({"quiet_start": "late", "quiet_end": "07:00"}, "quiet_start"),
        ({"digest": "yes"}, "digest"),
        ({"volume": 11}, "volume"),
    ],
)
def test_bad_preferences_are_400_naming_the_field_and_save_nothing(w, body, field):
    api(w.ben).patch(PREFS, {"muted": ["help_accepted"]}, format="json")
    before = list(NotificationPreference.objects.values())
    r = api(w.ben).patch(PREFS, {**body, "digest": body.get("digest", False)}, format="json")
    assert r.status_code == 400
    assert field in fields(r), r.json()
    assert list(NotificationPreference.objects.values()) == before


def test_a_stale_preferences_version_is_409_with_the_current_state(w):
    api(w.ben).patch(PREFS, {"digest": False}, format="json")
    r = api(w.ben).patch(PREFS, {"digest": True}, format="json", headers={"If-Match": '"1"'})
    assert r.status_code == 409
    assert r.json()["extra"]["current"]["digest"] is False
    assert r.json()["extra"]["current"]["version"] == 2
    assert NotificationPreference.objects.get(person=w.ben).digest is False


def test_saving_the_same_preferences_again_changes_nothing(w):
    api(w.ben).patch(PREFS, {"digest": False}, format="json")
    r = api(w.ben).patch(PREFS, {"digest": False, "muted": []}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 2
    assert AuditEntry.objects.filter(action="notification.preferences_changed").count() == 1


def test_an_empty_quiet_end_with_the_start_kept_is_refused(w):
    api(w.ben).patch(PREFS, {"quiet_start": "22:00", "quiet_end": "07:00"}, format="json")
    r = api(w.ben).patch(PREFS, {"quiet_end": ""}, format="json")
    assert r.status_code == 400
    assert "quiet_end" in fields(r)


# --- the daily digest ---------------------------------------------------------------------


def test_the_digest_goes_once_a_day_with_what_is_unread(w):
    offer(w)
    raise_proposal(w)
    notification_services.notification_read(actor=w.ben, notification=of(w.ben)[1])
    mail.outbox.clear()
    assert digest.send_digests(at(DAY, "08:00")) == 2  # Ben, and Dora for the proposal
    (sent,) = [m for m in mail.outbox if m.to == [w.ben.email]]
    assert sent.subject == "Kith: 1 unread notification"
    assert "Hello Ben Mulder," in sent.body
    assert "- Ana de Vries offers you the visit at 11:00 on Tue 8 Dec" in sent.body
    assert f"https://kith.test/teams/noord/board/?date={DAY}" in sent.body
    # The same digest as HTML, its links absolute on the site's address too.
    (html_body, kind) = sent.alternatives[0]
    assert kind == "text/html"
    assert f'href="https://kith.test/teams/noord/board/?date={DAY}"' in html_body
    assert 'href="https://kith.test/notifications/preferences/"' in html_body
    assert "Ana de Vries offers you the visit at 11:00 on Tue 8 Dec" in html_body
    assert "Jansen" not in html_body
    assert "Lunch together" not in sent.body  # read already
    assert "/notifications/preferences/" in sent.body
    assert "Jansen" not in sent.body
    assert NotificationPreference.objects.get(person=w.ben).last_digest_at == at(DAY, "08:00")


def test_the_digest_is_sent_per_person_and_not_twice_the_same_day(w):
    raise_proposal(w)
    mail.outbox.clear()
    assert digest.send_digests(at(DAY, "08:00")) == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([w.ben.email, w.dora.email])
    mail.outbox.clear()
    assert digest.send_digests(at(DAY, "18:00")) == 0
    # A new one later that day waits for tomorrow, with only what is new since.
    with time_machine.travel(at(DAY, "12:00"), tick=False):
        offer(w)
    assert digest.send_digests(at(DAY, "20:00")) == 0
    assert digest.send_digests(at("2026-12-09", "07:00")) == 1
    (sent,) = mail.outbox
    assert sent.to == [w.ben.email]
    assert "offers you the visit" in sent.body and "Lunch together" not in sent.body


def test_no_digest_before_seven(w):
    raise_proposal(w)
    mail.outbox.clear()
    assert digest.send_digests(at(DAY, "06:59")) == 0
    assert mail.outbox == []


def test_no_digest_in_quiet_hours_but_later_that_day(w):
    notification_services.preference_update(actor=w.ben, quiet_start="22:00", quiet_end="09:00")
    raise_proposal(w)
    mail.outbox.clear()
    assert digest.send_digests(at(DAY, "08:00")) == 1  # Dora only
    assert [m.to for m in mail.outbox] == [[w.dora.email]]
    assert digest.send_digests(at(DAY, "09:00")) == 1  # Ben, after his quiet hours
    assert mail.outbox[-1].to == [w.ben.email]


def test_no_digest_when_it_is_off_or_nothing_is_unread(w):
    notification_services.preference_update(actor=w.ben, digest=False)
    raise_proposal(w)
    notification_services.notifications_read_all(actor=w.dora)
    mail.outbox.clear()
    assert digest.send_digests(at(DAY, "08:00")) == 0
    assert mail.outbox == []


def test_no_digest_without_an_email_address(w):
    raise_proposal(w)
    type(w.ben).objects.filter(pk__in=[w.ben.pk, w.dora.pk]).update(email="")
    mail.outbox.clear()
    assert digest.send_digests(at(DAY, "08:00")) == 0


def test_the_digest_queries_do_not_grow_with_notifications(w):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    mute(w.ben)  # his preferences exist in both runs: the same bookkeeping write
    many(w.ben, 2)
    with CaptureQueriesContext(connection) as few:
        assert digest.send_digests(at(DAY, "08:00")) == 1
    with time_machine.travel(at(DAY, "12:00"), tick=False):
        many(w.ben, 40)
    mail.outbox.clear()
    with CaptureQueriesContext(connection) as lots:
        assert digest.send_digests(at("2026-12-09", "08:00")) == 1
    assert len(lots) == len(few)
    (sent,) = mail.outbox
    # Only what arrived since the last digest, the newest twenty listed.
    assert sent.subject == "Kith: 40 unread notifications"
    assert sent.body.count("\n- ") == 20
    assert "- Note 41 " in sent.body and "- Note 21 " not in sent.body
    assert "... and 20 more." in sent.body


def test_the_tick_sends_the_digests(w):
    raise_proposal(w)
    mail.outbox.clear()
    with time_machine.travel(at(DAY, "08:00"), tick=False):
        call_command("tick", stdout=io.StringIO())
    assert sorted(m.to[0] for m in mail.outbox) == sorted([w.ben.email, w.dora.email])
