"""Reading an invitation's link from the mail it went out in, as the invitee would."""

from __future__ import annotations

import re

from django.core import mail
from django.db import connection

LINK = re.compile(r"/invitations/([A-Za-z0-9_:\-]+)/")


def run_on_commit() -> None:
    """Run what waits for the commit now (the mail, the sockets' bell): a test's
    transaction never commits. (pytest-django's capture runs them only as its block
    ends, and these tests read the mail in the middle.)"""
    waiting, connection.run_on_commit = connection.run_on_commit, []
    for _savepoints, callback, _robust in waiting:
        callback()


def mailed_token(email: str) -> str:
    """The token of the newest invitation mailed to ``email``."""
    run_on_commit()
    for message in reversed(mail.outbox):
        if email.lower() in [to.lower() for to in message.to]:
            found = LINK.search(message.body)
            assert found, message.body
            return found.group(1)
    raise AssertionError(f"no mail to {email}: {[m.to for m in mail.outbox]}")


def mailed(email: str) -> list:
    run_on_commit()
    return [m for m in mail.outbox if email.lower() in [to.lower() for to in m.to]]
