"""The daily digest: one email a day (plain text and HTML) of what is still unread.

``send_digests(now)`` runs from the ``tick`` command. A person gets a digest when
their digest is on, they have an email address, and notifications they have not read
arrived since their last digest; at most one per local day, never before 07:00 local
time and never in their quiet hours (a later tick that day sends it instead). The
mail goes through ``django.core.mail`` (the console backend unless EMAIL_URL is set);
a mail that fails is logged and tried again on the next tick.

The texts are the notifications' own, which name no client: email leaves Kith.
"""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import timezone

from coordination.notifications import services, targets
from coordination.notifications.models import Notification, NotificationPreference
from coordination.notifications.quiet import in_quiet_hours
from teams import mail
from teams.models import Person

logger = logging.getLogger("kith.notifications")

EARLIEST = datetime.time(7, 0)
LISTED = 20  # a longer digest lists the newest and says how many more


def _html(person: Person, notifications: list[Notification], total: int) -> str:
    """The same digest as HTML, for mail readers that show it."""
    items = [
        {"text": n.text, "when": timezone.localtime(n.created), "link": mail.absolute(n.url)}
        for n in notifications
    ]
    return render_to_string(
        "mail/digest.html",
        {
            "name": person.display_name,
            "items": items,
            "total": total,
            "more": total - len(notifications),
            "all": mail.absolute(targets.url(targets.LIST)),
            "preferences": mail.absolute(targets.url(targets.PREFERENCES)),
            "site_url": settings.SITE_URL,
        },
    )


def _body(person: Person, notifications: list[Notification], total: int) -> str:
    lines = [
        f"Hello {person.display_name},",
        "",
        f"{total} notification{'s' if total != 1 else ''} arrived since your last digest"
        " and you have not read them yet:",
        "",
    ]
    for n in notifications:
        when = timezone.localtime(n.created)
        lines += [
            f"- {n.text} ({when:%a} {when.day} {when:%b} {when:%H:%M})",
            f"  {mail.absolute(n.url)}",
        ]
    if total > len(notifications):
        lines.append(f"... and {total - len(notifications)} more.")
    lines += [
        "",
        f"All your notifications: {mail.absolute(targets.url(targets.LIST))}",
        "Quiet hours, what you hear about, or no more of these emails: "
        + mail.absolute(targets.url(targets.PREFERENCES)),
    ]
    return "\n".join(lines) + "\n"


def _due(now: datetime.datetime):
    """Unread notifications that arrived since their person's last digest, of people
    who want a digest and have not had one today: one query, newest first."""
    midnight = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(now), datetime.time())
    )
    preference = "person__notification_preference"
    return (
        Notification.objects.filter(read_at__isnull=True, person__is_active=True)
        .exclude(person__email="")
        .filter(Q(**{f"{preference}__isnull": True}) | Q(**{f"{preference}__digest": True}))
        .filter(
            Q(**{f"{preference}__last_digest_at__isnull": True})
            | Q(
                **{f"{preference}__last_digest_at__lt": midnight},
                created__gt=F(f"{preference}__last_digest_at"),
            )
        )
        .select_related(preference)
        .order_by("person_id", "-created", "-id")
    )


def send_digests(now: datetime.datetime | None = None) -> int:
    """Send the digests due at ``now`` (default: now); how many were sent."""
    now = timezone.now() if now is None else now
    if timezone.localtime(now).time() < EARLIEST:
        return 0
    by_person: dict[int, list[Notification]] = {}
    totals: dict[int, int] = {}
    people: dict[int, Person] = {}
    for n in _due(now):
        totals[n.person_id] = totals.get(n.person_id, 0) + 1
        if totals[n.person_id] <= LISTED:
            by_person.setdefault(n.person_id, []).append(n)
            people[n.person_id] = n.person
    sent = 0
    for person_id, notifications in by_person.items():
        person = people[person_id]
        try:
            preference = person.notification_preference
        except NotificationPreference.DoesNotExist:
            preference = None
        if preference is not None and in_quiet_hours(
            preference.quiet_start, preference.quiet_end, now
        ):
            continue  # a later tick today, after the quiet hours
        total = totals[person_id]
        targets.resolve(notifications)
        subject = f"Kith: {total} unread notification{'s' if total != 1 else ''}"
        try:
            message = EmailMultiAlternatives(
                subject, _body(person, notifications, total), None, [person.email]
            )
            message.attach_alternative(_html(person, notifications, total), "text/html")
            message.send()
        except Exception:
            logger.exception("digest for person %s not sent; the next tick tries again", person_id)
            continue
        services.digest_sent(person=person, at=now)
        sent += 1
    return sent
