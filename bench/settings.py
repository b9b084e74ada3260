"""Kith's settings with the bare endpoints mounted beside Kith's own (bench/bare.py).

The bare daphne processes and the harness process use this module; the Kith side of
every figure runs the real ``config.asgi:application`` on ``config.settings``.
"""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bare"
