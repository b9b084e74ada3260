"""Notification pages: the list (mark one or all read), the header's bell, preferences.

Each person sees their own notifications only; someone else's id is 404. The list
and the bell follow the person's stream (``person.<id>``, which every page's socket
follows, see ``bell_context``): a new notification, or one read in another tab,
re-reads them. Actions answer htmx with the list section and everyone else with a
redirect back; the preferences form is a plain form (400 with the field's message,
409 with the current values when they changed meanwhile).
"""

from __future__ import annotations

from functools import cached_property

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coordination.events.streams import person_stream
from coordination.notifications import selectors, services
from coordination.notifications.models import Notification
from frontend import writes
from frontend.forms import Field
from teams.http import PageRequest

TEMPLATE = "frontend/notifications.html"
PREFERENCES = "frontend/notifications_preferences.html"
BELL = "frontend/notifications_bell.html"
BADGE = "frontend/notifications_badge.html"  # the same count, for the phone's bottom bar


class Bell:
    """The header's "Notifications (n)" and the person stream's head for the page's
    socket: read in one query, and only when a template shows them (htmx sections
    rendered without the header cost nothing)."""

    def __init__(self, person):
        self.person = person

    @cached_property
    def state(self) -> dict:
        return selectors.bell(self.person)

    @property
    def unread(self) -> int:
        return self.state["unread"]

    @property
    def stream(self) -> str:
        return self.state["stream"]

    @property
    def live(self) -> dict:
        return self.state["live"]


def bell_context(request: PageRequest) -> dict:
    """Context processor: the bell for every signed-in page."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"bell": Bell(user)}


# --- the list -----------------------------------------------------------------------------


def _list_context(request: PageRequest, cursor: str = "") -> dict:
    problem = None
    read = writes.perform(lambda: selectors.notifications_of(request.user, cursor=cursor or None))
    page = read.value
    if not read.ok:  # a cursor that is not ours: the first page, and why
        problem = read.problem
        page, cursor = selectors.notifications_of(request.user), ""
    return {
        "page": page,
        "cursor": cursor,
        "unread": selectors.unread_count(request.user),
        "stream": person_stream(request.user.pk),
        "problem": problem,
    }


@login_required
@require_GET
def notifications_page(request: PageRequest) -> HttpResponse:
    context = _list_context(request, request.GET.get("cursor", ""))
    status = 400 if context["problem"] else 200
    if request.htmx and request.GET.get("part") == "list":
        return render(request, f"{TEMPLATE}#list", context, status=status)
    return render(request, TEMPLATE, context, status=status)


@login_required
@require_GET
def notifications_bell(request: PageRequest) -> HttpResponse:
    template = BADGE if request.GET.get("badge") else BELL
    return render(request, template, {"unread": selectors.unread_count(request.user)})


def _answer(request: PageRequest, outcome: writes.Outcome) -> HttpResponse:
    cursor = request.POST.get("cursor", "")
    if not request.htmx:
        return outcome.back(request, reverse("notifications"))
    context = _list_context(request, cursor)
    context.update(flash=outcome.done or None, problem=outcome.problem or None)
    return render(request, f"{TEMPLATE}#list", context, status=outcome.status)


@login_required
@require_POST
def notification_read(request: PageRequest, pk: int) -> HttpResponse:
    notification = selectors.notification_of(request.user, pk)
    if notification is None:
        raise Http404("No such notification among yours.")
    outcome = writes.perform(
        lambda: services.notification_read(actor=request.user, notification=notification),
        done="Marked read.",
    )
    if outcome.ok and request.POST.get("open") and not request.htmx:
        return redirect(notification.url)
    return _answer(request, outcome)


@login_required
@require_POST
def notifications_read_all(request: PageRequest) -> HttpResponse:
    outcome = writes.perform(
        lambda: services.notifications_read_all(actor=request.user),
        done=lambda count: f"{count} marked read." if count else "Nothing was unread.",
    )
    return _answer(request, outcome)


# --- preferences ---------------------------------------------------------------------------


def _fields(values: dict, errors: dict) -> dict[str, Field]:
    muted = set(values["muted"])
    return {
        "hear": Field(
            "hear",
            "Tell me when",
            widget="checkboxes",
            choices=[(k, label, k not in muted) for k, label in Notification.Kind.choices],
            errors=errors.get("muted", []),
            help="Unticked kinds make no notification for you at all.",
        ),
        "digest": Field(
            "digest",
            "Daily email",
            widget="checkboxes",
            choices=[("on", "Email me once a day about what I have not read", values["digest"])],
            errors=errors.get("digest", []),
            help="Sent from 07:00, never during your quiet hours.",
        ),
        "quiet_start": Field(
            "quiet_start",
            "Quiet hours from",
            widget="time",
            value=values["quiet_start"] or "",
            errors=errors.get("quiet_start", []),
            help="Nothing is pushed to your open pages then; it waits for your next visit.",
        ),
        "quiet_end": Field(
            "quiet_end",
            "Quiet hours until",
            widget="time",
            value=values["quiet_end"] or "",
            errors=errors.get("quiet_end", []),
            help="Both times, or neither. They may wrap midnight (22:00 until 07:00).",
        ),
    }


@login_required
@require_http_methods(["GET", "POST"])
def notification_preferences(request: PageRequest) -> HttpResponse:
    current = selectors.preference_state(selectors.preference_of(request.user))
    values, errors, status, problem = current, {}, 200, None
    version = current["version"]
    if request.method == "POST":
        hear = request.POST.getlist("hear")
        values = {
            "muted": [k for k in Notification.Kind.values if k not in hear],
            "digest": request.POST.get("digest") == "on",
            "quiet_start": request.POST.get("quiet_start", "").strip() or None,
            "quiet_end": request.POST.get("quiet_end", "").strip() or None,
        }

        def save():
            # Without a version (a form from before versions) the last save wins.
            given = writes.version_from(request.POST) if request.POST.get("version") else None
            return services.preference_update(actor=request.user, version=given, **values)

        outcome = writes.perform(save, done="Preferences saved.", fields=values)
        if outcome.ok:
            return outcome.back(request, reverse("notification-preferences"))
        status, errors = outcome.status, outcome.errors
        if outcome.status == 409:
            problem = f"{outcome.problem} Here they are now: check and save again."
            values = outcome.current or values
            version = values["version"]
        else:
            problem = outcome.problem or "Some fields need attention."
    context = {
        "fields": _fields(values, errors),
        "version": version,
        "problem": problem,
        "email": request.user.email,
    }
    return render(request, PREFERENCES, context, status=status)
