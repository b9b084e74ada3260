"""Asking people into a client's record by email: the client themself, the
representative who acts for them, and the people of their network.

Who may ask whom is care's rule (``care.access``); the links, resending, withdrawing
and accepting are the one invitation machinery (``teams.services.invitations``), to
which this module registers three purposes (``register``, from ``care.apps``):

- "client": the client's own account. The team sends it.
- "representative": the person who acts for the client, with the basis they act on.
  The team sends it, or the client themself; accepting replaces the representative
  there was, so a client is never left without one in between.
- "network": someone of the client's network (family, neighbour, GP, pharmacist, a
  micro-provider), with what they may see and until when. Only the client or their
  representative sends it: what the network sees is theirs to decide. The network
  entry exists from the invitation on (so it can be withdrawn, and the client sees who
  is asked), but the grants are made only when the invitee accepts: until then they
  see nothing.

Every write: keyword-only, actor first, one transaction, permission through
``care.access``, an audit row, one event.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from care import access
from care.models import Client, Grant, NetworkMember
from care.services import clients as client_services
from care.services.clients import _clean, _event
from coordination.events import notify_access_changed
from teams import invitations as registry
from teams.cleaning import clean_text, limit_of, raise_errors, refused
from teams.models import Invitation, Person
from teams.services import invitations as machinery
from teams.services.common import audit
from teams.versioning import check_version, lock, save_new_version

CLIENT, REPRESENTATIVE, NETWORK = "client", "representative", "network"
PURPOSES = (CLIENT, REPRESENTATIVE, NETWORK)


def _open(query: QuerySet[Invitation]) -> QuerySet[Invitation]:
    return query.filter(accepted_at__isnull=True, withdrawn_at__isnull=True).filter(
        expires_at__gt=timezone.now()
    )


def _locked_client(client: Client) -> Client:
    """The client, locked, with who acts for them and their account."""
    return lock(client, "team", "account", "representative")


def _no_other_open(client: Client, purpose: str, email: str, what: str) -> None:
    """One open invitation of this kind per client: two people invited to be the one
    representative (or to be the client) would each replace the other on accepting."""
    other = (
        _open(Invitation.objects.filter(purpose=purpose, target=client.pk))
        .exclude(email__iexact=email)
        .first()
    )
    if other is not None:
        raise refused(
            "email",
            f"An invitation {what} is open already, to {other.email}: withdraw it "
            "before inviting someone else.",
        )


def _email_with(errors: dict[str, list[str]], email: str) -> str:
    """The address, normalised; its problems are raised with the other fields'."""
    try:
        email = machinery.normal_email(email)
    except ValidationError as exc:
        errors |= exc.message_dict
    raise_errors(errors)
    return email


def _invite_into(
    actor: Person,
    locked: Client,
    purpose: str,
    email: str,
    name: str,
    payload: dict[str, Any] | None = None,
) -> Invitation:
    """Invite ``email`` into the client's record (as the client, or who acts for them)."""
    invitation, _token = machinery.invitation_create(
        actor=actor,
        purpose=purpose,
        email=email,
        name=name,
        team=locked.team,
        target=locked.pk,
        payload=payload,
    )
    _event(locked, "invitation.sent", {"invitation": invitation.pk, "purpose": purpose}, actor)
    return invitation


# --- the client's own account -----------------------------------------------------------


def client_invite(*, actor: Person, client: Client, email: str, name: str = "") -> Invitation:
    """The team invites the client to see their own record in the portal."""
    with transaction.atomic():
        locked = _locked_client(client)
        if not access.can_keep_record(actor, locked):
            raise PermissionDenied("Only the client's team invites them to the portal.")
        email = machinery.normal_email(email)
        if locked.account_id is not None:
            raise refused("email", f"{locked.display_name} has a Kith account already.")
        existing = machinery.account_for(email)
        if existing is not None:
            if existing.pk == locked.representative_id:
                raise refused(
                    "email",
                    f"This is the address of {locked.display_name}'s representative: "
                    "the client's own account needs an address of their own.",
                )
            if Client.objects.filter(account=existing).exists():
                raise refused("email", "This address is another client's own account.")
        _no_other_open(locked, CLIENT, email, "to the portal")
        # The client's own name when none is typed: not input here, so shortened to
        # what an invitation's name holds rather than refused.
        name = name or locked.display_name[: limit_of(Invitation, "name")]
        return _invite_into(actor, locked, CLIENT, email, name)


def _accept_client(invitation: Invitation, person: Person) -> dict[str, Any]:
    locked = _locked_client(Client(pk=invitation.target))
    client_services.link_account(actor=person, locked=locked, account=person)
    return {"client": locked.pk}


# --- the representative -----------------------------------------------------------------


