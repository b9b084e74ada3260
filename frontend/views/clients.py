"""The care team's pages of clients: the team's client list, and a client's page with
their details, status, support network and Omaha care plan.

Only members of the client's team reach these (everyone else, the client and their
family included, gets 404: they have the portal). Every page and form that shows a
client's record reads it through ``care.selectors.clients.client_for``, which writes
the access-log row the client can read.

Forms answer as the team pages do: without JavaScript a redirect back (or the page
again with the messages and status 400/403/409); with htmx the section's partial,
swapped in place, with the same status.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from care.models import Client
from care.selectors import clients as client_selectors
from care.selectors import continuity, records
from care.services import clients as client_services
from care.services import invitations as invitation_services
from care.services import plans as plan_services
from care.services.diary import diary_add
from frontend import charts, writes
from frontend import client_forms as cf
from frontend.views import client_sections as sections
from frontend.views.client_sections import PORTAL, REPRESENTATIVE, TEMPLATE, team_client_or_404
from frontend.views.common import found_or_404, live, team_or_404
from teams import access as team_access
from teams.http import PageRequest

# --- the team's client list ---------------------------------------------------------------


def _list_context(request: PageRequest, team, values: dict, errors: dict) -> dict:
    clients = list(client_selectors.clients_of(request.user, team))
    figures = continuity.continuity_of(clients)
    for client in clients:
        client.continuity = figures[client.pk]
    return {
        "team": team,
        "clients": clients,
        "values": values,
        "problem": " ".join(errors.pop("__all__", [])),
        "errors": errors,
        "fields": cf.take_on_fields(values, errors),
    }


@login_required
@require_http_methods(["GET", "POST"])
def client_list(request: PageRequest, slug: str) -> HttpResponse:
    team = team_or_404(request, slug)
    template = "frontend/clients.html"
    if request.method == "GET":
        if request.htmx and request.GET.get("part") == "list":
            return render(request, f"{template}#list", _list_context(request, team, {}, {}))
        with transaction.atomic():
            heads = live(team.stream)
            context = _list_context(request, team, cf.take_on_values(), {})
        return render(request, template, context | {"live": heads})
    values = cf.take_on_values(request.POST)
    outcome = writes.perform(
        lambda: client_services.client_create(
            actor=request.user,
            team=team,
            date_of_birth=cf.date_or_none(values["date_of_birth"], "date_of_birth"),
            **{name: values[name] for name in cf.TAKE_ON},
        ),
        done=lambda client: f"{client.display_name} is taken on as a referral.",
    )
    if not outcome.ok:
        context = _list_context(request, team, values, dict(outcome.errors))
        if request.htmx:
            return render(request, f"{template}#take-on", context, status=outcome.status)
        with transaction.atomic():
            context["live"] = live(team.stream)
        return render(request, template, context, status=outcome.status)
    url = reverse("client", args=[outcome.result.pk])
    outcome.flash(request)
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@login_required
@require_GET
def client_page(request: PageRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "client page")
    given: dict[str, Any] = {}
    if request.GET.get("problem"):
        # Without JavaScript, "Show its signs" comes back here with the chosen problem.
        values = cf.problem_values(request.GET)
        values["signs"] = []
        given["plan_forms"] = {"problem": {"values": values, "errors": {}, "open": True}}
    # The forms behind closed disclosures are read when first opened (_unfold.html);
    # ?unfold=1 (the way there without JavaScript) shows them all at once.
    given["unfold"] = bool(request.GET.get("unfold"))
    return sections.page(request, client, **given)


@login_required
@require_GET
def client_section(request: PageRequest, pk: int, name: str) -> HttpResponse:
    """One section of the client page, for its live refresh; with ?unfold=1, with the
    forms its closed disclosures read when first opened (_unfold.html)."""
    if name not in sections.SECTIONS:
        raise Http404("No such section.")
    unfold = bool(request.GET.get("unfold"))
    what = "client page (a form opened)" if unfold else "client page (live update)"
    client = team_client_or_404(request, pk, what)
    context = sections.context_of(client, (name,), unfold=unfold)
    return render(request, f"{TEMPLATE}#{name}", context)


# --- details --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def client_details(request: PageRequest, pk: int) -> HttpResponse:
    template = f"{TEMPLATE}#details"
    if request.method == "GET":
        client = team_client_or_404(request, pk, "details")
        editing = request.GET.get("edit") == "1"
        if not request.htmx:  # "Edit details" without JavaScript: the page, editing
            return sections.page(request, client, editing_details=editing)
        context = sections.context_of(client, ("details",), editing_details=editing)
        return render(request, template, context)
    client = team_client_or_404(request, pk, "details (to change them)")
    values = {name: request.POST.get(name, "") for name in cf.DETAILS}
    return sections.write(
        request,
        client,
        "details",
        lambda: client_services.client_update(
            actor=request.user, client=client, version=writes.version_from(request.POST), **values
        ),
        done="Details saved.",
        values={**values, "version": request.POST.get("version", "")},
        fields=cf.DETAILS,
    )


# --- status ---------------------------------------------------------------------------------


@login_required
@require_POST
def client_status(request: PageRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "status (to change it)")
    values = cf.status_values(request.POST)
    return sections.write(
        request,
        client,
        "status",
        lambda: client_services.client_set_status(
            actor=request.user,
            client=client,
            status=values["status"],
            on=cf.date_or_none(values["on"], "on"),
            note=values["note"],
        ),
        done=lambda c: f"{c.display_name} is now {c.get_status_display().lower()}.",
        values=values,
        fields=values,
    )


# --- the support network ---------------------------------------------------------------------


@login_required
@require_POST
def client_network(request: PageRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "support network (to add to it)")
    values = cf.network_values(request.POST)
    return sections.write(
        request,
        client,
        "network",
        lambda: client_services.network_add(
            actor=request.user,
            client=client,
            circle=values["circle"],
            **{name: values[name] for name, *_ in cf.NETWORK},
        ),
        done=lambda member: f"{member.name} is added to the {member.circle} circle.",
        values=values,
        fields=values,
    )


# --- the client's own account and their representative ---------------------------------------


def _people_write(request: PageRequest, pk: int, what: str, form_key: str, names, do, words):
    client = team_client_or_404(request, pk, what)
    values = {name: request.POST.get(name, "") for name in names}

    def done(result) -> str:
        client.refresh_from_db()  # the representative it now has, or not
        return words(result)

    return sections.write(
        request,
        client,
        "people",
        lambda: do(client, values),
        done=done,
        values=values,
        fields=[name for name in names if name != "version"],
        key=form_key,
    )


@login_required
@require_POST
def client_portal_invite(request: PageRequest, pk: int) -> HttpResponse:
    """The team invites the client to see their own record in the portal."""

    def do(client, values):
        return invitation_services.client_invite(
            actor=request.user, client=client, email=values["email"], name=values["name"]
        )

    return _people_write(
        request,
        pk,
        "portal (to invite the client)",
        "portal",
        PORTAL,
        do,
        lambda invitation: f"Invitation sent to {invitation.email}.",
    )


@login_required
@require_POST
def client_representative_invite(request: PageRequest, pk: int) -> HttpResponse:
    """The team records the representative the client chose (or who was appointed to
    act for them) by inviting them."""

    def do(client, values):
        return invitation_services.representative_invite(
            actor=request.user, client=client, **values
        )

    return _people_write(
        request,
        pk,
        "representative (to invite one)",
        "representative",
        REPRESENTATIVE,
        do,
        lambda invitation: (
            f"Invitation sent to {invitation.email}: they act for the client once they accept."
        ),
    )


@login_required
@require_POST
def client_representative_remove(request: PageRequest, pk: int) -> HttpResponse:
    def do(client, values):
        return invitation_services.representative_remove(
            actor=request.user, client=client, version=writes.version_from(values)
        )

    return _people_write(
        request,
        pk,
        "representative (to remove them)",
        "remove",
        ("version",),
        do,
        lambda client: f"{client.display_name} has no representative now.",
    )


# --- the shared diary -------------------------------------------------------------------------


@login_required
@require_POST
def client_diary(request: PageRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "shared diary (to add to it)")
    values = {"body": request.POST.get("body", "")}
    return sections.write(
        request,
        client,
        "diary",
        lambda: diary_add(actor=request.user, client=client, body=values["body"]),
        done="The note is in the diary.",
        values=values,
        fields=values,
    )


# --- the care plan ---------------------------------------------------------------------------


def _plan_write(request, client: Client, key, values: dict, do, done) -> HttpResponse:
    """Run one plan write; messages and what was typed come back in the plan section."""
    fields = [name for name in values if name != "version"]
    return sections.write(
        request, client, "plan", do, done=done, values=values, fields=fields, key=key
    )


@login_required
@require_POST
def plan_problem_add(request: PageRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "care plan (to change it)")
    values = cf.problem_values(request.POST)

    def do():
        plan_services.plan_add_problem(
            actor=request.user,
            client=client,
            version=writes.version_from(values),
            problem=cf.number_or_raw(values["problem"]),
            scope=values["scope"],
            severity=values["severity"],
            signs=[cf.number_or_raw(s) for s in values["signs"]],
        )

    return _plan_write(request, client, "problem", values, do, "The problem is added to the plan.")


def _entry_or_404(client: Client, plan_problem: int):
    entry = records.plan_problem_of(client, plan_problem)
    return found_or_404(entry, "No such problem in this client's plan.")


@login_required
@require_POST
def plan_intervention_add(request: PageRequest, pk: int, plan_problem: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "care plan (to change it)")
    entry = _entry_or_404(client, plan_problem)
    values = cf.intervention_values(request.POST)

    def do():
        plan_services.plan_add_intervention(
            actor=request.user,
            plan_problem=entry,
            version=writes.version_from(values),
            category=cf.number_or_raw(values["category"]),
            target=cf.number_or_raw(values["target"]),
            description=values["description"],
            frequency=values["frequency"],
        )

    words = f"The intervention is added to {entry.problem.name}."
    return _plan_write(request, client, ("intervention", entry.pk), values, do, words)


@login_required
@require_POST
def plan_rate(request: PageRequest, pk: int, plan_problem: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "care plan (to rate it)")
    entry = _entry_or_404(client, plan_problem)
    values = cf.rating_values(request.POST)

    def do():
        plan_services.plan_rate(
            actor=request.user,
            plan_problem=entry,
            knowledge=cf.number_or_raw(values["knowledge"]),
            behavior=cf.number_or_raw(values["behavior"]),
            status=cf.number_or_raw(values["status"]),
            rated_on=cf.date_or_none(values["rated_on"], "rated_on"),
            note=values["note"],
        )

    words = f"The rating of {entry.problem.name} is recorded."
    return _plan_write(request, client, ("rate", entry.pk), values, do, words)


# The chart is an image: pygal writes its look as an inline <style>, which the pages'
# policy (style-src 'self') would refuse. Its own policy allows that style and nothing
# else: no scripts, no fetches, no frames (pygal's script is removed besides).
CHART_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "frame-ancestors": [CSP.NONE],
}


@login_required
@require_GET
@csp_override(CHART_CSP)
def plan_chart(request: PageRequest, pk: int, plan_problem: int) -> HttpResponse:
    """The K/B/S chart of one problem: same access and log as the plan it belongs to."""
    client = client_selectors.client_for(request.user, pk, scope="plan", what="care plan chart")
    entry = _entry_or_404(found_or_404(client, "No such client among yours."), plan_problem)
    svg = charts.ratings_svg(list(entry.ratings.all()))
    response = HttpResponse(svg, content_type="image/svg+xml")
    # A health record: never kept in a shared cache or on a shared device's disk.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def omaha_signs(request: PageRequest) -> HttpResponse:
    """The signs and symptoms of one Omaha problem, for the add-problem form (reference
    data, not a client's record)."""
    if not team_access.member_team_ids(request.user):
        raise Http404("Only team members add problems to plans.")
    signs = [(str(s.pk), s.text, False) for s in records.signs_of(request.GET.get("problem", ""))]
    context = {"signs": signs, "problem_form": {"values": {}, "errors": {}}}
    return render(request, "frontend/_plan.html#signs", context)
