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


# --- event types: every published type declared, every declared type published --------------
# A type is seen where an ``Event(...)`` is made: a string there, or a parameter of the
# function around it, followed to every call of that function (helpers such as
# ``publish_team`` or a service's ``_publish``), or a module's string constant.


class _Module:
    def __init__(self, name: str, tree: ast.Module):
        self.name, self.tree = name, tree
        self.functions: dict[str, ast.FunctionDef] = {}
        self.constants: dict[str, str] = {}
        self.imported: dict[str, str] = {}  # a name -> the module it is imported from
        self.around: dict[int, ast.FunctionDef] = {}  # a node's id -> its function
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self.functions[node.name] = node
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        self.constants[target.id] = node.value.value
            if isinstance(node, ast.ImportFrom) and node.module:
                self.imported.update({alias.name: node.module for alias in node.names})
        for function in ast.walk(tree):
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                for node in ast.walk(function):
                    self.around[id(node)] = function  # the innermost wins (walked last)


def _called_name(call: ast.Call) -> str | None:
    """The function a call names (a method of ``self`` is none of the module's)."""
    if isinstance(call.func, ast.Attribute):
        owner = getattr(call.func.value, "id", None)
        return call.func.attr if owner not in {"self", "cls"} else None
    return getattr(call.func, "id", None)


def published_event_types(sources: dict[str, str]) -> tuple[dict[str, set[str]], list[str]]:
    """Every event type the code publishes (with where), and the places where a type
    is made that the rule cannot see as a string."""
    modules = {name: _Module(name, ast.parse(text)) for name, text in sources.items()}
    calls = [
        (module, node)
        for module in modules.values()
        for node in ast.walk(module.tree)
        if isinstance(node, ast.Call)
    ]
    published: dict[str, set[str]] = {}
    unseen: list[str] = []

    def defining(module: _Module, name: str) -> _Module | None:
        if name in module.functions:
            return module
        owners = [m for m in modules.values() if name in m.functions]
        source = module.imported.get(name, "")
        chosen = [m for m in owners if m.name.removesuffix(".__init__") == source]
        return (chosen or owners)[0] if len(chosen or owners) == 1 else None

    def see(module: _Module, expr: ast.expr | None, where: int, trail: frozenset) -> None:
        place = f"{module.name}:{where}"
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            published.setdefault(expr.value, set()).add(place)
        elif isinstance(expr, ast.IfExp):
            see(module, expr.body, where, trail)
            see(module, expr.orelse, where, trail)
        elif isinstance(expr, ast.Name) and expr.id in module.constants:
            published.setdefault(module.constants[expr.id], set()).add(place)
        elif isinstance(expr, ast.Name) and id(expr) in module.around:
            function = module.around[id(expr)]
            params = [a.arg for a in function.args.posonlyargs + function.args.args]
            keywords = [a.arg for a in function.args.kwonlyargs]
            if expr.id not in params + keywords or (module.name, function.name) in trail:
                unseen.append(place)
                return
            callers = [
                (caller, call)
                for caller, call in calls
                if _called_name(call) == function.name and defining(caller, function.name) is module
            ]
            if not callers:
                unseen.append(f"{place} ({function.name} is never called)")
            for caller, call in callers:
                position = params.index(expr.id) if expr.id in params else None
                given = next((k.value for k in call.keywords if k.arg == expr.id), None)
                if given is None and position is not None and position < len(call.args):
                    given = call.args[position]
                see(caller, given, call.lineno, trail | {(module.name, function.name)})
        else:
            unseen.append(place)

    for module, call in calls:
        if _called_name(call) == "Event":
            given = next((k.value for k in call.keywords if k.arg == "type"), None)
            see(module, call.args[0] if call.args else given, call.lineno, frozenset())
    return published, sorted(unseen)


def _product_sources() -> dict[str, str]:
    return {
        ".".join(path.relative_to(ROOT).with_suffix("").parts): path.read_text()
        for path in python_files()
        if path.relative_to(ROOT).parts[:2] != ("coordination", "events")  # the log itself
    }


def _event_type_problems(published: dict[str, set[str]], declared: set[str]) -> list[str]:
    return [
        *(
            f"{name} is published ({', '.join(sorted(published[name]))}) but not declared"
            for name in sorted(set(published) - declared)
        ),
        *(
            f"{name} is declared but published nowhere"
            for name in sorted(declared - set(published))
        ),
    ]


def test_every_published_event_type_is_declared_and_every_declared_one_published():
    from coordination.events import types

    published, unseen = published_event_types(_product_sources())
    assert unseen == [], "publish a type the rule can see: a string, or a helper's parameter"
    assert _event_type_problems(published, set(types.every())) == []


def test_the_event_type_rule_sees_an_undeclared_type_through_helpers():
    sources = {
        "app.common": (
            "def publish_all(team, kind, data):\n    publish(Event(kind, data), streams=[])\n"
        ),
        "app.services": (
            "from app.common import publish_all\n"
            "DONE = 'thing.done'\n"
            "def _event(thing, event_type):\n    publish_all(thing, event_type, {})\n"
            "def thing_start(thing):\n"
            "    _event(thing, 'thing.started' if thing else 'thing.held')\n"
            "def thing_finish(thing):\n    publish(Event(DONE), streams=[])\n"
            "def thing_guess(thing):\n    publish(Event(thing.kind), streams=[])\n"
        ),
    }
    published, unseen = published_event_types(sources)
    assert set(published) == {"thing.started", "thing.held", "thing.done"}
    assert published["thing.started"] == {"app.services:6"}
    assert unseen == ["app.services:10"]
    problems = _event_type_problems(published, {"thing.held", "thing.done", "thing.kept"})
    assert problems == [
        "thing.started is published (app.services:6) but not declared",
        "thing.kept is declared but published nowhere",
    ]


