"""The quality portal's pages (issue 7): each team's published snapshots side by side
with the network median, one team over time with a chart, one snapshot with its
provenance, and their CSV exports.

The world is ``tests.care.test_quality``'s: Noord's first quarter of 2026 published
(hand-counted there: 6 clients served, 12 of 13 visits done = 92.3%, knowledge change
+0.67, problems improved 83.3%; both outcome rows hidden), and Zuid's (two clients:
clients served, visits delivered, punctuality and hours per client "fewer than 5").
"Now" is 10 April 2026.
"""

from __future__ import annotations

import copy
import csv
import datetime
import io

import pytest
import time_machine
from django.db import connection
from django.test import Client as Browser
from django.test.utils import CaptureQueriesContext

from care.figures.quality import services
from care.figures.quality.content import content_hash
from care.models import Snapshot, SnapshotRead
from teams.models import Proposal
from tests.care.test_quality import NOW, build, done, published
from tests.factories import PersonFactory, TeamFactory

pytestmark = pytest.mark.django_db

HIDDEN = "fewer than 5"


@pytest.fixture
def world(personas):
    with time_machine.travel(NOW, tick=False):
        w = build(personas)
        w.noord_q1 = published(w)
        w.zuid_q1 = published(w, team=w.zuid)
        w.draft = services.snapshot_prepare(actor=w.ana, team=w.noord, period="2025-Q4")
        yield w


def browser(person=None) -> Browser:
    b = Browser()
    if person is not None:
        b.force_login(person)
    return b


