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

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from care.models import Client, Grant, NetworkMember, OmahaScope, OmahaSeverity
from care.selectors import clients as client_selectors
from care.selectors import continuity, diary_of, records
from care.services import clients as client_services
from care.services import diary_add
from care.services import invitations as invitation_services
from care.services import plans as plan_services
from frontend import charts
from frontend import client_forms as cf
from frontend.forms import field_errors
from frontend.views.common import live, team_or_404
from teams import access as team_access
from teams.errors import Conflict
from teams.services.invitations import describe

TEMPLATE = "frontend/client.html"


def team_client_or_404(request: HttpRequest, pk: int, what: str) -> Client:
    """The client, for a member of their team (read logged); 404 for everyone else."""
    if not records.client_kept_by(request.user, pk):
        raise Http404("No such client among your team's.")
    client = client_selectors.client_for(request.user, pk, scope="notes", what=what)
    if client is None:
        raise Http404("No such client among your team's.")
    return client


# --- the team's client list ---------------------------------------------------------------


def _list_context(request: HttpRequest, team, values: dict, errors: dict) -> dict:
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
def client_list(request: HttpRequest, slug: str) -> HttpResponse:
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
    try:
        date_of_birth = cf.date_or_none(values["date_of_birth"], "date_of_birth")
        client = client_services.client_create(
            actor=request.user,
            team=team,
            date_of_birth=date_of_birth,
            **{name: values[name] for name in cf.TAKE_ON},
        )
    except ValidationError as exc:
        context = _list_context(request, team, values, field_errors(exc))
        if request.htmx:
            return render(request, f"{template}#take-on", context, status=400)
        with transaction.atomic():
            context["live"] = live(team.stream)
        return render(request, template, context, status=400)
    except PermissionDenied as exc:
        raise Http404("No such team among yours.") from exc
    url = reverse("client", args=[client.pk])
    messages.success(request, f"{client.display_name} is taken on as a referral.")
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- a client's page: context of each section -------------------------------------------------


def _details(client: Client, form: dict | None = None, editing: bool = False) -> dict:
    form = form or {"values": cf.details_values(client), "errors": {}}
    form["fields"] = cf.details_fields(form["values"], form["errors"])
    return {"details_form": form, "editing_details": editing}


def _status(client: Client, form: dict | None = None) -> dict:
    form = form or {"values": cf.status_values(), "errors": {}}
    return {
        "status_form": form,
        "status_choices": cf.status_choices(client),
        "status_history": list(client.status_changes.select_related("by").order_by("-on", "-at")),
    }


def _network(client: Client, form: dict | None = None) -> dict:
    form = form or {"values": cf.network_values(), "errors": {}}
    form["fields"] = cf.network_fields(form["values"], form["errors"])
    labels, order = dict(Grant.Scope.choices), list(Grant.Scope.values)
    now = timezone.now()
    informal, formal = [], []
    for member in client_selectors.network_of(client):
        member.sees = [
            {"scope": g.scope, "label": labels[g.scope], "until": cf.last_day(g.expires_at)}
            for g in sorted(member.open_grants, key=lambda g: order.index(g.scope))
            if g.expires_at is None or g.expires_at > now
        ]
        (formal if member.circle == NetworkMember.Circle.FORMAL else informal).append(member)
    return {
        "informal": informal,
        "formal": formal,
        "network_form": form,
        "circles": cf.CIRCLES,
    }


def open_invitations(client: Client, purposes) -> list:
    """The client's invitations of ``purposes`` that are still to be answered (an
    expired one too: it can be sent again), each with what it is for."""
    now = timezone.now()
    rows = []
    for invitation in invitation_services.invitations_of(client):
        if invitation.purpose not in purposes:
            continue
        invitation.state = invitation.status(now)
        if invitation.state in {"open", "expired"}:
            invitation.what = describe(invitation)
            rows.append(invitation)
    return rows


PORTAL = ("email", "name")
REPRESENTATIVE = ("email", "name", "basis", "note")


def _people(client: Client, forms: dict | None = None) -> dict:
    """The client's own account, their representative (and basis), and the team's
    invitations for them."""
    forms = forms or {}
    portal = forms.get("portal") or {
        "values": {"email": "", "name": client.display_name},
        "errors": {},
    }
    representative = forms.get("representative") or {
        "values": dict.fromkeys(REPRESENTATIVE, ""),
        "errors": {},
    }
    return {
        "people_forms": forms,
        "portal_form": portal,
        "representative_form": representative,
        "bases": Client.Basis.choices,
        "people_invitations": open_invitations(
            client, (invitation_services.CLIENT, invitation_services.REPRESENTATIVE)
        ),
        "people_problem": forms.get("problem", ""),
    }


