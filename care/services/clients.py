"""Clients and their support network; what the client shares with whom.

Every write: keyword-only, actor first, one transaction, permission from
``care.access``, an audit row, one event. Events carry ids and changed field names,
never the values of personal details.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from care import access
from care.models import Client, ClientStatusChange, Grant, NetworkMember
from coordination.events import Event, notify_access_changed, publish
from teams import cleaning
from teams.cleaning import Errors, clean_text, limit_of, raise_errors, refused
from teams.models import Person, Team
from teams.services.common import audit
from teams.versioning import check_version, lock, save_new_version

# The fields a person may write, each with its model's limit.
CLIENT_FIELDS = {
    name: limit_of(Client, name)
    for name in ("first_name", "last_name", "preferred_name", "address", "postcode", "phone")
}
NETWORK_FIELDS = {
    name: limit_of(NetworkMember, name)
    for name in ("relationship", "name", "organisation", "phone", "email", "takes_on")
}
REQUIRED_CLIENT = ("first_name", "last_name")
REQUIRED_NETWORK = ("relationship", "name")


def _clean(
    fields: dict[str, Any], limits: dict[str, int], required: tuple[str, ...]
) -> dict[str, str]:
    errors: Errors = {}
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        if name not in limits:
            errors[name] = ["This field cannot be set here."]
        else:
            cleaned[name] = clean_text(
                errors, name, value, limit=limits[name], required=name in required
            )
    if cleaned.get("email"):
        try:
            validate_email(cleaned["email"])
        except ValidationError:
            errors["email"] = ["Enter a valid email address."]
    raise_errors(errors)
    return cleaned


def _event(client: Client, kind: str, data: dict[str, Any], actor: Person | None) -> None:
    publish(
        Event(kind, {"client": client.pk, **data}, actor=actor.pk if actor else None),
        streams=[client.team.stream],
    )


def client_state(client: Client) -> dict[str, Any]:
    return {"id": client.pk, "version": client.version, "status": client.status} | {
        name: getattr(client, name) for name in CLIENT_FIELDS
    }


def client_create(
    *,
    actor: Person,
    team: Team,
    date_of_birth: datetime.date | None = None,
    **fields: Any,
) -> Client:
    from teams import access as team_access

    if not team_access.is_member(actor, team):
        raise PermissionDenied("Only members of this team can take on a client.")
    errors = {name: ["Required."] for name in REQUIRED_CLIENT if name not in fields}
    if date_of_birth is not None and date_of_birth > timezone.localdate():
        errors["date_of_birth"] = ["A date of birth cannot be in the future."]
    try:
        cleaned = _clean(fields, CLIENT_FIELDS, REQUIRED_CLIENT)
    except ValidationError as exc:
        errors = exc.message_dict | errors
    raise_errors(errors)
    with transaction.atomic():
        client = Client.objects.create(team=team, date_of_birth=date_of_birth, **cleaned)
        ClientStatusChange.objects.create(
            client=client, status=client.status, on=client.status_since, by=actor, note="referred"
        )
        audit(actor=actor, action="client.created", target=client)
        _event(client, "client.created", {"status": client.status}, actor)
    return client


def client_update(*, actor: Person, client: Client, version: int, **fields: Any) -> Client:
    cleaned = _clean(fields, CLIENT_FIELDS, REQUIRED_CLIENT)
    with transaction.atomic():
        locked = lock(client, "team")
        if not access.can_keep_record(actor, locked):
            raise PermissionDenied("Only the client's team can change their details.")
        check_version(locked, version, client_state, what="the client's details", plural=True)
        changed = [name for name, value in cleaned.items() if getattr(locked, name) != value]
        if not changed:
            return locked
        save_new_version(locked, **{name: cleaned[name] for name in changed})
        audit(actor=actor, action="client.updated", target=locked, data={"fields": changed})
        _event(locked, "client.updated", {"fields": changed, "version": locked.version}, actor)
    return locked


ALLOWED_STATUS_CHANGES: dict[str, set[str]] = {
    Client.Status.REFERRAL: {Client.Status.ACTIVE, Client.Status.DISCHARGED},
    Client.Status.ACTIVE: {Client.Status.PAUSED, Client.Status.DISCHARGED},
    Client.Status.PAUSED: {Client.Status.ACTIVE, Client.Status.DISCHARGED},
    Client.Status.DISCHARGED: {Client.Status.REFERRAL},
}


def client_set_status(
    *, actor: Person, client: Client, status: str, on: datetime.date | None = None, note: str = ""
) -> Client:
    on = on or timezone.localdate()
    if status not in Client.Status.values:
        raise refused("status", "One of referral, active, paused, discharged.")
    note = cleaning.text("note", note, limit=limit_of(ClientStatusChange, "note"))
    with transaction.atomic():
        locked = lock(client, "team")
        if not access.can_keep_record(actor, locked):
            raise PermissionDenied("Only the client's team can change their status.")
        if status not in ALLOWED_STATUS_CHANGES[locked.status]:
            raise refused("status", f"A client who is {locked.status} cannot become {status}.")
        if on < locked.status_since:
            raise refused("on", "The change cannot be dated before the current status.")
        save_new_version(locked, status=status, status_since=on)
        ClientStatusChange.objects.create(client=locked, status=status, on=on, by=actor, note=note)
        audit(actor=actor, action="client.status_changed", target=locked, data={"status": status})
        _event(
            locked, "client.status_changed", {"status": status, "version": locked.version}, actor
        )
    return locked


def network_add(
    *,
    actor: Person,
    client: Client,
    circle: str,
    account: Person | None = None,
    **fields: Any,
) -> NetworkMember:
    if not (access.can_keep_record(actor, client) or access.speaks_for(actor, client)):
        raise PermissionDenied(
            "Only the client, their representative or their team can add to the network."
        )
    errors = {}
    if circle not in NetworkMember.Circle.values:
        errors["circle"] = ["Either informal or formal."]
    errors |= {name: ["Required."] for name in REQUIRED_NETWORK if name not in fields}
    raise_errors(errors)
    cleaned = _clean(fields, NETWORK_FIELDS, REQUIRED_NETWORK)
    if (
        account is not None
        and NetworkMember.objects.filter(client=client, account=account, active=True).exists()
    ):
        raise refused("account", "This person is already in the client's network.")
    with transaction.atomic():
        member = NetworkMember.objects.create(
            client=client, circle=circle, account=account, **cleaned
        )
        audit(actor=actor, action="network.added", target=member)
        _event(client, "network.changed", {"member": member.pk, "change": "added"}, actor)
    return member


def grant_scope(
    *,
    actor: Person,
    client: Client,
    member: NetworkMember,
    scope: str,
    expires_at: datetime.datetime | None = None,
) -> Grant:
    """The client (or their representative) lets a network member see one scope."""
    if not access.can_manage_sharing(actor, client):
        raise PermissionDenied(
            "Only the client or the representative they named decides who sees what."
        )
    if member.client_id != client.pk:
        raise refused("member", "Not in this client's network.")
    errors = {}
    if scope not in Grant.Scope.values:
        errors["scope"] = [f"One of {', '.join(Grant.Scope.values)}."]
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    if not member.active:
        errors["member"] = ["This person is no longer in the client's network."]
    raise_errors(errors)
    with transaction.atomic():
        open_grant = (
            Grant.objects.select_for_update()
            .filter(member=member, scope=scope, revoked_at__isnull=True)
            .first()
        )
        if open_grant is not None:
            if open_grant.expires_at == expires_at:
                return open_grant  # already so: granting again changes nothing
            open_grant.revoked_at, open_grant.revoked_by = timezone.now(), actor
            open_grant.save(update_fields=["revoked_at", "revoked_by"])
        grant = Grant.objects.create(
            member=member, scope=scope, granted_by=actor, expires_at=expires_at
        )
        audit(actor=actor, action="grant.given", target=grant, data={"scope": scope})
        _event(
            client, "grant.changed", {"member": member.pk, "scope": scope, "change": "given"}, actor
        )
        if member.account_id:
            notify_access_changed(member.account_id)
    return grant


def grant_revoke(*, actor: Person, grant: Grant) -> Grant:
    """Takes effect at once, on pages, the API and open sockets alike."""
    with transaction.atomic():
        grant = (
            Grant.objects.select_for_update()
            .select_related("member__client__team")
            .get(pk=grant.pk)
        )
        client = grant.member.client
        if not access.can_manage_sharing(actor, client):
            raise PermissionDenied(
                "Only the client or the representative they named decides who sees what."
            )
        if grant.revoked_at is not None:
            return grant
        grant.revoked_at, grant.revoked_by = timezone.now(), actor
        grant.save(update_fields=["revoked_at", "revoked_by"])
        audit(actor=actor, action="grant.revoked", target=grant, data={"scope": grant.scope})
        _event(
            client,
            "grant.changed",
            {"member": grant.member_id, "scope": grant.scope, "change": "revoked"},
            actor,
        )
        if grant.member.account_id:
            notify_access_changed(grant.member.account_id)
    return grant


def client_link_account(*, actor: Person, client: Client, account: Person) -> Client:
    """Give the client their own login to the portal (the care team does this; an
    invitation the client accepts does it through ``link_account``)."""
    with transaction.atomic():
        locked = lock(client, "team")
        if not access.can_keep_record(actor, locked):
            raise PermissionDenied("Only the client's team can link their account.")
        return link_account(actor=actor, locked=locked, account=account)


def link_account(*, actor: Person, locked: Client, account: Person) -> Client:
    """Link ``account`` as the client's own, on a client row locked by the caller (who
    checked who may): audited, announced, and the account's sockets told."""
    if account.kind != Person.Kind.PORTAL or not account.is_active:
        raise refused("account", "A portal account is needed.")
    if Client.objects.filter(account=account).exclude(pk=locked.pk).exists():
        raise refused("account", "This account belongs to another client.")
    if locked.representative_id == account.pk:
        raise refused(
            "account", "This account is the client's representative's, not the client's own."
        )
    if locked.account_id == account.pk:
        return locked
    if locked.account_id is not None:
        raise refused("account", f"{locked.display_name} has an account already.")
    save_new_version(locked, account=account)
    audit(actor=actor, action="client.account_linked", target=locked)
    _event(locked, "client.updated", {"fields": ["account"], "version": locked.version}, actor)
    notify_access_changed(account.pk)
    return locked


