"""A password hasher that waits at a gate, for watching password checks from outside a
server process (tests/teams/test_credential_servers.py).

Each check first leaves a file ``entered-*`` in the folder named by ``KITH_TEST_GATE``,
then waits (at most 30 s) until a file ``open`` appears there. It takes turns like
Kith's own hashers (``teams.passwords.TakesTurns``): what is watched is Kith's bound.
"""

from __future__ import annotations

import os
import time
import uuid
from pathlib import Path

from django.contrib.auth.hashers import MD5PasswordHasher

from teams.passwords import TakesTurns


class _Gated(MD5PasswordHasher):
    algorithm = "gate"

    def verify(self, password, encoded):
        folder = Path(os.environ["KITH_TEST_GATE"])
        (folder / f"entered-{uuid.uuid4().hex}").touch()
        deadline = time.monotonic() + 30
        while not (folder / "open").exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        return super().verify(password, encoded)


class GateHasher(TakesTurns, _Gated):
    pass
