#!/usr/bin/env python
"""Django's command-line utility for Kith."""

import os
import sys

# Commands that talk to the database or Redis check them first, so a wrong URL or a
# service that is down gives one line naming the variable, not a traceback.
PREFLIGHT_COMMANDS = {
    "migrate",
    "seed_demo",
    "runserver",
    "tick",
    "found_network",
    "found_team",
    "invite_operator",
}


# Kith's own packages: a module missing among these is a bug, not an install.
OWN_PACKAGES = {"config", "teams", "care", "coordination", "frontend", "tests", "bench"}


def _run() -> None:
    from django.core.management import execute_from_command_line

    if len(sys.argv) > 1 and sys.argv[1] in PREFLIGHT_COMMANDS:
        import django

        django.setup()
        from config import preflight

        preflight.run()
    execute_from_command_line(sys.argv)


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    try:
        _run()
    except ModuleNotFoundError as exc:
        # An environment made before the lock files last changed (a new dependency
        # came with a pull): one line saying so, not a traceback from inside Django.
        missing = (exc.name or "").partition(".")[0]
        if not missing or missing in OWN_PACKAGES:
            raise
        raise SystemExit(
            f"Kith cannot start: the package that provides {missing!r} is not installed in "
            "this environment (the lock files changed since it was made). Run "
            "`make .venv/.dev-installed`, or `pip install -r requirements.txt`."
        ) from None


if __name__ == "__main__":
    main()
