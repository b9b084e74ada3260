"""Clients, the people around them, what the client lets each of them see, and who read what."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

from django.db import models
from django.db.models import Q
from django.utils import timezone

from coordination.events.streams import client_stream
from teams.models import Person, Team

if TYPE_CHECKING:
    from care.selectors.continuity import Continuity


def client_display_name(preferred_name: str, first_name: str, last_name: str) -> str:
    """How a client is named: the name they go by, then their family name. A function
    of the columns, so rows read as values name clients as ``Client.display_name`` does."""
    return f"{preferred_name or first_name} {last_name}".strip()


class AppendOnly(models.Model):
    """A model whose rows, once saved, are never changed or deleted; ``APPEND_ONLY``
    says so in the words of the model."""

    APPEND_ONLY = "Rows of this kind are append-only."

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise ValueError(self.APPEND_ONLY)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise ValueError(self.APPEND_ONLY)


class Client(models.Model):
    """A person the team looks after. Personal details kept to what care needs."""

    class Basis(models.TextChoices):
        """Why the representative may act for the client: what the client (and anyone
        checking) reads beside the representative's name."""

        LPA_HEALTH = "lpa_health", "Lasting power of attorney (health and welfare)"
        LPA_PROPERTY = "lpa_property", "Lasting power of attorney (property and financial affairs)"
        DEPUTY = "deputy", "Deputy appointed by the Court of Protection"
        PARENT = "parent", "Parent of a young person"
        CHOSEN = "chosen", "Chosen by the client"

    class Status(models.TextChoices):
        REFERRAL = "referral", "Referral"
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        DISCHARGED = "discharged", "Discharged"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="clients")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    preferred_name = models.CharField(max_length=80, blank=True)
    date_of_birth = models.DateField(null=True, blank=True)
    address = models.CharField(max_length=200, blank=True)
    postcode = models.CharField(max_length=12, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.REFERRAL)
    status_since = models.DateField(default=timezone.localdate)
    # The client's own login, and the representative they name (who acts for them).
    account = models.OneToOneField(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="client_record"
    )
    representative = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="represents"
    )
    # One representative at a time: the person Kith lets decide with and for the client.
    # Their basis is shown to the client; the note holds what backs it (an LPA's or a
    # court order's reference), for the team to check.
    representative_basis = models.CharField(max_length=12, choices=Basis.choices, blank=True)
    representative_since = models.DateTimeField(null=True, blank=True)
    representative_note = models.CharField(max_length=200, blank=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    # Not a column: the team's client list shows its continuity of care.
    continuity: Continuity

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [models.Index(fields=["team", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(representative__isnull=True, representative_basis="")
                    | (Q(representative__isnull=False) & ~Q(representative_basis=""))
                ),
                name="representative_has_a_basis",
            )
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return client_display_name(self.preferred_name, self.first_name, self.last_name)

    def stream(self, scope: str) -> str:
        """The live stream of one scope of this client's record (portal users)."""
        return client_stream(self.pk, scope)


class ClientStatusChange(models.Model):
    """Referral, active, paused, discharged: every change with its date and who made it."""

    client = models.ForeignKey(Client, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=12, choices=Client.Status.choices)
    on = models.DateField()
    by = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=300, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["on", "at", "id"]

    def __str__(self) -> str:
        return f"{self.client} {self.status} on {self.on}"


class NetworkMember(models.Model):
    """Someone in the client's support network: family, neighbours, GP, pharmacist..."""

    class Circle(models.TextChoices):
        INFORMAL = "informal", "Informal (family, friends, neighbours, volunteers, clubs)"
        FORMAL = "formal", "Formal (GP, pharmacist, therapists, social worker, providers)"

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="network")
    circle = models.CharField(max_length=10, choices=Circle.choices)
    relationship = models.CharField(max_length=80, help_text="daughter, neighbour, GP ...")
    name = models.CharField(max_length=120)
    organisation = models.CharField(max_length=120, blank=True)
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    takes_on = models.TextField(blank=True, help_text="What they help with.")
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"takes_on": 2000}
    account = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="network_roles"
    )
    active = models.BooleanField(default=True)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    # Not columns: on the network section what it may see (frontend.views.client_sections),
    # and on the client's sharing page its open invitation (an invitation row with page
    # attributes), its sharing form, a row per scope and what it sees now
    # (frontend.views.portal).
    sees: list[dict[str, Any]]
    invitation: Any
    sharing_form: dict[str, Any]
    scope_rows: list[dict[str, Any]]
    sees_now: list[str]

    class Meta:
        ordering = ["circle", "name", "id"]
        constraints = [
            # Removed entries stay as history: someone removed and invited again
            # gets a new entry with the same account.
            models.UniqueConstraint(
                fields=["client", "account"],
                condition=Q(account__isnull=False, active=True),
                name="one_network_entry_per_account",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.relationship} of {self.client})"


class Grant(models.Model):
    """The client lets one network member see one scope of their record, maybe until a date.

    Never edited: a revoke closes the row, a new grant is a new row, so the history of
    who could see what, and who decided, stays readable."""

    class Scope(models.TextChoices):
        VISITS = "visits", "Visits and who is coming"
        PLAN = "plan", "Care plan"
        NOTES = "notes", "Notes"
        BUDGET = "budget", "Budget statement"
        DIARY = "diary", "Shared diary"

    member = models.ForeignKey(NetworkMember, on_delete=models.PROTECT, related_name="grants")
    scope = models.CharField(max_length=10, choices=Scope.choices)
    granted_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-granted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "scope"],
                condition=Q(revoked_at__isnull=True),
                name="one_open_grant_per_scope",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member.name} may see {self.scope}"


class AccessLogEntry(AppendOnly):
    """Every read of a client's record: who, when, what and why. Append-only."""

    APPEND_ONLY = "The access log is append-only."

    client = models.ForeignKey(Client, on_delete=models.PROTECT, related_name="access_log")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    what = models.CharField(max_length=200)
    why = models.CharField(max_length=200)
    channel = models.CharField(max_length=10, default="page")

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["client", "-at"])]

    def __str__(self) -> str:
        return f"{self.person} read {self.what} of {self.client} ({self.why})"
