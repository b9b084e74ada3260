"""The page adapter: what ``config/api.py`` is to the API, this is to the pages.

A page's write is one call, ``outcome = perform(do, done=...)``. Services raise Django's
``ValidationError`` and ``PermissionDenied``, ``teams.errors.Conflict`` and the privacy
check's ``ClientDataWarning``; ``perform`` turns each into one ``Outcome`` by the API's
status rule:

- 400: bad input, with the messages at their fields and the rest in one problem line
  (a text the privacy check held is ``held``, for its form to show again);
- 403: a refusal, in the service's words (the page itself is a 404 to whoever may not
  read it: that is the view's ``..._or_404``, before anything is attempted);
- 409: a lost race or a stale form, with the current state;
- 200: done, with the words of what happened.

Pages never catch domain exceptions themselves (``tests/test_house_rules.py``); they
render the outcome. A version the form carries is read with ``version_from``, whose
one wording says the page is out of date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from coordination.privacy import ClientDataWarning
from frontend.forms import held_errors
from teams.errors import Conflict, KeyReused

HIDDEN = {"payload", "version", "idempotency_key"}
STALE = "This page is out of date: reload it."
REFUSED = "You may not do that."


def _by_field(exc: ValidationError) -> dict[str, list[str]]:
    """A service's messages by the form field they belong to: a decision's
    ``payload.person`` at ``person``; the version and the idempotency key (hidden
    fields: what is said of them is said of the whole form) and messages for no field
    under ``__all__``."""
    if not hasattr(exc, "error_dict"):
        return {NON_FIELD_ERRORS: list(exc.messages)}
    errors: dict[str, list[str]] = {}
    for key, found in exc.message_dict.items():
        name = NON_FIELD_ERRORS if key in HIDDEN else key.removeprefix("payload.")
        errors.setdefault(name, []).extend(found)
    return errors


def version_from(data: Mapping[str, Any], name: str = "version") -> int:
    """The version a form carries (a hidden field): a whole number, or the page is out
    of date (400 at ``name``)."""
    raw = str(data.get(name) or "").strip()
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 18:
        raise ValidationError({name: [STALE]})
    return int(raw)


@dataclass
class Outcome[T]:
    """What a write came to, as a page answers it."""

    status: int = 200
    value: T | None = None
    done: str = ""
    problem: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)
    current: dict[str, Any] | None = None
    held: ClientDataWarning | None = None
    key_reused: bool = False

    @property
    def ok(self) -> bool:
        return self.status < 400

    @property
    def result(self) -> T:
        """What the service returned, for a write that went through."""
        if not self.ok or self.value is None:
            raise ValueError(f"This write came to {self.status} with nothing to show.")
        return self.value

    @property
    def message(self) -> str:
        return self.done if self.ok else self.problem

    def flash(self, request: HttpRequest) -> None:
        """Say it on the next page (the redirect after a form without JavaScript)."""
        if self.ok:
            messages.success(request, self.done)
        else:
            messages.error(request, self.problem)

    def back(self, request: HttpRequest, url: str) -> HttpResponse:
        """Without JavaScript: say it, and go back to ``url``."""
        self.flash(request)
        return redirect(url)

    def form(self, values: Mapping[str, Any], **more: Any) -> dict[str, Any]:
        """A refused form as its template shows it again: what was typed, the messages
        at their fields, the problem line, and on a conflict the current state."""
        shown: dict[str, Any] = {
            "values": dict(values),
            "errors": self.errors,
            "problem": self.problem if self.status != 409 else "",
            "open": True,
        }
        if self.status == 409:
            shown.update(conflict=self.problem, current=self.current or {})
            if "version" in shown["values"] and "version" in shown["current"]:
                # What was typed stays, now against the version there is: sending it
                # again is a deliberate choice to replace the other change.
                shown["values"]["version"] = str(shown["current"]["version"])
        return shown | more


def perform[T](
    do: Callable[[], T],
    *,
    done: str | Callable[[T], str] = "",
    about: str = "",
    fields: Iterable[str] = (),
    rename: Mapping[str, str] | None = None,
) -> Outcome[T]:
    """Run one write and say what it came to (see the module).

    ``done``: the words of success, or a function of the service's result that says
    them. ``about`` goes before a conflict's message, to name what was lost ("Mrs
    Jansen, 08:00: "). ``fields``: the names the form shows messages at; every other
    message (and every message, when no field is named) makes the problem line.
    ``rename`` moves a service's field to the form's name for it (``expires_at`` is the
    form's ``until``)."""
    try:
        value = do()
    except ClientDataWarning as exc:
        outcome: Outcome[T] = Outcome(400, errors=held_errors(exc), problem=exc.summary)
        outcome.held = exc
        return outcome
    except Conflict as exc:
        return Outcome(409, problem=f"{about}{exc.message}", current=exc.current)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for name, found in _by_field(exc).items():
            errors.setdefault((rename or {}).get(name, name), []).extend(found)
        shown = set(fields) - {NON_FIELD_ERRORS}
        problem = " ".join(m for name, found in errors.items() if name not in shown for m in found)
        return Outcome(400, errors=errors, problem=problem, key_reused=isinstance(exc, KeyReused))
    except PermissionDenied as exc:
        return Outcome(403, problem=str(exc) or REFUSED)
    words = done(value) if callable(done) else done
    return Outcome(200, value=value, done=words)
