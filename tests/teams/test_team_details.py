"""Team details: service, API, permissions, concurrency, bad input."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from coordination.events import EventRecord
from teams.errors import Conflict, PreconditionRequired
from teams.models import AuditEntry, Team
from teams.services import details as detail_services
from tests.doors import api

pytestmark = pytest.mark.django_db


class TestService:
    def test_a_member_changes_details_audited_and_published(
        self, personas, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=False):
            team = detail_services.team_update_details(
                actor=personas.ana, team=personas.noord, version=1, phone=" 0570 111 222 "
            )
        assert (team.phone, team.version) == ("0570 111 222", 2)
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.action, entry.data) == (
            personas.ana,
            "team.details_changed",
            {"phone": "0570 111 222"},
        )
        event = EventRecord.objects.get(stream=personas.noord.stream)
        assert event.type == "team.details_changed"
        assert event.data == {"team": team.pk, "version": 2, "changed": {"phone": "0570 111 222"}}
        assert event.actor_id == personas.ana.pk

    def test_no_change_writes_nothing(self, personas):
        detail_services.team_update_details(
            actor=personas.ana, team=personas.noord, version=1, phone=personas.noord.phone
        )
        assert not AuditEntry.objects.exists()
        assert not EventRecord.objects.exists()
        assert Team.objects.get(pk=personas.noord.pk).version == 1

    def test_a_stale_version_is_a_conflict_with_the_current_state(self, personas):
        detail_services.team_update_details(
            actor=personas.ana, team=personas.noord, version=1, phone="1"
        )
        with pytest.raises(Conflict) as err:
            detail_services.team_update_details(
                actor=personas.ben, team=personas.noord, version=1, phone="2"
            )
        assert err.value.current["phone"] == "1"
        assert err.value.current["version"] == 2
        # The one wording of a stale write (it said "Someone changed these details").
        assert err.value.message == "The team's details changed since you opened them."
        assert Team.objects.get(pk=personas.noord.pk).phone == "1"

    def test_a_missing_version_is_asked_for_not_called_a_conflict(self, personas):
        # It was a Conflict ("changed since"), unlike every other versioned write: a
        # write that did not say which version it saw is a PreconditionRequired (428).
        with pytest.raises(PreconditionRequired):
            detail_services.team_update_details(
                actor=personas.ana, team=personas.noord, version=None, phone="1"
            )
        assert Team.objects.get(pk=personas.noord.pk).version == 1

    def test_outsiders_are_refused(self, personas, outsiders):
        for person in outsiders.values():
            with pytest.raises(PermissionDenied):
                detail_services.team_update_details(
                    actor=person, team=personas.noord, version=1, phone="999"
                )
        assert Team.objects.get(pk=personas.noord.pk).phone == ""
        assert not EventRecord.objects.exists()

    def test_bad_input_names_the_field_and_changes_nothing(self, personas):
        with pytest.raises(ValidationError) as err:
            detail_services.team_update_details(
                actor=personas.ana, team=personas.noord, version=1, email="not-an-email", phone="ok"
            )
        assert set(err.value.message_dict) == {"email"}
        with pytest.raises(ValidationError) as err:
            detail_services.team_update_details(
                actor=personas.ana, team=personas.noord, version=1, name="X"
            )
        assert set(err.value.message_dict) == {"name"}
        team = Team.objects.get(pk=personas.noord.pk)
        assert (team.phone, team.name, team.version) == ("", "Noord", 1)


class TestApi:
    def test_me_lists_my_teams(self, personas):
        body = api(personas.ana).get("/api/v1/me").json()
        assert body["username"] == "ana"
        assert body["teams"] == [{"id": personas.noord.pk, "slug": "noord", "name": "Noord"}]

    def test_team_list_shows_only_mine_with_members(self, personas, django_assert_num_queries):
        response = api(personas.ana).get("/api/v1/teams/")
        assert [t["slug"] for t in response.json()] == ["noord"]
        assert sorted(m["name"] for m in response.json()[0]["members"]) == [
            "Ana de Vries",
            "Ben Mulder",
        ]

    def test_team_list_query_count_is_constant(self, personas, django_assert_max_num_queries):
        from tests.factories import MembershipFactory, TeamFactory

        client = api(personas.ana)
        client.get("/api/v1/teams/")  # warm: session, content types
        with django_assert_max_num_queries(3) as few:
            client.get("/api/v1/teams/")
        for _i in range(6):
            team = TeamFactory()
            MembershipFactory(team=team, person=personas.ana)
            for _ in range(3):
                MembershipFactory(team=team)
        with django_assert_max_num_queries(len(few.captured_queries)):
            response = client.get("/api/v1/teams/")
        assert len(response.json()) == 7

    def test_patch_with_if_match(self, personas):
        response = api(personas.ana).patch(
            f"/api/v1/teams/{personas.noord.pk}",
            {"phone": "0570 123 456"},
            format="json",
            headers={"If-Match": '"1"'},
        )
        assert response.status_code == 200
        assert response.json()["phone"] == "0570 123 456"
        assert response.headers["ETag"] == '"2"'

    def test_patch_without_a_version_is_428(self, personas):
        response = api(personas.ana).patch(
            f"/api/v1/teams/{personas.noord.pk}", {"phone": "1"}, format="json"
        )
        assert response.status_code == 428
        assert "If-Match" in response.json()["message"]

    def test_stale_patch_is_409_with_current_state(self, personas):
        client = api(personas.ana)
        url = f"/api/v1/teams/{personas.noord.pk}"
        client.patch(url, {"phone": "first"}, format="json", headers={"If-Match": "1"})
        response = api(personas.ben).patch(
            url, {"phone": "second"}, format="json", headers={"If-Match": "1"}
        )
        assert response.status_code == 409
        assert response.json()["extra"]["current"]["phone"] == "first"
        assert Team.objects.get(pk=personas.noord.pk).phone == "first"

    def test_bad_input_is_400_with_field_messages(self, personas):
        response = api(personas.ana).patch(
            f"/api/v1/teams/{personas.noord.pk}",
            {"email": "nope", "phone": "x" * 41},
            format="json",
            headers={"If-Match": "1"},
        )
        assert response.status_code == 400
        assert set(response.json()["extra"]["fields"]) == {"email", "phone"}
        assert Team.objects.get(pk=personas.noord.pk).version == 1

    def test_bad_version_is_400(self, personas):
        response = api(personas.ana).patch(
            f"/api/v1/teams/{personas.noord.pk}",
            {"phone": "1"},
            format="json",
            headers={"If-Match": "banana"},
        )
        assert response.status_code == 400
        assert "version" in response.json()["extra"]["fields"]

    @pytest.mark.parametrize("who", ["outsider", "coach", "inspector", "client", "family"])
    def test_everyone_else_gets_404_and_changes_nothing(self, personas, outsiders, who):
        client = api(outsiders[who])
        url = f"/api/v1/teams/{personas.noord.pk}"
        assert client.get(url).status_code == 404
        response = client.patch(url, {"phone": "999"}, format="json", headers={"If-Match": "1"})
        assert response.status_code == 404
        assert "noord" not in [t["slug"] for t in client.get("/api/v1/teams/").json()]
        assert Team.objects.get(pk=personas.noord.pk).phone == ""

    def test_anonymous_gets_401(self, personas):
        assert api().get(f"/api/v1/teams/{personas.noord.pk}").status_code == 401
        assert api().get("/api/v1/me").status_code == 401

    def test_token_login(self, personas):
        from tests.factories import PASSWORD

        response = api().post(
            "/api/v1/auth/token", {"username": "ana", "password": PASSWORD}, format="json"
        )
        assert response.status_code == 200
        token = response.json()["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.get("/api/v1/me").json()["username"] == "ana"

    def test_wrong_password_is_400_without_a_token(self, personas):
        response = api().post(
            "/api/v1/auth/token", {"username": "ana", "password": "wrong"}, format="json"
        )
        assert response.status_code == 400
        assert "token" not in response.json()


def test_openapi_schema_describes_the_api(personas):
    response = api(personas.ana).get("/api/v1/schema", {"format": "json"})
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert {"/api/v1/teams/{id}", "/api/v1/streams/{stream}/events", "/api/v1/me"} <= set(paths)
