"""Kith's mail: every message in plain text and HTML, with absolute links to the
deployment's own address (``KITH_SITE_URL``), in the reader's language.

A message is three templates under ``mail/``: ``<name>_subject.txt``, ``<name>.txt``
and ``<name>.html`` (which extends ``mail/base.html``). Messages that follow a write
go out once the write commits (``send_on_commit``), so an invitation whose row rolled
back is never mailed; a mail that fails is logged and the write stands (the person can
ask again: resend an invitation, request another reset).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger("kith.mail")


def absolute(path: str) -> str:
    """``path`` (as ``reverse()`` gives it) on the deployment's own address."""
    if path.startswith(("http://", "https://")):
        return path
    return settings.SITE_URL + path


# Where a mail's link leads is the pages' business, as for notifications: a mail names
# a target ({"to": "invitation", "token": ...}) and the pages, which teams may not
# import, register the resolver that turns targets into paths when they are ready.
_resolvers: list[Callable[[list[dict]], list[str]]] = []


def register_links(resolver: Callable[[list[dict]], list[str]]) -> None:
    _resolvers[:] = [resolver]


def link(to: str, **ids: object) -> str:
    """The absolute address of the page a mail leads to (``to`` and its ids)."""
    if not _resolvers:
        raise ImproperlyConfigured("No pages resolve mail links (frontend not ready).")
    return absolute(_resolvers[0]([{"to": to, **ids}])[0])


def render(name: str, context: dict, *, language: str | None = None) -> tuple[str, str, str]:
    """(subject, text, html) of message ``name``."""
    context = {"site_url": settings.SITE_URL, **context}
    with translation.override(language or settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string(f"mail/{name}_subject.txt", context).split())
        text = render_to_string(f"mail/{name}.txt", context)
        html = render_to_string(f"mail/{name}.html", context)
    return subject, text, html


def send(name: str, *, to: str | Iterable[str], context: dict, language: str | None = None) -> bool:
    """Send message ``name`` now; whether it went (a failure is logged, not raised)."""
    recipients = [to] if isinstance(to, str) else list(to)
    subject, text, html = render(name, context, language=language)
    message = EmailMultiAlternatives(subject, text, None, recipients)
    message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception:
        logger.exception("mail %s to %d recipient(s) not sent", name, len(recipients))
        return False
    return True


def send_on_commit(
    name: str, *, to: str | Iterable[str], context: dict, language: str | None = None
) -> None:
    """Send message ``name`` once the current transaction commits (at once outside one)."""
    recipients = [to] if isinstance(to, str) else list(to)
    transaction.on_commit(
        lambda: send(name, to=recipients, context=context, language=language), robust=True
    )