def rows_of(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


def pages(w) -> list[str]:
    return [
        "/quality/",
        "/quality/export.csv",
        "/quality/teams/noord/",
        "/quality/teams/noord/chart.svg?figure=visits_delivered",
        f"/quality/snapshots/{w.noord_q1.pk}/",
        f"/quality/snapshots/{w.noord_q1.pk}.csv",
        f"/quality/snapshots/{w.noord_q1.pk}/outcomes.csv",
    ]


# --- what readers see -----------------------------------------------------------------------


def test_the_inspector_sees_the_teams_side_by_side_with_the_median(world):
    response = browser(world.inspector).get("/quality/")
    assert response.status_code == 200
    text = response.content.decode()
    assert "Noord" in text and "Zuid" in text
    assert f'href="/quality/snapshots/{world.noord_q1.pk}/"' in text
    # Visits delivered: Noord 92.3%, Zuid hidden; the median is of Noord alone.
    row = text.split('data-indicator="visits_delivered"')[1].split("</tr>")[0]
    assert "<td data-median>92.3% <span" in row and "of 1</span>" in row
    assert "92.3%" in row and HIDDEN in row
    # Knowledge change +0.67 (Noord), and the nav links the portal.
    assert "+0.67" in text
    assert 'href="/quality/"' in text
    # Above the table, each team in view links to its page over time (on a phone the
    # table's team columns are off to the side).
    teams = text.split('id="quality-teams"')[1].split("</ul>")[0]
    assert 'href="/quality/teams/noord/"' in teams and 'href="/quality/teams/zuid/"' in teams
    assert f"2026-Q1, version {world.noord_q1.version}" in teams
    # No person's name, no client's.
    for secret in ("Ana", "de Vries", "Mulder", "C1 Noord", "Private words"):
        assert secret not in text


def test_a_period_is_chosen_from_the_published_ones(world):
    b = browser(world.inspector)
    text = b.get("/quality/").content.decode()
    assert '<option value="2026-Q1">2026-Q1</option>' in text
    assert "2025-Q4" not in text  # a draft's period is no published period
    chosen = b.get("/quality/?period=2026-Q1").content.decode()
    assert '<option value="2026-Q1" selected>' in chosen
    # March: nobody published it.
    march = b.get("/quality/?period=2026-03")
    assert march.status_code == 200
    assert "data-no-snapshots" in march.content.decode()


@pytest.mark.parametrize(
    "period, words",
    [("2099-Q1", "has not begun yet"), ("soon", "Not a period"), ("2026-13", "Not a period")],
)
def test_a_bad_period_is_a_400_that_says_why(world, period, words):
    b = browser(world.inspector)
    page = b.get(f"/quality/?period={period}")
    assert page.status_code == 400
    assert words in page.content.decode()
    export = b.get(f"/quality/export.csv?period={period}")
    assert export.status_code == 400
    assert export.content.decode().startswith("period: ") and words in export.content.decode()


def test_one_team_over_time_with_corrections_marked(world):
    with time_machine.travel(NOW, tick=False):
        done(world.clients[1], "2026-03-31", world.ana)
        world.noord_q1_v2 = published(world)
    v1, v2 = world.noord_q1, world.noord_q1_v2
    assert (v2.version, v2.corrects_id) == (2, v1.pk)
    response = browser(world.inspector).get("/quality/teams/noord/")
    assert response.status_code == 200
    text = response.content.decode()
    # The table holds the current version; the list every version, v1 marked.
    table = text.split('id="quality-over-time"')[1].split("</table>")[0]
    assert "2026-Q1 v2" in table and "2026-Q1 v1" not in table
    assert f'corrects <a href="/quality/snapshots/{v1.pk}/">v1</a>' in table
    versions = text.split('id="quality-versions"')[1].split("</ul>")[0]
    first = versions.split(f'data-snapshot="{v1.pk}"')[1]
    assert "corrected by v2" in first
    assert f'href="/quality/snapshots/{v2.pk}/"' in first
    assert "corrected by" not in versions.split(f'data-snapshot="{v1.pk}"')[0]
    # The chart of the chosen indicator is an image of this team's.
    assert 'src="/quality/teams/noord/chart.svg?figure=visits_delivered"' in text
    # The old version's own page says so and links the new one.
    old = browser(world.inspector).get(f"/quality/snapshots/{v1.pk}/").content.decode()
    assert "Corrected by v2" in old and f'href="/quality/snapshots/{v2.pk}/"' in old


def test_the_chart_is_an_svg_without_script_that_names_hidden_periods(world):
    b = browser(world.inspector)
    noord = b.get("/quality/teams/noord/chart.svg?figure=visits_delivered")
    assert noord.status_code == 200
    assert noord["Content-Type"] == "image/svg+xml"
    svg = noord.content.decode()
    assert svg.startswith("<svg") and "<script" not in svg.lower()
    assert "92.3%" in svg and "fewer than 5" not in svg
    # Zuid's clients served is hidden: not plotted, and the chart says so.
    zuid = b.get("/quality/teams/zuid/chart.svg?figure=clients_served").content.decode()
    assert "<script" not in zuid.lower()
    assert "2026-Q1*" in zuid and "fewer than 5: hidden, not plotted" in zuid
    page = b.get("/quality/teams/zuid/?figure=clients_served").content.decode()
    assert "Not plotted, shown as “fewer than 5” (starred): 2026-Q1." in page
    assert b.get("/quality/teams/noord/chart.svg?figure=bogus").status_code == 404
    assert b.get("/quality/teams/nowhere/").status_code == 404


def test_one_snapshot_with_its_provenance_and_exports(world):
    s = world.noord_q1
    response = browser(world.inspector).get(f"/quality/snapshots/{s.pk}/")
    assert response.status_code == 200
    text = response.content.decode()
    assert f"<code data-hash>{s.content_hash}</code>" in text
    assert len(s.content_hash) == 64
    assert f"<dd data-method>{s.method_version}</dd>" in text
    assert f"decision no. {s.decision_id}" in text
    # An inspector reads no proposal: the decision is named, not linked.
    assert f'href="/proposals/{s.decision_id}/"' not in text
    assert f'href="/quality/snapshots/{s.pk}.csv"' in text
    assert f'href="/api/v1/snapshots/{s.pk}/export"' in text
    assert 'href="/api/v1/schema"' in text
    assert "sort_keys=True" in text  # how to verify the hash
    # Noord's members follow the link to their own decision.
    own = browser(world.ana).get(f"/quality/snapshots/{s.pk}/").content.decode()
    assert f'href="/proposals/{s.decision_id}/"' in own
    # The hash on the page is the content's (as the export's reader would check it).
    assert content_hash(Snapshot.objects.get(pk=s.pk).content) == s.content_hash


def test_the_snapshot_csv_is_the_snapshot_cell_by_cell(world):
    rows = rows_of(browser(world.inspector).get(f"/quality/snapshots/{world.noord_q1.pk}.csv"))
    header, body = rows[0], rows[1:]
    assert header == [
        "team", "period", "version", "method_version", "indicator", "label", "unit",
        "value", "numerator", "denominator", "clients",
    ]  # fmt: skip
    by_key = {r[4]: r for r in body}
    assert len(body) == len(world.noord_q1.content["indicators"]) == 17
    method = world.noord_q1.method_version
    # Hand-counted in tests/care/test_quality.py.
    assert by_key["visits_delivered"] == [
        "Noord", "2026-Q1", "1", method, "visits_delivered",
        "Visits delivered against planned", "%", "92.3", "12", "13", "6",
    ]  # fmt: skip
    assert by_key["clients_served"][7:] == ["6", "6", "", "6"]
    assert by_key["knowledge_change"][7:] == ["0.67", "4", "6", "6"]
    assert by_key["budget_use"][7:] == ["", "0.00", "0.00", "0"]
    # Zuid's hidden cells keep their marker.
    zuid = rows_of(browser(world.inspector).get(f"/quality/snapshots/{world.zuid_q1.pk}.csv"))
    zuid_by_key = {r[4]: r for r in zuid[1:]}
    for key in ("clients_served", "visits_delivered", "punctuality", "hours_per_client"):
        assert zuid_by_key[key][7:] == [HIDDEN] * 4, key
    assert zuid_by_key["members_joined"][7:] == ["0", "0", "1", ""]


def test_the_outcomes_csv_has_a_row_per_omaha_problem(world):
    s = world.noord_q1
    response = browser(world.inspector).get(f"/quality/snapshots/{s.pk}/outcomes.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert f"kith-noord-2026-Q1-v{s.version}-outcomes.csv" in response["Content-Disposition"]
    rows = rows_of(response)
    assert rows[0] == [
        "team", "period", "version", "method_version", "omaha_problem", "name",
        "problems", "clients", "improved", "knowledge_change", "behavior_change",
        "status_change",
    ]  # fmt: skip
    content_rows = s.content["outcomes_by_problem"]
    assert [int(r[4]) for r in rows[1:]] == [r["problem"] for r in content_rows]
    assert content_rows, "Noord rated problems in 2026-Q1"
    for line, row in zip(rows[1:], content_rows, strict=True):
        assert line[:4] == ["Noord", "2026-Q1", str(s.version), s.method_version]
        assert line[5] == row["name"]
        if row["suppressed"]:
            assert line[6:] == [HIDDEN] * 6
        else:
            expected = [row[f] for f in ("problems", "clients", "improved")]
            expected += [row[f] for f in ("knowledge_change", "behavior_change", "status_change")]
            assert line[6:] == [str(v) for v in expected]
    page = browser(world.inspector).get(f"/quality/snapshots/{s.pk}/").content.decode()
    assert f'href="/quality/snapshots/{s.pk}/outcomes.csv"' in page
    # A draft is nobody's to export.
    draft = browser(world.inspector).get(f"/quality/snapshots/{world.draft.pk}/outcomes.csv")
    assert draft.status_code == 404


def test_the_network_csv_sets_the_teams_side_by_side(world):
    response = browser(world.inspector).get("/quality/export.csv?period=2026-Q1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="kith-quality-2026-Q1.csv"' in response["Content-Disposition"]
    rows = rows_of(response)
    method = world.noord_q1.method_version
    assert rows[0] == [
        "indicator", "label", "unit", f"network median (method {method})",
        f"Noord (2026-Q1 v1, method {method})", f"Zuid (2026-Q1 v1, method {method})",
    ]  # fmt: skip
    by_key = {r[0]: r for r in rows[1:]}
    assert by_key["visits_delivered"][3:] == ["92.3", "92.3", HIDDEN]
    assert by_key["clients_served"][3:] == ["6", "6", HIDDEN]
    # Both teams' knowledge change: Noord's 0.67; Zuid rated nothing (empty, not hidden).
    assert by_key["knowledge_change"][3:] == ["0.67", "0.67", ""]
    assert by_key["members_joined"][3:] == ["0", "0", "0"]


# --- reads are logged -----------------------------------------------------------------------


def test_every_page_read_of_an_inspector_is_logged(world):
    b = browser(world.inspector)
    expected = [
        ("/quality/", 2, "portal: teams side by side"),
        ("/quality/export.csv", 2, "portal: export (CSV)"),
        ("/quality/teams/noord/", 1, "portal: team over time"),
        ("/quality/teams/noord/chart.svg", 1, "portal: chart of visits_delivered"),
        (f"/quality/snapshots/{world.noord_q1.pk}/", 1, "portal: snapshot"),
        (f"/quality/snapshots/{world.noord_q1.pk}.csv", 1, "portal: export (CSV)"),
        (
            f"/quality/snapshots/{world.noord_q1.pk}/outcomes.csv",
            1,
            "portal: outcomes export (CSV)",
        ),
    ]
    for path, count, what in expected:
        before = SnapshotRead.objects.count()
        assert b.get(path).status_code == 200, path
        new = SnapshotRead.objects.order_by("-id")[: SnapshotRead.objects.count() - before]
        assert len(new) == count, path
        assert {(r.person_id, r.what, r.channel) for r in new} == {
            (world.inspector.pk, what, "page")
        }, path
    # The same read logged twice is two rows: a log, not a set.
    b.get(f"/quality/snapshots/{world.noord_q1.pk}/")
    assert SnapshotRead.objects.filter(what="portal: snapshot").count() == 2


@pytest.mark.parametrize("reader", ["ana", "cas", "coach"])
def test_members_and_coaches_read_the_same_pages_unlogged(world, reader):
    b = browser(getattr(world, reader))
    for path in pages(world):
        assert b.get(path).status_code == 200, path
    assert SnapshotRead.objects.count() == 0
    nav = b.get("/notifications/").content.decode().split("</nav>")[0]
    assert '<a href="/quality/">Published quality</a>' in nav


# --- who may not, and what never shows ------------------------------------------------------


@pytest.mark.parametrize("who", ["mrs_jansen", "daughter", "teamless"])
def test_clients_family_and_the_teamless_are_refused(world, who):
    person = PersonFactory(username="teamless") if who == "teamless" else getattr(world, who)
    b = browser(person)
    for path in pages(world):
        response = b.get(path)
        assert response.status_code == 403, path
        assert b"92.3" not in response.content
    assert "Quality" not in b.get("/").content.decode()  # no link in the nav either
    assert SnapshotRead.objects.count() == 0


def test_the_anonymous_are_sent_to_log_in(world):
    for path in pages(world):
        response = browser().get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/login/?next=")


def test_nothing_is_written_through_the_pages(world):
    b = browser(world.inspector)
    for path in pages(world):
        assert b.post(path).status_code == 405, path


@pytest.mark.parametrize("reader", ["inspector", "ana"])
def test_drafts_never_appear(world, reader):
    b = browser(getattr(world, reader))
    draft = world.draft
    assert draft.status == "draft"
    assert b.get(f"/quality/snapshots/{draft.pk}/").status_code == 404
    assert b.get(f"/quality/snapshots/{draft.pk}.csv").status_code == 404
    for path in ("/quality/", "/quality/teams/noord/", "/quality/export.csv"):
        text = b.get(path).content.decode()
        assert "2025-Q4" not in text, path
        assert f"/quality/snapshots/{draft.pk}/" not in text, path
    assert not SnapshotRead.objects.filter(snapshot=draft).exists()


# --- constant queries -----------------------------------------------------------------------


def more_teams(w, how_many: int) -> None:
    """Teams that published Noord's first quarter as their own (rows made directly: the
    page only reads them)."""
    for n in range(how_many):
        team = TeamFactory(name=f"Team {n:02d}", slug=f"team-{n:02d}")
        decision = Proposal.objects.create(
            team=team,
            author=w.ana,
            kind=services.KIND,
            title="Publish",
            purpose="Publish.",
            window=datetime.timedelta(hours=72),
            closes_at=NOW,
            status=Proposal.Status.ADOPTED,
            decided_at=NOW,
        )
        content = copy.deepcopy(w.noord_q1.content)
        content.update(team=team.pk, team_name=team.name)
        Snapshot.objects.create(
            team=team,
            period="2026-Q1",
            last_day=datetime.date(2026, 3, 31),
            status=Snapshot.Status.PUBLISHED,
            version=1,
            method_version=w.noord_q1.method_version,
            content=content,
            content_hash=content_hash(content),
            prepared_by=w.ana,
            published_at=NOW,
            decision=decision,
        )


def queries(person, path: str) -> int:
    b = browser(person)
    b.get(path)  # the session is read once before counting
    with CaptureQueriesContext(connection) as captured:
        assert b.get(path).status_code == 200
    return len(captured)


@pytest.mark.parametrize("path", ["/quality/", "/quality/export.csv", "/quality/?period=2026-Q1"])
def test_the_portal_home_reads_in_constant_queries_as_teams_grow(world, path):
    small = queries(world.inspector, path)
    more_teams(world, 6)
    assert Snapshot.objects.published().count() == 8
    large = queries(world.inspector, path)
    assert large == small
    text = browser(world.inspector).get("/quality/").content.decode()
    assert "Team 05" in text


def test_the_team_page_reads_in_constant_queries_as_versions_grow(world):
    small = queries(world.inspector, "/quality/teams/noord/")
    with time_machine.travel(NOW, tick=False):
        for extra in ("2026-03-30", "2026-03-31"):
            done(world.clients[2], extra, world.ana)
            published(world)
    assert Snapshot.objects.published().filter(team=world.noord).count() == 3
    assert queries(world.inspector, "/quality/teams/noord/") == small
