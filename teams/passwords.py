"""Password hashers that take turns: at most ``PASSWORD_HASH_THREADS`` hashes at once
in a process.

A PBKDF2 hash is about a second of one core, on purpose. Under daphne every request
runs on a thread of its own, so twelve wrong passwords sent at once were twelve
hashes competing for the machine's cores, and every other request waited its turn
on them (measured: the sign-in page's median went from 9 ms to 148 ms; bench/logins.py).
Here a hash waits for a free slot first: guessing slows down the guessers' own
answers, and whatever else the process serves keeps the remaining cores.

The bound sits in the hasher, the one place every door passes (the sign-in page, the
token endpoint, the admin, a password change, ``changepassword``, ``set_password``
anywhere). Django has no setting for it, and no library offers it.
"""

from __future__ import annotations

import contextlib
import threading

from django.conf import settings
from django.contrib.auth import hashers

_slots: threading.BoundedSemaphore | None = None
_slots_lock = threading.Lock()
# verify() and harden_runtime() call encode(): a thread holding a slot keeps it.
_holding = threading.local()


def hashing_slots() -> threading.BoundedSemaphore:
    """The process's slots, made at first use (after the settings are read)."""
    global _slots
    with _slots_lock:
        if _slots is None:
            _slots = threading.BoundedSemaphore(settings.PASSWORD_HASH_THREADS)
        return _slots


@contextlib.contextmanager
def turn():
    """Hold one of the process's hashing slots (waiting for one if need be)."""
    if getattr(_holding, "slot", False):
        yield
        return
    with hashing_slots():
        _holding.slot = True
        try:
            yield
        finally:
            _holding.slot = False


class TakesTurns:
    """Mixed into a hasher: its expensive steps run only while holding a slot."""

    def encode(self, *args, **kwargs):
        with turn():
            return super().encode(*args, **kwargs)

    def verify(self, *args, **kwargs):
        with turn():
            return super().verify(*args, **kwargs)

    def harden_runtime(self, *args, **kwargs):
        with turn():
            return super().harden_runtime(*args, **kwargs)


class PBKDF2PasswordHasher(TakesTurns, hashers.PBKDF2PasswordHasher):
    """Django's default hasher (same algorithm name: every stored hash still checks)."""


class PBKDF2SHA1PasswordHasher(TakesTurns, hashers.PBKDF2SHA1PasswordHasher):
    pass
