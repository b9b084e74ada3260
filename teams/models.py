from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models import F, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.crypto import salted_hmac

from coordination.events.streams import shared_stream, team_stream


class Person(AbstractUser):
    """Everyone who logs in to Kith.

    ``kind`` says which part of Kith a person uses; it grants no authority over any
    team. What a team member may do comes from their memberships and the decisions
    their team took; ``is_staff`` / ``is_superuser`` are for operators in the admin.
    """

    class Kind(models.TextChoices):
        MEMBER = "member", "Team member"
        COACH = "coach", "Coach"
        INSPECTOR = "inspector", "Inspector"
        PORTAL = "portal", "Client or network member"
        OPERATOR = "operator", "Operator"

    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.MEMBER)
    preferred_name = models.CharField(max_length=80, blank=True)
    # Part of every session's auth hash: one more ends all of the person's sessions at
    # once ("sign out everywhere", deactivation), Django's own check refusing them.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "person"
        verbose_name_plural = "people"
        constraints = [
            # One account per address: an invitation to an address with an account
            # links that account, and a reset or an email change finds one person.
            models.UniqueConstraint(
                Lower("email"), condition=~Q(email=""), name="one_person_per_email"
            ),
        ]

    # Operators (a kind, made by an operator invitation) use every page of the admin,
    # whose own rules keep the domain read-only there (teams.admin); Kith gives no
    # other kind of person a model permission. Superusers are Django's, as ever.
    def has_perm(self, perm, obj=None) -> bool:
        return self.is_operator or super().has_perm(perm, obj)

    def has_module_perms(self, app_label) -> bool:
        return self.is_operator or super().has_module_perms(app_label)

    @property
    def is_operator(self) -> bool:
        return bool(self.is_active and self.kind == self.Kind.OPERATOR)

    @property
    def display_name(self) -> str:
        return person_display_name(
            self.preferred_name, self.first_name, self.last_name, self.username
        )

    # --- credentials ------------------------------------------------------------------
    #
    # A password change or a deactivation ends the person's API tokens and tells their
    # open sockets, whichever door it came through: a page, the admin, `manage.py
    # changepassword`, `set_password()` and `save()` in a shell or a service. The one
    # place every door passes is this model's save(), so the change is noticed here,
    # against the values the row was read with (a signal would be the same hook, only
    # further from the model; an ``update()`` of the column bypasses both).

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        person = super().from_db(db, field_names, values, **kwargs)
        person._remember_credentials()
        return person

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._remember_credentials()

    def _remember_credentials(self) -> None:
        loaded = self.__dict__
        self._credentials_read = {
            name: loaded[name] for name in ("password", "is_active") if name in loaded
        }

    def check_password(self, raw_password):
        # Django re-hashes a correct password whose hasher's settings grew; the
        # password is the same, so it ends nothing (see _credentials_ending).
        self._rehashing = True
        try:
            return super().check_password(raw_password)
        finally:
            self._rehashing = False

    async def acheck_password(self, raw_password):
        self._rehashing = True
        try:
            return await super().acheck_password(raw_password)
        finally:
            self._rehashing = False

    def _credentials_ending(self, update_fields) -> str | None:
        """Why the person's credentials end with this save: "password changed",
        "deactivated", or None."""
        if self._state.adding or self.pk is None:
            return None
        read = getattr(self, "_credentials_read", {})
        now = self.__dict__

        def saved(name: str) -> bool:
            return update_fields is None or name in update_fields

        if saved("is_active") and read.get("is_active") is True and now.get("is_active") is False:
            return "deactivated"
        if not saved("password") or getattr(self, "_rehashing", False):
            return None
        # set_password() (on a row read with its password deferred too), or a new hash
        # put in the field by hand.
        # Django sets _password in set_password(); its stubs do not declare it.
        if self._password is not None:  # type: ignore[attr-defined]
            return "password changed"
        if "password" in read and now.get("password", read["password"]) != read["password"]:
            return "password changed"
        return None

    def save(self, **kwargs: Any) -> None:
        ending = self._credentials_ending(kwargs.get("update_fields"))
        if ending is None:
            super().save(**kwargs)
        else:
            from teams.services.credentials import credentials_ended

            with transaction.atomic():
                super().save(**kwargs)
                credentials_ended(person=self, reason=ending)
        self._remember_credentials()

    def _get_session_auth_hash(self, secret=None):
        """Django's hash of the password, with the session generation mixed in once it
        is above 0 (so sessions from before the generation existed stay valid)."""
        if not self.session_generation:
            return super()._get_session_auth_hash(secret=secret)
        return salted_hmac(
            "teams.models.Person.session_auth_hash",
            f"{self.password}:{self.session_generation}",
            secret=secret,
            algorithm="sha256",
        ).hexdigest()