def representative_invite(
    *,
    actor: Person,
    client: Client,
    email: str,
    name: str = "",
    basis: str,
    note: str = "",
) -> Invitation:
    """The team (recording the client's choice or an appointment) or the client themself
    invites the person who will act for the client. Accepting makes them the
    representative, in place of the one there was."""
    errors: dict[str, list[str]] = {}
    if basis not in Client.Basis.values:
        errors["basis"] = [f"One of {', '.join(Client.Basis.values)}."]
    note = clean_text(errors, "note", note, limit=limit_of(Client, "representative_note"))
    with transaction.atomic():
        locked = _locked_client(client)
        if not client_services.may_name_representative(actor, locked):
            raise PermissionDenied(
                "Only the client, or their team for them, names a representative."
            )
        email = _email_with(errors, email)
        existing = machinery.account_for(email)
        if existing is not None and existing.pk == locked.account_id:
            raise refused(
                "email",
                f"This is {locked.display_name}'s own address: a representative is someone else.",
            )
        if existing is not None and existing.pk == locked.representative_id:
            raise refused(
                "email",
                f"{existing.display_name} is {locked.display_name}'s representative already.",
            )
        _no_other_open(locked, REPRESENTATIVE, email, "to a representative")
        payload = {"basis": basis, "note": note}
        return _invite_into(actor, locked, REPRESENTATIVE, email, name, payload)


def _accept_representative(invitation: Invitation, person: Person) -> dict[str, Any]:
    locked = _locked_client(Client(pk=invitation.target))
    previous = locked.representative_id
    client_services.set_representative(
        actor=person,
        locked=locked,
        person=person,
        basis=invitation.payload.get("basis", Client.Basis.CHOSEN),
        note=invitation.payload.get("note", ""),
    )
    return {"client": locked.pk, "replaces": previous}


def representative_remove(*, actor: Person, client: Client, version: int | None = None) -> Client:
    """The client, or their team, stops the representative acting for the client; refused
    when nobody would be left to decide for them (``require_someone_left_to_decide``)."""
    with transaction.atomic():
        locked = _locked_client(client)
        if not client_services.may_name_representative(actor, locked):
            raise PermissionDenied(
                "Only the client, or their team for them, removes a representative."
            )
        check_version(
            locked, version, representative_state, what="the client's record", required=False
        )
        if locked.representative_id is None:
            raise refused("representative", f"{locked.display_name} has no representative.")
        client_services.require_someone_left_to_decide(locked)
        return client_services.set_representative(actor=actor, locked=locked, person=None, basis="")


def representative_state(client: Client) -> dict[str, Any]:
    person = client.representative
    return {
        "version": client.version,
        "representative": person.display_name if person else None,
        "basis": client.representative_basis,
        "since": client.representative_since,
    }


# --- the network ------------------------------------------------------------------------


def _clean_scopes(errors: dict[str, list[str]], scopes: object) -> list[str]:
    if not isinstance(scopes, list | tuple | set | frozenset) or not all(
        isinstance(s, str) for s in scopes
    ):
        errors["scopes"] = ["A list of scopes."]
        return []
    unknown = sorted(set(scopes) - set(Grant.Scope.values))
    if unknown:
        errors["scopes"] = [
            f"Not a scope: {', '.join(unknown)}. One or more of {', '.join(Grant.Scope.values)}."
        ]
    elif not scopes:
        errors["scopes"] = ["Choose at least one part of the record they may see."]
    return [s for s in Grant.Scope.values if s in scopes]


