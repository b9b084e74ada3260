"""What the founding commands share: printing the links they mailed, and turning a
service's ValidationError into one line per field."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError

from teams.services.invitations import link


def refuse(exc: ValidationError) -> CommandError:
    lines = [f"{field}: {' '.join(messages)}" for field, messages in exc.message_dict.items()]
    return CommandError("\n".join(lines))


def print_links(command, sent) -> None:
    """The links are mailed; printed too, for an operator whose mail is not set up yet
    (they go to that person only: anyone with the link can accept it)."""
    for invitation, token in sent:
        command.stdout.write(f"  {invitation.email}: {link(token)}")