def client_set_representative(
    *,
    actor: Person,
    client: Client,
    person: Person | None,
    basis: str = Client.Basis.CHOSEN,
    note: str = "",
) -> Client:
    """The client names (or stops naming) the person who acts for them; the care team
    may record it on the client's behalf. (People without an account yet are invited:
    ``care.services.invitations.representative_invite``.)"""
    with transaction.atomic():
        locked = lock(client, "team")
        if not may_name_representative(actor, locked):
            raise PermissionDenied(
                "Only the client, or their team for them, names a representative."
            )
        if person is None:
            require_someone_left_to_decide(locked)
        return set_representative(actor=actor, locked=locked, person=person, basis=basis, note=note)


def may_name_representative(person: Person, client: Client) -> bool:
    """The client themself, or their team recording it for them. Not the representative:
    who acts for the client is the client's choice, or an appointment (a power of
    attorney, a deputyship) that the team checks and records; a representative naming
    their own successor would be neither."""
    return access.can_keep_record(person, client) or (
        client.account_id is not None and person.pk == client.account_id and person.is_active
    )


def require_someone_left_to_decide(client: Client) -> None:
    """Refuse to leave a client with nobody to decide for them: without an account of
    their own, the representative is the only one who can say who sees the record (the
    team keeps it but never shares it), so the representative may only be replaced
    (an invitation to the next one, accepted), not removed."""
    has_own = client.account is not None and client.account.is_active
    if client.representative is not None and not has_own:
        raise refused(
            "representative",
            f"{client.display_name} has no Kith account of their own, so removing "
            f"{client.representative.display_name} would leave nobody to decide who "
            "sees the record. Invite the new representative instead (accepting "
            f"replaces the current one), or invite {client.display_name} to the portal "
            "first.",
        )


