"""Team indicators per period, computed in SQL (``compute``), the periods they are
computed for (``periods``), and who may see and share them (``access``).

The method of each indicator: ``docs/indicators.md``.
"""

from care.indicators.compute import (
    DEFINITIONS,
    METHOD_VERSION,
    SHARED_KEYS,
    Indicator,
    ProblemOutcome,
    TeamIndicators,
    network_indicators,
    shared_figures_of,
    team_indicators,
)
from care.indicators.periods import Period, parse_period

__all__ = [
    "DEFINITIONS",
    "METHOD_VERSION",
    "SHARED_KEYS",
    "Indicator",
    "Period",
    "ProblemOutcome",
    "TeamIndicators",
    "network_indicators",
    "parse_period",
    "shared_figures_of",
    "team_indicators",
]
