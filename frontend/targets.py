"""The pages that notifications lead to: their targets (coordination/notifications/
targets.py, what a notification is about) resolved to the addresses of these pages.
Registered when the app is ready; the notifications page, the API, the digest and the
mail teams sends (``teams.mail.link``: invitations, password resets, address
confirmations) all link through here, so a page that moves moves every link to it."""

from __future__ import annotations

from django.urls import reverse

from teams import selectors as team_selectors


def resolve(targets: list[dict]) -> list[str]:
    """Each target's address, in order (one query for the teams of all boards)."""
    teams = {t.get("team") for t in targets if t.get("to") == "board"}
    slugs = team_selectors.team_slugs(teams) if teams else {}
    return [_address(target, slugs) for target in targets]


def _address(target: dict, slugs: dict[int, str]) -> str:
    to = target.get("to")
    if to == "board" and target.get("team") in slugs:
        return reverse("team-board", args=[slugs[target["team"]]]) + f"?date={target['day']}"
    if to == "proposal" and isinstance(target.get("proposal"), int):
        return reverse("proposal", args=[target["proposal"]])
    if to == "help":
        return reverse("help")
    if to == "preferences":
        return reverse("notification-preferences")
    # The links mail gives (teams.mail.link).
    if to == "invitation":
        return reverse("invitation", args=[target["token"]])
    if to == "password-reset":
        return reverse("password-reset-confirm", args=[target["uidb64"], target["token"]])
    if to == "email-confirm":
        return reverse("account-email-confirm", args=[target["token"]])
    return reverse("notifications")  # the list, or a target whose page is gone