def person_display_name(preferred_name: str, first_name: str, last_name: str, username: str) -> str:
    """How a person is named to others: what they prefer, else their full name, else
    their username. A function of the columns, so rows read as values name people the
    same way as ``Person.display_name``."""
    return preferred_name or f"{first_name} {last_name}".strip() or username


class Network(models.Model):
    """The network of teams this deployment serves: founded once by its operator
    (``manage.py found_network``). One row; it names the service in pages and mail."""

    name = models.CharField(max_length=120)
    founded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_network")]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def current(cls) -> Network | None:
        return cls.objects.filter(pk=1).first()


class Team(models.Model):
    """A self-managing neighbourhood team."""

    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    town = models.CharField(max_length=80, blank=True)
    patch = models.TextField(
        max_length=2000, blank=True, help_text="Neighbourhoods the team looks after."
    )
    postcodes = models.CharField(max_length=200, blank=True, help_text="Postcode areas.")
    phone = models.CharField(max_length=40, blank=True)
    email = models.EmailField(blank=True)
    # The team's locale: the language its pages and mail speak by default, and the
    # time zone its days are counted in. Choices come from settings.
    language = models.CharField(max_length=12, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)
    size_norm = models.PositiveSmallIntegerField(
        default=12, help_text="Kith suggests a split when the team grows past this."
    )
    # Where the team is based (its office or the middle of its patch), so other teams'
    # requests for help can be listed nearest first. Unknown: listed after the rest.
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    split_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="split_into"
    )
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | Q(
                    latitude__gte=-90,
                    latitude__lte=90,
                    longitude__gte=-180,
                    longitude__lte=180,
                ),
                name="team_location_whole_and_on_earth",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def stream(self) -> str:
        return team_stream(self.pk)

    @property
    def shared_stream(self) -> str:
        """What the team shares with its invited coaches: decisions, not care."""
        return shared_stream(self.pk)


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self) -> MembershipQuerySet:
        return self.filter(Membership.current_lookup())