def plan_context(client: Client, *, keeper: bool, forms: dict | None = None) -> dict:
    """The care plan, and (for the team) its forms. ``forms`` holds a form that came
    back with messages: "problem", or ("intervention" | "rate", plan problem id)."""
    plan = records.plan_of(client)
    for entry in plan.problems:
        entry.rating_list = list(entry.ratings.all())
        entry.latest = entry.rating_list[-1] if entry.rating_list else None
    context = {"client": client, "plan": plan, "keeper": keeper}
    if not keeper:
        return context
    forms = forms or {}
    # A form that came back with messages: live refreshes leave the section alone.
    context["plan_editing"] = bool(forms)
    anchors = records.anchors()
    problem_form = forms.get("problem") or {
        "values": cf.problem_values(version=plan.version),
        "errors": {},
    }
    chosen = {str(s) for s in problem_form["values"].get("signs", [])}
    context |= {
        "problem_form": problem_form,
        "problem_groups": records.problem_groups(),
        "signs": [
            (str(s.pk), s.text, str(s.pk) in chosen)
            for s in records.signs_of(problem_form["values"].get("problem", ""))
        ],
        "scopes": OmahaScope.choices,
        "severities": OmahaSeverity.choices,
        "categories": records.category_choices(),
        "targets": records.target_choices(),
    }
    for entry in plan.problems:
        entry.intervention_form = forms.get(("intervention", entry.pk)) or {
            "values": cf.intervention_values(version=plan.version),
            "errors": {},
        }
        rate = forms.get(("rate", entry.pk)) or {"values": cf.rating_values(), "errors": {}}
        rate["scales"] = cf.rating_scales(rate["values"], rate["errors"], anchors)
        entry.rate_form = rate
    return context


FORMS = {
    "people_forms",
    "details_form",
    "editing_details",
    "status_form",
    "network_form",
    "plan_forms",
    "diary_form",
    "visits_forms",
    "budget_forms",
}


def _diary(client: Client, form: dict | None = None) -> dict:
    """The shared diary; the team may always write in it."""
    return {
        "diary_notes": list(diary_of(client)),
        "diary_form": form or {"values": {"body": ""}, "errors": {}},
        "diary_writable": True,
        "diary_url": reverse("client-diary", args=[client.pk]),
        "diary_target": "diary",
    }


def _section(client: Client, name: str, given: dict) -> dict:
    """One section's context, with a form that came back with messages, if any."""
    if name == "details":
        return _details(client, given.get("details_form"), given.get("editing_details", False))
    if name == "status":
        return _status(client, given.get("status_form"))
    if name == "people":
        return _people(client, given.get("people_forms"))
    if name == "network":
        return _network(client, given.get("network_form"))
    if name == "diary":
        return _diary(client, given.get("diary_form"))
    if name in CARE_SECTIONS:
        # Those views build on this module, so it is imported when first asked for.
        from frontend.views import client_care

        return client_care.section(client, name, given)
    return plan_context(client, keeper=True, forms=given.get("plan_forms"))


CARE_SECTIONS = ("visits", "budget")  # frontend.views.client_care
SECTIONS = ("details", "people", "status", "visits", "budget", "network", "plan", "diary")


def _context(client: Client, sections=SECTIONS, **given):
    context = {"client": client, "team": client.team}
    for name in sections:
        context |= _section(client, name, given)
    return context | {key: value for key, value in given.items() if key not in FORMS}


def _page(request: HttpRequest, client: Client, status: int = 200, **given) -> HttpResponse:
    with transaction.atomic():
        heads = live(client.team.stream)
        context = _context(client, live=heads, **given)
    return render(request, TEMPLATE, context, status=status)


@login_required
@require_GET
def client_page(request: HttpRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "client page")
    given = {}
    if request.GET.get("problem"):
        # Without JavaScript, "Show its signs" comes back here with the chosen problem.
        values = cf.problem_values(request.GET)
        values["signs"] = []
        given["plan_forms"] = {"problem": {"values": values, "errors": {}, "open": True}}
    return _page(request, client, **given)


@login_required
@require_GET
def client_section(request: HttpRequest, pk: int, name: str) -> HttpResponse:
    """One section of the client page, for its live refresh."""
    if name not in SECTIONS:
        raise Http404("No such section.")
    client = team_client_or_404(request, pk, "client page (live update)")
    return render(request, f"{TEMPLATE}#{name}", _context(client, (name,)))


def _answer(
    request: HttpRequest, client: Client, section: str, status: int, given: dict
) -> HttpResponse:
    """After a write that did not redirect: the section for htmx, else the whole page."""
    if request.htmx:
        context = _context(client, (section,), **given)
        return render(request, f"{TEMPLATE}#{section}", context, status=status)
    return _page(request, client, status, **given)


