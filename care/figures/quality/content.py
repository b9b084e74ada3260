"""What a snapshot holds, and its fingerprint.

``source_table`` turns a team's indicators for a period into the table disclosure
control works on (counts and rates only: no client, no person). ``canonical`` is the
one way the content is written out to be hashed: JSON with keys sorted, no spaces,
UTF-8, numbers that are not whole written as strings (as the indicators already are).
``content_hash`` is the SHA-256 of it, in hex. Anyone holding an export can check it:

    hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":"),
                              ensure_ascii=False).encode("utf-8")).hexdigest()
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal

from care.figures.compute import DEFINITIONS, TeamIndicators

HASH_ALGORITHM = "sha256"
CANONICAL_FORM = (
    'JSON with keys sorted, separators "," and ":" (no spaces), UTF-8, not ASCII-escaped'
)


def canonical(content: dict) -> bytes:
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def content_hash(content: dict) -> str:
    return hashlib.sha256(canonical(content)).hexdigest()


def _plain(number):
    return str(number) if isinstance(number, Decimal) else number


def source_table(
    indicators: TeamIndicators, *, team_name: str, problem_names: dict[int, str]
) -> dict:
    """The team's figures for the period before disclosure control, as plain JSON.
    Outcome rows carry the exact sums their means come from (``*_total``): the
    control reckons with what a reader could add up."""
    period = indicators.period
    return {
        "team": indicators.team_id,
        "team_name": team_name,
        "period": period.label,
        "period_kind": period.kind,
        "first_day": period.first.isoformat(),
        "last_day": period.last.isoformat(),
        "method_version": indicators.method_version,
        "indicators": {
            key: {
                "label": DEFINITIONS[key].label,
                "unit": DEFINITIONS[key].unit,
                "family": DEFINITIONS[key].family,
                **figure.as_json(),
            }
            for key, figure in indicators.indicators.items()
        },
        "outcomes_by_problem": [
            {
                "problem": row.problem,
                "name": problem_names.get(row.problem, ""),
                "problems": row.problems,
                "clients": row.clients,
                "improved": row.improved,
                "knowledge_change": _plain(row.knowledge_change),
                "behavior_change": _plain(row.behavior_change),
                "status_change": _plain(row.status_change),
                "knowledge_total": row.knowledge_total,
                "behavior_total": row.behavior_total,
                "status_total": row.status_total,
            }
            for row in sorted(indicators.outcomes_by_problem, key=lambda r: r.problem)
        ],
    }