def network_invite(
    *,
    actor: Person,
    client: Client,
    email: str,
    name: str,
    relationship: str,
    circle: str,
    scopes: object,
    expires_at: datetime.datetime | None = None,
    organisation: str = "",
) -> tuple[NetworkMember, Invitation]:
    """The client or their representative asks someone into the network, choosing what
    they may see and until when. The entry exists at once (with no account); the
    grants, only once the invitee accepts."""
    errors: dict[str, list[str]] = {}
    if circle not in NetworkMember.Circle.values:
        errors["circle"] = ["Either informal or formal."]
    chosen = _clean_scopes(errors, scopes)
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = ["The expiry must be in the future."]
    try:
        cleaned = _clean(
            {"name": name, "relationship": relationship, "organisation": organisation},
            client_services.NETWORK_FIELDS,
            client_services.REQUIRED_NETWORK,
        )
    except ValidationError as exc:
        errors |= exc.message_dict
        cleaned = {}
    with transaction.atomic():
        locked = _locked_client(client)  # one network invitation at a time per client
        if not access.can_manage_sharing(actor, locked):
            raise PermissionDenied(
                "Only the client or their representative invites people into the network: "
                "what the network sees is theirs to decide."
            )
        email = _email_with(errors, email)
        existing = machinery.account_for(email)
        if existing is not None and existing.pk in {
            locked.account_id,
            locked.representative_id,
        }:
            raise refused(
                "email",
                f"{existing.display_name} sees {locked.display_name}'s whole record already.",
            )
        if (
            existing is not None
            and NetworkMember.objects.filter(client=locked, account=existing, active=True).exists()
        ):
            raise refused(
                "email",
                f"{existing.display_name} is in the network already: change what they see instead.",
            )
        already = (
            _open(Invitation.objects.filter(purpose=NETWORK, email__iexact=email))
            .filter(target__in=NetworkMember.objects.filter(client=locked).values("pk"))
            .first()
        )
        if already is not None:
            raise refused(
                "email",
                f"{email} was invited already "
                f"({timezone.localtime(already.sent_at or already.created):%d %b %Y}): "
                "resend that invitation instead.",
            )
        member = NetworkMember.objects.create(
            client=locked, circle=circle, email=email, account=None, **cleaned
        )
        invitation, _token = machinery.invitation_create(
            actor=actor,
            purpose=NETWORK,
            email=email,
            name=cleaned["name"],
            team=locked.team,
            target=member.pk,
            payload={
                "client": locked.pk,
                "scopes": chosen,
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
        audit(
            actor=actor,
            action="network.invited",
            target=member,
            data={"invitation": invitation.pk, "scopes": chosen},
        )
        _event(
            locked,
            "network.changed",
            {"member": member.pk, "change": "invited", "invitation": invitation.pk},
            actor,
        )
    return member, invitation


def _payload_expiry(invitation: Invitation) -> datetime.datetime | None:
    raw = invitation.payload.get("expires_at")
    return datetime.datetime.fromisoformat(raw) if raw else None


def _network_member(invitation: Invitation) -> NetworkMember | None:
    if invitation.target is None:
        return None
    return (
        NetworkMember.objects.select_related("client__team", "client__account")
        .filter(pk=invitation.target)
        .first()
    )


def _network_still_stands(invitation: Invitation) -> str | None:
    member = _network_member(invitation)
    if member is None or not member.active:
        return "This place in the network was removed: the invitation no longer stands."
    client = member.client
    ends = _payload_expiry(invitation)
    if ends is not None and ends <= timezone.now():
        return (
            f"What {client.display_name} chose to share with you ended on "
            f"{timezone.localtime(ends):%d %b %Y}: ask them to invite you again."
        )
    inviter = invitation.invited_by
    if inviter is None or not access.can_manage_sharing(inviter, client):
        return (
            f"The person who invited you no longer decides for {client.display_name}: ask "
            f"{client.display_name} or their representative to invite you again."
        )
    return None


def _accept_network(invitation: Invitation, person: Person) -> dict[str, Any]:
    if invitation.target is None:
        raise ValueError(f"Network invitation {invitation.pk} names no network entry.")
    member = NetworkMember.objects.select_for_update().get(pk=invitation.target)
    client = Client.objects.select_related("team").get(pk=member.client_id)
    reason = _network_still_stands(invitation)
    if reason:
        raise refused("invitation", reason)
    if person.pk in {client.account_id, client.representative_id}:
        raise refused("invitation", f"You see {client.display_name}'s whole record already.")
    if NetworkMember.objects.filter(client=client, account=person, active=True).exists():
        raise refused(
            "invitation",
            f"You are in {client.display_name}'s network already: they change what you see there.",
        )
    save_new_version(member, account=person)
    audit(actor=person, action="network.joined", target=member)
    _event(client, "network.changed", {"member": member.pk, "change": "joined"}, person)
    # The grants are the inviter's decision, made now that there is someone to see.
    ends = _payload_expiry(invitation)
    for scope in invitation.payload.get("scopes", []):
        if invitation.invited_by is None:
            raise ValueError(f"Invitation {invitation.pk} grants what it shows but has no inviter.")
        client_services.grant_scope(
            actor=invitation.invited_by, client=client, member=member, scope=scope, expires_at=ends
        )
    return {"client": client.pk, "member": member.pk, "scopes": invitation.payload.get("scopes")}


def network_remove(
    *, actor: Person, member: NetworkMember, version: int | None = None
) -> NetworkMember:
    """Take someone out of the client's network: their grants end at once (open pages
    and sockets too), an invitation still open is withdrawn, and the entry stays as
    history, as does everything they read in the access log. The client or their
    representative decides it; a member may also leave by themself."""
    with transaction.atomic():
        locked = lock(member, "client__team", "account")
        client = locked.client
        leaving = locked.account_id is not None and actor.pk == locked.account_id
        if not (access.can_manage_sharing(actor, client) or (leaving and actor.is_active)):
            raise PermissionDenied(
                "Only the client or their representative takes someone out of the network."
            )
        check_version(
            locked,
            version,
            network_member_state,
            what="the entry in the client's network",
            required=False,
        )
        if not locked.active:
            return locked
        now = timezone.now()
        revoked = []
        for grant in Grant.objects.select_for_update().filter(
            member=locked, revoked_at__isnull=True
        ):
            grant.revoked_at, grant.revoked_by = now, actor
            grant.save(update_fields=["revoked_at", "revoked_by"])
            revoked.append(grant.scope)
        for invitation in Invitation.objects.filter(
            purpose=NETWORK, target=locked.pk, accepted_at__isnull=True, withdrawn_at__isnull=True
        ):
            save_new_version(invitation, withdrawn_at=now, withdrawn_by=actor)
            audit(actor=actor, action="invitation.withdrawn", target=invitation)
        save_new_version(locked, active=False)
        audit(
            actor=actor,
            action="network.left" if leaving else "network.removed",
            target=locked,
            data={"grants_ended": revoked},
        )
        _event(
            client,
            "network.changed",
            {"member": locked.pk, "change": "removed", "grants_ended": revoked},
            actor,
        )
        if locked.account_id:
            notify_access_changed(locked.account_id)
    return locked


def network_member_state(member: NetworkMember) -> dict[str, Any]:
    return {
        "id": member.pk,
        "version": member.version,
        "active": member.active,
        "name": member.name,
    }


# --- the invitations of one client --------------------------------------------------------


def invitations_of(client: Client) -> QuerySet[Invitation]:
    """Every invitation into the client's record, newest first: to the client, to a
    representative, and to the network (with the network entry each is for)."""
    from django.db.models import Q

    return (
        Invitation.objects.filter(
            Q(purpose__in=[CLIENT, REPRESENTATIVE], target=client.pk)
            | Q(
                purpose=NETWORK,
                target__in=NetworkMember.objects.filter(client=client).values("pk"),
            )
        )
        .select_related("invited_by", "accepted_by")
        .order_by("-created", "-id")
    )


def may_see_invitations(person: Person, client: Client) -> bool:
    return access.can_keep_record(person, client) or access.speaks_for(person, client)


# --- the purposes -------------------------------------------------------------------------


def _client_of(invitation: Invitation) -> Client | None:
    if invitation.purpose == NETWORK:
        member = _network_member(invitation)
        return member.client if member else None
    if invitation.target is None:
        return None
    return Client.objects.select_related("team", "account").filter(pk=invitation.target).first()


def _name_of(invitation: Invitation) -> str:
    client = _client_of(invitation)
    return client.display_name if client else "a client"


def _describe_client(invitation: Invitation) -> str:
    client = _client_of(invitation)
    team = f", kept by team {client.team.name}," if client else ""
    return f"to see your own care record{team} in Kith"


def _describe_representative(invitation: Invitation) -> str:
    basis = dict(Client.Basis.choices).get(invitation.payload.get("basis"), "")
    basis = f" ({basis.lower()})" if basis else ""
    return f"to act for {_name_of(invitation)} in Kith as their representative{basis}"


def _describe_network(invitation: Invitation) -> str:
    labels = dict(Grant.Scope.choices)
    scopes = ", ".join(labels.get(s, s).lower() for s in invitation.payload.get("scopes", []))
    ends = _payload_expiry(invitation)
    until = f", until {timezone.localtime(ends):%d %b %Y}" if ends else ""
    return f"to see what {_name_of(invitation)} shares with you in Kith ({scopes}{until})"


def _client_still_stands(invitation: Invitation) -> str | None:
    client = _client_of(invitation)
    if client is None:
        return "This invitation's record no longer exists."
    if invitation.purpose == CLIENT and client.account_id is not None:
        return f"{client.display_name} has a Kith account already: sign in instead."
    return None


def _may_manage(may: Callable[[Person, Client], bool]) -> Callable[[Person, Invitation], bool]:
    """Who may resend or withdraw an invitation: ``may`` of its client, while there is one."""

    def check(person: Person, invitation: Invitation) -> bool:
        client = _client_of(invitation)
        return client is not None and may(person, client)

    return check


def register() -> None:
    # The team sends the client's and the representative's; the network's is the client's.
    for key, accept, may, describe, still_stands in (
        (CLIENT, _accept_client, access.can_keep_record, _describe_client, _client_still_stands),
        (
            REPRESENTATIVE,
            _accept_representative,
            client_services.may_name_representative,
            _describe_representative,
            _client_still_stands,
        ),
        (
            NETWORK,
            _accept_network,
            access.can_manage_sharing,
            _describe_network,
            _network_still_stands,
        ),
    ):
        registry.register(
            registry.Purpose(
                key=key,
                kind=Person.Kind.PORTAL,
                accept=accept,
                may_manage=_may_manage(may),
                describe=describe,
                still_stands=still_stands,
                team_sends=key != NETWORK,
            )
        )