def _done(request: HttpRequest, client: Client, section: str, words: str, given: dict):
    if not request.htmx:
        messages.success(request, words)
        return redirect(reverse("client", args=[client.pk]) + f"#{section}")
    return _answer(request, client, section, 200, given | {f"{section}_flash": words})


# --- details --------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def client_details(request: HttpRequest, pk: int) -> HttpResponse:
    template = f"{TEMPLATE}#details"
    if request.method == "GET":
        client = team_client_or_404(request, pk, "details")
        editing = request.GET.get("edit") == "1"
        if not request.htmx:  # "Edit details" without JavaScript: the page, editing
            return _page(request, client, editing_details=editing)
        context = {"client": client, **_details(client, editing=editing)}
        return render(request, template, context)
    client = team_client_or_404(request, pk, "details (to change them)")
    values = {name: request.POST.get(name, "") for name in cf.DETAILS}
    version_raw = request.POST.get("version", "")
    form: dict = {"values": {**values, "version": version_raw}, "errors": {}}
    try:
        client = client_services.client_update(
            actor=request.user, client=client, version=cf.version_of(version_raw), **values
        )
    except ValidationError as exc:
        form["errors"] = field_errors(exc)
        form["problem"] = " ".join(
            form["errors"].pop("__all__", []) + form["errors"].pop("version", [])
        )
        status = 400
    except PermissionDenied as exc:
        raise Http404("No such client among your team's.") from exc
    except Conflict as exc:
        # Keep what was typed; show what changed meanwhile; the next save carries the
        # current version, so it is a deliberate overwrite.
        form = {
            "values": {**values, "version": exc.current["version"]},
            "errors": {},
            "conflict": exc.message,
            "current": exc.current,
        }
        status = 409
    else:
        return _done(request, client, "details", "Details saved.", {})
    given = {"details_form": form, "editing_details": True}
    return _answer(request, client, "details", status, given)


# --- status ---------------------------------------------------------------------------------


@login_required
@require_POST
def client_status(request: HttpRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "status (to change it)")
    values = cf.status_values(request.POST)
    try:
        on = cf.date_or_none(values["on"], "on")
        client = client_services.client_set_status(
            actor=request.user, client=client, status=values["status"], on=on, note=values["note"]
        )
    except ValidationError as exc:
        errors = field_errors(exc)
        given = {"status_form": {"values": values, "errors": errors}}
        return _answer(request, client, "status", 400, given)
    except PermissionDenied as exc:
        raise Http404("No such client among your team's.") from exc
    words = f"{client.display_name} is now {client.get_status_display().lower()}."
    return _done(request, client, "status", words, {})


# --- the support network ---------------------------------------------------------------------


@login_required
@require_POST
def client_network(request: HttpRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "support network (to add to it)")
    values = cf.network_values(request.POST)
    try:
        member = client_services.network_add(
            actor=request.user,
            client=client,
            circle=values["circle"],
            **{name: values[name] for name, *_ in cf.NETWORK},
        )
    except ValidationError as exc:
        given = {"network_form": {"values": values, "errors": field_errors(exc), "open": True}}
        return _answer(request, client, "network", 400, given)
    except PermissionDenied as exc:
        raise Http404("No such client among your team's.") from exc
    words = f"{member.name} is added to the {member.circle} circle."
    return _done(request, client, "network", words, {})


# --- the client's own account and their representative ---------------------------------------


def _people_write(request: HttpRequest, pk: int, what: str, form_key: str, names, do, words):
    client = team_client_or_404(request, pk, what)
    values = {name: request.POST.get(name, "") for name in names}
    try:
        done = do(client, values)
    except ValidationError as exc:
        errors = field_errors(exc)
        form = {"values": values, "errors": errors, "open": True}
        given = {"people_forms": {form_key: form, "problem": " ".join(errors.get("__all__", []))}}
        if form_key == "remove":
            given["people_forms"]["problem"] = " ".join(
                errors.get("representative", []) + errors.get("version", [])
            )
        return _answer(request, client, "people", 400, given)
    except Conflict as exc:
        given = {"people_forms": {"problem": exc.message}}
        return _answer(request, client, "people", 409, given)
    except PermissionDenied as exc:
        raise Http404("No such client among your team's.") from exc
    client.refresh_from_db()
    return _done(request, client, "people", words(done), {})


