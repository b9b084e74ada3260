"""Rules of the house (DESIGN.md) that a linter cannot see."""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.test import Client

from teams import decisions

ROOT = Path(__file__).resolve().parents[1]
APPS = ["teams", "care", "coordination", "frontend"]


def python_files():
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            if "migrations" not in path.parts:
                yield path


def test_only_services_publish_events():
    offenders = []
    for path in python_files():
        rel = path.relative_to(ROOT)
        if rel.parts[:2] == ("coordination", "events"):
            continue  # the log itself
        is_service = path.stem == "services" or "services" in rel.parts
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name in {"publish", "notify_access_changed"} and not is_service:
                    offenders.append(f"{rel}:{node.lineno}")
    assert offenders == []


def test_no_product_flow_needs_a_superuser_or_staff_flag():
    offenders = []
    for path in python_files():
        if path.name == "admin.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in {"is_superuser", "is_staff"}:
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} reads {node.attr}")
    assert offenders == []


def test_find_python_names_the_version_when_none_is_found(tmp_path):
    # A PATH with the shell tools the script uses and no Python at all.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("ls", "sort"):
        (bin_dir / tool).symlink_to(shutil.which(tool))
    result = subprocess.run(
        [shutil.which("bash"), str(ROOT / "tools" / "find-python")],
        env={"PATH": str(bin_dir), "HOME": str(tmp_path), "PYENV_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "Python 3.12 or newer" in result.stderr


def test_find_python_finds_one_here():
    result = subprocess.run(
        ["bash", str(ROOT / "tools" / "find-python")],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    version = subprocess.run(
        [result.stdout.strip(), "-c", "import sys; print(sys.version_info[:2] >= (3, 12))"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert version.stdout.strip() == "True"


def test_browser_tests_poll_only_functions():
    """Playwright polls a bare-expression predicate by evaluating it as a string in
    the page, which Kith's Content-Security-Policy (no 'unsafe-eval') refuses; such a
    wait passes only when its condition already holds at the first check."""
    offenders = []
    for path in (ROOT / "tests" / "frontend" / "browser").rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "attr", None) == "wait_for_function"
                and node.args
                and not (
                    isinstance(node.args[0], ast.Constant)
                    and str(node.args[0].value).lstrip().startswith(("() =>", "function"))
                )
            ):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offenders == []


# The page adapter (frontend/writes.py) is the one place that turns a service's
# exceptions into what a page says; pages read through selectors, never the ORM.
DOMAIN_EXCEPTIONS = {"ValidationError", "PermissionDenied", "Conflict", "ClientDataWarning"}


def _views():
    for path in sorted((ROOT / "frontend" / "views").rglob("*.py")):
        yield path.relative_to(ROOT), ast.parse(path.read_text())


def _caught(handler: ast.ExceptHandler) -> set[str]:
    kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return {getattr(k, "id", None) or getattr(k, "attr", None) for k in kinds if k is not None}


def test_pages_never_catch_domain_exceptions_themselves():
    offenders = [
        f"{rel}:{node.lineno}"
        for rel, tree in _views()
        for node in ast.walk(tree)
        if isinstance(node, ast.ExceptHandler) and _caught(node) & DOMAIN_EXCEPTIONS
    ]
    assert offenders == [], "answer through frontend.writes.perform instead"


def test_pages_read_through_selectors_not_the_orm():
    offenders = [
        f"{rel}:{node.lineno}"
        for rel, tree in _views()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "objects"
    ]
    assert offenders == [], "read through the app's selectors"


def test_the_rules_above_see_what_they_forbid():
    """The two checks find a caught ValidationError and an ORM read (so they can fail)."""
    tree = ast.parse(
        "try:\n    x = Visit.objects.get(pk=1)\nexcept (KeyError, ValidationError):\n    pass\n"
    )
    handlers = [n for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler)]
    assert _caught(handlers[0]) & DOMAIN_EXCEPTIONS == {"ValidationError"}
    assert any(isinstance(n, ast.Attribute) and n.attr == "objects" for n in ast.walk(tree))


# Decision kinds carry their fields and their summary (teams.decisions); the pages
# render every kind from the registry and never switch on a kind's key. A link may
# name a kind (``?kind=team_split``): that chooses a form, it decides nothing.


def _strings(node: ast.AST) -> list[str]:
    """The string constants an operand is, or holds (``key in {"a", "b"}``)."""
    items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else [node]
    return [i.value for i in items if isinstance(i, ast.Constant) and isinstance(i.value, str)]


def _kind_switches(tree: ast.AST, keys: set[str]) -> list[int]:
    """Lines that compare something with a kind's key, or hold a table by kind."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare):
            named = [s for side in [node.left, *node.comparators] for s in _strings(side)]
            if set(named) & keys:
                found.append(node.lineno)
        elif isinstance(node, ast.Dict):
            named = [s for key in node.keys if key is not None for s in _strings(key)]
            if len(set(named) & keys) >= 2:
                found.append(node.lineno)
    return sorted(found)


TEMPLATE_SWITCH = re.compile(r"""(==|!=|\bin)\s*["']([a-z_]+)["']""")


def test_pages_never_switch_on_a_decision_kind():
    keys = {kind.key for kind in decisions.all_kinds()}
    assert {"general", "team_split", "quality_publication"} <= keys
    offenders = [
        f"{path.relative_to(ROOT)}:{line}"
        for path in sorted((ROOT / "frontend").rglob("*.py"))
        for line in _kind_switches(ast.parse(path.read_text()), keys)
    ]
    for path in sorted((ROOT / "frontend" / "templates").rglob("*.html")):
        for n, text in enumerate(path.read_text().splitlines(), 1):
            if any(m.group(2) in keys for m in TEMPLATE_SWITCH.finditer(text)):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == [], "declare it on the kind (teams.decisions) and render that"


def test_the_kind_rule_sees_the_old_switches():
    """What the pages did before the kinds carried their fields is found."""
    keys = {"general", "admit_member", "role_handover", "team_split"}
    old = (
        'if kind == "admit_member":\n    fields = []\n'
        'roles = load() if key in {"role_handover", "team_split"} else None\n'
        'FIELDS = {"general": (), "admit_member": ("person",)}\n'
        'errors = {"general": [], "other": []}\n'
    )
    assert _kind_switches(ast.parse(old), keys) == [1, 3, 4]
    assert TEMPLATE_SWITCH.search('{% if proposal.kind == "team_split" %}')
    assert not TEMPLATE_SWITCH.search('<a href="?kind=team_split">')


PROBE = decisions.DecisionKind(
    "house_rule_probe",
    "A probe of the house rules",
    "A kind no page knows by name.",
    lambda team, payload: payload,
    lambda proposal: {},
    fields=[
        decisions.Field("words", "Some words", help="Typed."),
        decisions.Field("story", "A story", decisions.LONG_TEXT, lines=5),
        decisions.Field("when", "A day", decisions.DATE),
        decisions.Field("address", "An address", decisions.EMAIL, max_length=99),
        decisions.Field("count", "A count", decisions.NUMBER),
        decisions.Field("pick", "A pick", decisions.CHOICE, choices=lambda team: [("a", "Aa")]),
        decisions.Field("who", "Someone", decisions.PERSON, choices=lambda team: [("7", "Sam")]),
        decisions.Field("many", "People", decisions.PEOPLE, choices=lambda team: [("8", "Kim")]),
        decisions.Field("fates", "Each role", decisions.ROLE_FATES, choices=lambda t: [("x", "X")]),
    ],
)


@pytest.mark.django_db
def test_every_decision_kind_renders_its_declared_fields(personas, monkeypatch):
    """Each registered kind's fields are on its raise page, in the declared order; so
    are those of a kind registered now, which no page names."""
    monkeypatch.setitem(decisions._KINDS, PROBE.key, PROBE)
    browser = Client()
    browser.force_login(personas.ana)
    for kind in decisions.all_kinds():
        response = browser.get(f"/teams/noord/proposals/new/?kind={kind.key}")
        assert response.status_code == 200, kind.key
        html = response.content.decode()
        at = [html.find(f'id="f-{f.name.replace("_", "-")}"') for f in kind.form_fields()]
        assert -1 not in at and at == sorted(at), kind.key
        for f in kind.form_fields():
            assert f.label.replace("'", "&#x27;") in html, (kind.key, f.name)
    html = browser.get("/teams/noord/proposals/new/?kind=house_rule_probe").content.decode()
    assert '<textarea id="f-story" name="story" rows="5"' in html
    assert 'type="email" value="" autocomplete="off" autocapitalize="none" maxlength="99"' in html
    assert '<option value="7">Sam</option>' in html and 'name="many" value="8"' in html
    assert 'name="fates.planner"' in html and 'type="number"' in html
