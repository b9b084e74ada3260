"""The page adapter: one status rule and one wording for every page's write."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from coordination.privacy import ClientDataWarning, Finding
from frontend import writes
from teams.errors import Conflict, KeyReused


def fails(exc):
    def do():
        raise exc

    return do


def test_done_says_what_happened_in_words_of_the_result():
    outcome = writes.perform(lambda: 3, done=lambda n: f"{n} visits planned.")
    assert (outcome.status, outcome.value, outcome.message) == (200, 3, "3 visits planned.")
    assert outcome.ok and not outcome.errors


def test_bad_input_is_400_with_messages_at_the_fields_the_form_shows():
    exc = ValidationError({"title": ["Give it a title."], "version": ["Stale."]})
    outcome = writes.perform(fails(exc), done="never", fields=["title"])
    assert outcome.status == 400 and not outcome.ok
    assert outcome.errors == {"title": ["Give it a title."], "__all__": ["Stale."]}
    # What no field of the form shows makes the problem line; "done" is not said.
    assert outcome.problem == "Stale." and outcome.done == ""


def test_without_fields_every_message_is_the_problem_line():
    exc = ValidationError({"minutes": ["Choose how late."], "note": ["Too long."]})
    outcome = writes.perform(fails(exc))
    assert outcome.problem == "Choose how late. Too long."


def test_rename_moves_a_service_field_to_the_forms_name():
    exc = ValidationError({"expires_at": ["In the future."]})
    outcome = writes.perform(fails(exc), fields=["until"], rename={"expires_at": "until"})
    assert outcome.errors == {"until": ["In the future."]} and outcome.problem == ""


def test_a_refusal_is_403_in_the_services_words_or_one_default():
    assert writes.perform(fails(PermissionDenied("Members only."))).problem == "Members only."
    outcome = writes.perform(fails(PermissionDenied()))
    assert (outcome.status, outcome.problem) == (403, writes.REFUSED)


def test_a_conflict_is_409_naming_what_was_lost_with_the_current_state():
    exc = Conflict("Ben has already taken this visit.", current={"version": 4})
    outcome = writes.perform(fails(exc), about="Mrs Jansen, 08:00: ")
    assert outcome.status == 409
    assert outcome.problem == "Mrs Jansen, 08:00: Ben has already taken this visit."
    assert outcome.current == {"version": 4}
    form = outcome.form({"note": "typed", "version": "3"})
    # What was typed stays, now against the current version.
    assert form["values"] == {"note": "typed", "version": "4"}
    assert form["current"] == {"version": 4}
    assert form["conflict"] == outcome.problem and form["problem"] == ""


def test_a_reused_key_is_said_so_the_form_can_carry_a_new_one():
    outcome = writes.perform(fails(KeyReused("Sent before with other values.")))
    assert outcome.status == 400 and outcome.key_reused
    # The key is a hidden field: what is said of it is said of the whole form.
    assert outcome.errors == {"__all__": ["Sent before with other values."]}
    assert outcome.problem == "Sent before with other values."


def test_a_held_text_comes_back_held_with_what_was_found():
    finding = Finding(
        field="body",
        kind="address",
        text="Kerkstraat 4",
        message="It names a street.",
        confirmable=True,
    )
    outcome = writes.perform(fails(ClientDataWarning([finding])), fields=["body"])
    assert outcome.status == 400 and outcome.held is not None
    assert outcome.errors == {"body": ["It names a street."]}
    assert outcome.problem == outcome.held.summary


def test_anything_else_is_not_the_adapters_to_hide():
    with pytest.raises(ZeroDivisionError):
        writes.perform(lambda: 1 / 0)


@pytest.mark.parametrize("raw", ["", " ", "-1", "1.5", "٣", "9" * 19, None, "x"])
def test_a_version_that_is_not_a_whole_number_means_the_page_is_out_of_date(raw):
    with pytest.raises(ValidationError) as caught:
        writes.version_from({"version": raw})
    assert caught.value.message_dict == {"version": [writes.STALE]}


def test_a_version_is_read_from_the_named_field():
    assert writes.version_from({"v": " 7 "}, "v") == 7
