"""Rules of the house (DESIGN.md) that a linter cannot see."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from pathlib import Path

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
# Converted to the adapter with the decision kinds (issue 17): remove when they are.
NOT_YET_ADAPTED = {"proposals.py", "raising.py"}


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
        if rel.name not in NOT_YET_ADAPTED
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