def set_representative(
    *, actor: Person | None, locked: Client, person: Person | None, basis: str, note: str = ""
) -> Client:
    """Set the representative of a client row locked by the caller (who checked who
    may): audited, announced, and both the old and the new one's sockets told."""
    if person is not None:
        errors: Errors = {}
        note = clean_text(errors, "note", note, limit=limit_of(Client, "representative_note"))
        if person.kind != Person.Kind.PORTAL or not person.is_active:
            errors["person"] = ["A portal account is needed."]
        elif person.pk == locked.account_id:
            errors["person"] = ["The client's own account cannot be their representative."]
        if basis not in Client.Basis.values:
            errors["basis"] = [f"One of {', '.join(Client.Basis.values)}."]
        raise_errors(errors)
    else:
        basis, note = "", ""
    previous = locked.representative_id
    if previous == (person.pk if person else None) and (
        locked.representative_basis,
        locked.representative_note,
    ) == (basis, note):
        return locked
    if previous != (person.pk if person else None):
        locked.representative_since = timezone.now() if person else None
    save_new_version(
        locked,
        "representative_since",
        representative=person,
        representative_basis=basis,
        representative_note=note,
    )
    audit(
        actor=actor,
        action="client.representative_set",
        target=locked,
        data={"basis": basis, "previous": previous, "person": person.pk if person else None},
    )
    _event(
        locked,
        "client.updated",
        {"fields": ["representative"], "version": locked.version},
        actor,
    )
    for person_id in {previous, person.pk if person else None}:
        if person_id is not None:
            notify_access_changed(person_id)
    return locked
