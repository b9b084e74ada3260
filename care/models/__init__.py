"""Care records, one module per subject: ``clients`` (clients, their support network,
sharing grants, the access log), ``omaha`` (the Omaha System reference set), ``plans``
(care plans and ratings), ``visits`` (visits and series), ``budgets`` (budgets and
their ledger), ``diary`` (the shared diary), ``grants`` (a carer of another team let
into one visit), ``figures`` (figures a team shared with the network) and ``quality``
(the experience survey and published snapshots). Django finds them all here."""

from care.models.budgets import Budget, LedgerEntry
from care.models.clients import AccessLogEntry, Client, ClientStatusChange, Grant, NetworkMember
from care.models.diary import DiaryNote
from care.models.figures import SharedFigures
from care.models.grants import VisitGrant
from care.models.omaha import (
    OmahaAnchor,
    OmahaCategory,
    OmahaDomain,
    OmahaProblem,
    OmahaScale,
    OmahaScope,
    OmahaSeverity,
    OmahaSign,
    OmahaTarget,
)
from care.models.plans import CarePlan, OutcomeRating, PlanIntervention, PlanProblem
from care.models.quality import ExperienceSurvey, Snapshot, SnapshotRead
from care.models.visits import Visit, VisitIntervention, VisitSeries, VisitSeriesException

__all__ = [
    "AccessLogEntry",
    "Budget",
    "CarePlan",
    "Client",
    "ClientStatusChange",
    "DiaryNote",
    "ExperienceSurvey",
    "Grant",
    "LedgerEntry",
    "NetworkMember",
    "OmahaAnchor",
    "OmahaCategory",
    "OmahaDomain",
    "OmahaProblem",
    "OmahaScale",
    "OmahaScope",
    "OmahaSeverity",
    "OmahaSign",
    "OmahaTarget",
    "OutcomeRating",
    "PlanIntervention",
    "PlanProblem",
    "SharedFigures",
    "Snapshot",
    "SnapshotRead",
    "Visit",
    "VisitGrant",
    "VisitSeries",
    "VisitSeriesException",
    "VisitIntervention",
]