class Membership(models.Model):
    """A person's time in a team. Leaving closes the row; history is never deleted.

    A member leaves at once (``left``: the first day no longer a member) or after a
    last day agreed ahead (``until``). Access ends when that day ends, at every door,
    because every reader asks ``current_lookup``; the clock then closes the row and
    ends the roles they held."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    joined = models.DateField(default=timezone.localdate)
    left = models.DateField(null=True, blank=True)
    until = models.DateField(
        null=True, blank=True, help_text="The last day as a member, when agreed ahead."
    )
    left_reason = models.CharField(max_length=200, blank=True)
    # The membership this one continues (a team split moves people, history intact).
    continues = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="continued_by"
    )
    admitted_by = models.ForeignKey(
        "Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ended_by = models.ForeignKey(
        "Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["joined", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "person"],
                condition=Q(left__isnull=True),
                name="one_current_membership_per_team",
            ),
            models.CheckConstraint(
                condition=Q(left__isnull=True) | Q(left__gte=F("joined")),
                name="membership_left_after_joined",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} in {self.team}"

    @staticmethod
    def current_lookup(prefix: str = "", *, today: datetime.date | None = None) -> Q:
        """The lookup of a membership current today: not ended, and not past its
        agreed last day. ``prefix`` reads it across a relation ("memberships__")."""
        today = today or timezone.localdate()
        return Q(**{f"{prefix}left__isnull": True}) & (
            Q(**{f"{prefix}until__isnull": True}) | Q(**{f"{prefix}until__gte": today})
        )


class AuditEntry(models.Model):
    """Who did what, written by every service in the same transaction as the change."""

    at = models.DateTimeField(default=timezone.now, db_index=True)
    actor = models.ForeignKey(Person, null=True, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=64)
    target = models.CharField(max_length=64, help_text="model label and id, e.g. teams.team:3")
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_id} {self.action} {self.target}"


class Role(models.Model):
    """A rotating role in a team. Holding one grants no veto and no extra say."""

    PLANNER, HOUSEKEEPER, INFORMER, DEVELOPER, MENTOR = (
        "planner",
        "housekeeper",
        "informer",
        "developer",
        "mentor",
    )

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="roles")
    key = models.SlugField(max_length=40)
    name = models.CharField(max_length=60)
    description = models.TextField()
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"description": 1000}
    standard = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        "Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Not columns: teams.selectors.roles_of sets them (every term, newest first; the
    # one running now).
    history: list[RoleTerm]
    current: RoleTerm | None

    class Meta:
        ordering = ["-standard", "name"]
        constraints = [
            models.UniqueConstraint(fields=["team", "key"], name="role_key_unique_in_team")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.team})"


class RoleTerm(models.Model):
    """One member holding one role for a term. Hands change only by adopted decision."""

    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="terms")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="role_terms")
    starts = models.DateField()
    ends = models.DateField()
    ended = models.DateField(null=True, blank=True, help_text="When the term actually closed.")
    handover_notes = models.TextField(blank=True)
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"handover_notes": 5000}
    decision = models.ForeignKey(
        "Proposal", null=True, blank=True, on_delete=models.PROTECT, related_name="role_terms"
    )
    reminded = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["-starts", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["role"], condition=Q(ended__isnull=True), name="one_current_term_per_role"
            ),
            models.CheckConstraint(
                condition=Q(ends__gte=F("starts")), name="term_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person} as {self.role.name} until {self.ends}"


class Proposal(models.Model):
    """A proposal decided by consent: adopted when its objection window closes with no
    open objection and at least half of the members have responded."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ADOPTED = "adopted", "Adopted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="proposals")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="proposals")
    kind = models.CharField(max_length=40)
    title = models.CharField(max_length=160)
    purpose = models.TextField()
    details = models.TextField(blank=True)
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"purpose": 4000, "details": 20000}
    payload = models.JSONField(default=dict, blank=True)
    window = models.DurationField()
    closes_at = models.DateTimeField(db_index=True)
    review_date = models.DateField(null=True, blank=True)
    review_reminded = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    revision = models.PositiveIntegerField(default=1)
    version = models.PositiveIntegerField(default=1)
    created = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    outcome = models.JSONField(default=dict, blank=True)
    # Not a column: teams.selectors.with_member_ids sets it on the proposals of a list
    # (the team's current members, which teams.services.proposals.tally reads).
    member_ids: set[int]

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["team", "status", "-decided_at"])]

    def __str__(self) -> str:
        return self.title


class Response(models.Model):
    """A member's consent or objection to one revision of a proposal."""

    class Kind(models.TextChoices):
        CONSENT = "consent", "Consent"
        OBJECTION = "objection", "Objection"

    class State(models.TextChoices):
        OPEN = "open", "Open"
        RESOLVED = "resolved", "Resolved by amendment"
        WITHDRAWN = "withdrawn", "Withdrawn by its author"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="responses")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    revision = models.PositiveIntegerField()
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(blank=True)
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"reason": 5000}
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["proposal", "person", "revision"], name="one_response_per_revision"
            ),
            models.CheckConstraint(
                condition=~Q(kind="objection") | ~Q(reason=""), name="objection_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} by {self.person_id} on proposal {self.proposal_id}"


class Comment(models.Model):
    """A clarifying question or a comment on a proposal, from a member or its coach."""

    class Kind(models.TextChoices):
        COMMENT = "comment", "Comment"
        QUESTION = "question", "Question"

    proposal = models.ForeignKey(Proposal, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.COMMENT)
    body = models.TextField()
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"body": 5000}
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} by {self.author_id} on proposal {self.proposal_id}"


