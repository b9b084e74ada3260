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


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    if len(sys.argv) > 1 and sys.argv[1] in PREFLIGHT_COMMANDS:
        import django

        django.setup()
        from config import preflight

        preflight.run()
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
