"""Kith's settings with the gate hasher first (tests/gate.py), for a server process."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["tests.gate.GateHasher", *PASSWORD_HASHERS]  # noqa: F405