class Agreement(models.Model):
    """A version of the team's agreement text, each adopted by decision."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="agreements")
    number = models.PositiveIntegerField()
    text = models.TextField()
    # Its TextFields' limits (teams.cleaning.limit_of): kept by code, not the database.
    LIMITS = {"text": 20000}
    decision = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["team", "number"], name="agreement_number_unique")
        ]

    def __str__(self) -> str:
        return f"Agreement {self.number} of {self.team}"


class CoachTerm(models.Model):
    """A coach invited by a team, by decision, for a term. Advises; never decides."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="coach_terms")
    coach = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="coach_terms")
    starts = models.DateField()
    ends = models.DateField()
    ended = models.DateField(null=True, blank=True)
    invited_by = models.ForeignKey(Proposal, on_delete=models.PROTECT, related_name="+")
    ended_by = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-starts"]
        constraints = [
            models.UniqueConstraint(
                fields=["team", "coach"],
                condition=Q(ended__isnull=True),
                name="one_current_coach_term",
            )
        ]

    def __str__(self) -> str:
        return f"{self.coach} coaching {self.team} until {self.ends}"


class CoachAccess(models.Model):
    """Every read a coach makes of a team's shared material; the team can see it."""

    coach = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="coach_accesses")
    at = models.DateTimeField(default=timezone.now, db_index=True)
    what = models.CharField(max_length=200)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name_plural = "coach accesses"

    def __str__(self) -> str:
        return f"{self.coach} read {self.what} of {self.team}"


class ApiToken(models.Model):
    """A person's API token for one device or integration.

    Only a SHA-256 digest of the token is kept: the token is 256 random bits, so a
    fast hash is enough (nobody can guess their way back from it) and a lookup is one
    indexed read. The token is shown once, when it is made; afterwards its prefix
    tells a person's tokens apart. Revoked and expired tokens stay as history.
    """

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16)
    digest = models.CharField(max_length=64, unique=True)
    created = models.DateTimeField(default=timezone.now)
    expires = models.DateTimeField()
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = "API token"
        indexes = [models.Index(fields=["person", "revoked"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires__gt=F("created")), name="api_token_expires_after_created"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) of {self.person_id}"


class Invitation(models.Model):
    """Someone asked in by email, for one purpose: to found a team, to join one by its
    admit decision, to see their own record or a client's as the client chose.

    The link in the mail is signed and carries a nonce whose digest alone is kept: it
    works once, until ``expires_at``, and a resend replaces it (the old link stops).
    Accepting creates the invitee's account, or links the one their address already
    has, and then does what the invitation is for (``teams.invitations``). Never
    deleted: accepted, withdrawn and expired invitations stay as history."""

    purpose = models.CharField(max_length=40)
    email = models.EmailField()
    name = models.CharField(max_length=120, blank=True, help_text="How the inviter named them.")
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="invitations"
    )
    # The id of what it is for in the purpose's own app (a client, a network entry).
    target = models.PositiveBigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict, blank=True)
    # purpose, team and target in one value, so one open invitation per address and
    # purpose is a plain unique constraint on every database.
    key = models.CharField(max_length=80, editable=False)
    invited_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.ForeignKey(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    why = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(default=timezone.now)
    nonce_digest = models.CharField(max_length=64, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    send_count = models.PositiveSmallIntegerField(default=0)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="invitations_accepted"
    )
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Not columns: what the pages listing invitations show of one (its status now, and
    # what it is for while it may still be used).
    state: str
    what: str
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["team", "accepted_at", "withdrawn_at"])]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                "key",
                condition=Q(accepted_at__isnull=True, withdrawn_at__isnull=True),
                name="one_open_invitation_per_purpose",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} invitation to {self.email}"

    @property
    def is_open(self) -> bool:
        return self.accepted_at is None and self.withdrawn_at is None

    def status(self, now=None) -> str:
        if self.accepted_at is not None:
            return "accepted"
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expires_at <= (now or timezone.now()):
            return "expired"
        return "open"