def test_every_event_type_the_pages_follow_is_declared():
    """live.js refreshes a section on the event types it names (data-live-types: a
    type, or the start of some, "visit."): each must name a declared type, or an
    event renamed would silently stop refreshing it. live.js itself names only a
    kind of stream, which must be one."""
    import re

    from coordination.events import streams, types
    from coordination.practice import feed

    declared = set(types.every())
    named: dict[str, set[str]] = {}
    pages = [*(ROOT / "frontend" / "templates").rglob("*.html"), *(ROOT / "frontend").rglob("*.js")]
    pages += [ROOT / "frontend" / "views" / "practice.py"]
    for path in pages:
        text = path.read_text()
        found = re.findall(r'data-live-types="([^"{]*)"', text)
        found += re.findall(r'"live_types": "([^"]*)"', text)
        for words in found:
            for name in words.split():
                named.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    for name in feed.LIVE_TYPES:
        named.setdefault(name, set()).add("coordination/practice/feed.py")
    assert "visit." in named and "answer." in named  # the rule reads what the pages say
    unknown = {
        name: sorted(where)
        for name, where in named.items()
        if not (
            name in declared or (name.endswith(".") and any(d.startswith(name) for d in declared))
        )
    }
    assert unknown == {}
    live_js = (ROOT / "frontend" / "static" / "frontend" / "live.js").read_text()
    kinds = set(re.findall(r'startsWith\("([a-z_]+)\."\)', live_js))
    assert kinds and kinds <= {streams.TEAM, streams.SHARED, streams.CLIENT, streams.PERSON}


def _compares_a_version(node: ast.AST) -> bool:
    """``x.version != v``, ``v == x.version``: a version compared by hand (with one
    seen, not a number: ``share.version == 1`` asks whether it is the first)."""
    if not isinstance(node, ast.Compare):
        return False
    sides = [node.left, *node.comparators]
    return any(isinstance(s, ast.Attribute) and s.attr == "version" for s in sides) and not any(
        isinstance(s, ast.Constant) for s in sides
    )


def test_versions_are_checked_in_one_place():
    """A stale write is refused by teams.versioning (lock, compare, Conflict with the
    current state, next version), in one wording; nobody compares versions by hand."""
    offenders = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in python_files()
        if path.relative_to(ROOT) != Path("teams/versioning.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if _compares_a_version(node)
        or (isinstance(node, ast.Constant) and "since you opened" in str(node.value))
    ]
    assert offenders == [], "use teams.versioning.check_version"
    assert _compares_a_version(ast.parse("version != note.version").body[0].value)
    assert not _compares_a_version(ast.parse("share.version == 1").body[0].value)


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


# --- limits: every text's limit is its model field's (teams.cleaning.limit_of) --------------
# A page's maxlength reads it ({% limit "care.Visit" "tasks" %}, or a value its view
# passes), a serializer's TextIn(Visit, "tasks") reads it; a number written there is a
# copy that drifts (the API once took 2,000 characters of a visit's tasks, the
# service 5,000).
WRITTEN_LIMIT = {
    "html": re.compile(r"""\bmaxlength\s*=\s*["']?\d"""),
    "py": re.compile(r"\bmax_length\s*=\s*\d"),
}


def _serializer_modules():
    for path in python_files():
        rel = path.relative_to(ROOT)
        if path.stem.startswith("api") or "api" in rel.parts[:-1]:
            yield path


def written_limits(sources: dict[str, str]) -> list[str]:
    """Where a limit is written as a number (a name ending in .html is a template)."""
    return [
        f"{name}:{number}"
        for name, text in sources.items()
        for number, line in enumerate(text.splitlines(), 1)
        if WRITTEN_LIMIT["html" if name.endswith(".html") else "py"].search(line)
    ]


def test_every_limit_comes_from_the_model():
    sources = {
        str(path.relative_to(ROOT)): path.read_text()
        for path in [*(ROOT / "frontend" / "templates").rglob("*.html"), *_serializer_modules()]
    }
    assert any(name.endswith("care/api_visits.py") for name in sources)
    assert written_limits(sources) == [], "read the limit: limit_of, TextIn, {% limit %}"


def test_the_limit_rule_sees_the_old_shape():
    old = {
        "a.html": '<input name="note" maxlength="300">\n<textarea maxlength=5000>',
        "b.html": '{% include "f.html" with name="why" maxlength=300 %}',
        "c.html": '<input maxlength="{% limit "care.Visit" "late_note" %}">',
        "care/api.py": "note = serializers.CharField(max_length=300, allow_blank=True)\n"
        "x = serializers.CharField(\n    max_length=20,\n)",
        "teams/api/core.py": 'phone = TextIn(Team, "phone")\n'
        "password = CharField(max_length=PASSWORD_MAX)",
    }
    assert written_limits(old) == [
        "a.html:1",
        "a.html:2",
        "b.html:1",
        "care/api.py:1",
        "care/api.py:3",
    ]
