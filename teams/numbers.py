"""How large a number sent to Kith may be.

A key (an id, a version, an Omaha number) is stored in at most a 64-bit integer. A
number past that range cannot be compared with a key on SQLite (the driver refuses to
bind it) nor stored on either database, so what is sent is checked against ``MAX``
where it comes in: the ``id`` path converter, the API's integer fields, and the
services that take lists of ids.
"""

from __future__ import annotations

from typing import TypeGuard

MAX = 10**18 - 1  # below 2**63 - 1, the largest BIGINT; 18 digits


def is_id(value: object) -> TypeGuard[int]:
    """A whole number that can be a key: from 1 to ``MAX`` (a bool is not one)."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX
