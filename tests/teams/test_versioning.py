"""The one versioned-write helper: what a stale, a missing and a closed write are told."""

from __future__ import annotations

import pytest

from coordination.models import HandoverOffer
from teams.errors import Conflict, PreconditionRequired
from teams.models import Team
from teams.versioning import changed_since, check_status, check_version


def state(row) -> dict:
    return {"version": row.version}


def test_one_wording_names_what_changed():
    assert changed_since("the visit") == "The visit changed since you opened it."
    assert changed_since("your preferences", plural=True) == (
        "Your preferences changed since you opened them."
    )


def test_a_stale_version_is_a_conflict_with_the_state_now():
    team = Team(name="Noord", version=3)
    check_version(team, 3, state)  # the version seen: nothing to say
    with pytest.raises(Conflict) as err:
        check_version(team, 2, state)
    assert err.value.message == "The team changed since you opened it."  # the model's name
    assert err.value.current == {"version": 3}


def test_a_missing_version_is_asked_for_unless_the_write_may_go_without():
    team = Team(name="Noord", version=3)
    with pytest.raises(PreconditionRequired):
        check_version(team, None, state)
    check_version(team, None, state, required=False)


def test_a_row_no_longer_open_says_what_became_of_it():
    offer = HandoverOffer(status=HandoverOffer.Status.DECLINED, version=2)
    check_status(offer, HandoverOffer.Status.DECLINED, state, what="offer")
    with pytest.raises(Conflict) as err:
        check_status(offer, HandoverOffer.Status.OFFERED, state, what="offer")
    assert err.value.message == "This offer was already declined."
    assert err.value.current == {"version": 2}
