"""Care records: clients and their support network, Omaha care plans, visits, budgets."""

from care.models.clients import AccessLogEntry, Client, ClientStatusChange, Grant, NetworkMember
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

__all__ = [
    "AccessLogEntry",
    "CarePlan",
    "OutcomeRating",
    "PlanIntervention",
    "PlanProblem",
    "Client",
    "ClientStatusChange",
    "Grant",
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
]

# Visits and budgets (care/models/visits.py, care/models/budgets.py) are added below.
from care.models.budgets import Budget, LedgerEntry  # noqa: E402
from care.models.visits import Visit, VisitSeries, VisitSeriesException  # noqa: E402

__all__ += ["Visit", "VisitSeries", "VisitSeriesException", "Budget", "LedgerEntry"]

# The shared diary (care/models/diary.py).
from care.models.diary import DiaryNote  # noqa: E402

__all__ += ["DiaryNote"]

# A carer of another team let into one visit (care/models/grants.py).
from care.models.grants import VisitGrant  # noqa: E402

__all__ += ["VisitGrant"]

# Figures a team shared with the network (care/models/figures.py).
from care.models.figures import SharedFigures  # noqa: E402

__all__ += ["SharedFigures"]

# Published quality data: the experience survey and snapshots (care/models/quality.py).
from care.models.quality import ExperienceSurvey, Snapshot, SnapshotRead  # noqa: E402

__all__ += ["ExperienceSurvey", "Snapshot", "SnapshotRead"]