@login_required
@require_POST
def client_portal_invite(request: HttpRequest, pk: int) -> HttpResponse:
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
def client_representative_invite(request: HttpRequest, pk: int) -> HttpResponse:
    """The team records the representative the client chose (or who was appointed to
    act for them) by inviting them."""

    def do(client, values):
        return invitation_services.representative_invite(
            actor=request.user,
            client=client,
            email=values["email"],
            name=values["name"],
            basis=values["basis"],
            note=values["note"],
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
def client_representative_remove(request: HttpRequest, pk: int) -> HttpResponse:
    def do(client, values):
        return invitation_services.representative_remove(
            actor=request.user, client=client, version=cf.version_of(values["version"])
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
def client_diary(request: HttpRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "shared diary (to add to it)")
    values = {"body": request.POST.get("body", "")}
    try:
        diary_add(actor=request.user, client=client, body=values["body"])
    except ValidationError as exc:
        given = {"diary_form": {"values": values, "errors": field_errors(exc)}}
        return _answer(request, client, "diary", 400, given)
    except PermissionDenied as exc:
        raise Http404("No such client among your team's.") from exc
    return _done(request, client, "diary", "The note is in the diary.", {})


# --- the care plan ---------------------------------------------------------------------------


def _plan_write(request, client: Client, key, values: dict, do) -> HttpResponse:
    """Run one plan write; messages and what was typed come back in the plan section."""
    try:
        do()
    except ValidationError as exc:
        errors = field_errors(exc)
        problem = " ".join(errors.pop("__all__", []) + errors.pop("version", []))
        form = {"values": values, "errors": errors, "problem": problem, "open": True}
        return _answer(request, client, "plan", 400, {"plan_forms": {key: form}})
    except PermissionDenied as exc:
        raise Http404("No such client among your team's.") from exc
    except Conflict as exc:
        # The plan shown is the current one; what was typed stays, now carrying the
        # current version, so saving again adds it to the plan as it stands.
        values = {**values, "version": str(exc.current["version"])}
        form = {"values": values, "errors": {}, "conflict": exc.message, "open": True}
        return _answer(request, client, "plan", 409, {"plan_forms": {key: form}})
    return None


@login_required
@require_POST
def plan_problem_add(request: HttpRequest, pk: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "care plan (to change it)")
    values = cf.problem_values(request.POST)

    def do():
        plan_services.plan_add_problem(
            actor=request.user,
            client=client,
            version=cf.version_of(values["version"]),
            problem=cf.number_or_raw(values["problem"]),
            scope=values["scope"],
            severity=values["severity"],
            signs=[cf.number_or_raw(s) for s in values["signs"]],
        )

    refused = _plan_write(request, client, "problem", values, do)
    return refused or _done(request, client, "plan", "The problem is added to the plan.", {})


def _entry_or_404(client: Client, plan_problem: int):
    entry = records.plan_problem_of(client, plan_problem)
    if entry is None:
        raise Http404("No such problem in this client's plan.")
    return entry


@login_required
@require_POST
def plan_intervention_add(request: HttpRequest, pk: int, plan_problem: int) -> HttpResponse:
    client = team_client_or_404(request, pk, "care plan (to change it)")
    entry = _entry_or_404(client, plan_problem)
    values = cf.intervention_values(request.POST)

    def do():
        plan_services.plan_add_intervention(
            actor=request.user,
            plan_problem=entry,
            version=cf.version_of(values["version"]),
            category=cf.number_or_raw(values["category"]),
            target=cf.number_or_raw(values["target"]),
            description=values["description"],
            frequency=values["frequency"],
        )

    refused = _plan_write(request, client, ("intervention", entry.pk), values, do)
    words = f"The intervention is added to {entry.problem.name}."
    return refused or _done(request, client, "plan", words, {})


@login_required
@require_POST
def plan_rate(request: HttpRequest, pk: int, plan_problem: int) -> HttpResponse:
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

    refused = _plan_write(request, client, ("rate", entry.pk), values, do)
    words = f"The rating of {entry.problem.name} is recorded."
    return refused or _done(request, client, "plan", words, {})


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
def plan_chart(request: HttpRequest, pk: int, plan_problem: int) -> HttpResponse:
    """The K/B/S chart of one problem: same access and log as the plan it belongs to."""
    client = client_selectors.client_for(request.user, pk, scope="plan", what="care plan chart")
    if client is None:
        raise Http404("No such client among yours.")
    entry = _entry_or_404(client, plan_problem)
    svg = charts.ratings_svg(list(entry.ratings.all()))
    response = HttpResponse(svg, content_type="image/svg+xml")
    # A health record: never kept in a shared cache or on a shared device's disk.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_GET
def omaha_signs(request: HttpRequest) -> HttpResponse:
    """The signs and symptoms of one Omaha problem, for the add-problem form (reference
    data, not a client's record)."""
    if not team_access.member_team_ids(request.user):
        raise Http404("Only team members add problems to plans.")
    signs = [(str(s.pk), s.text, False) for s in records.signs_of(request.GET.get("problem", ""))]
    context = {"signs": signs, "problem_form": {"values": {}, "errors": {}}}
    return render(request, "frontend/_plan.html#signs", context)
