"""The import contract in pyproject.toml: core <- people <- features <- overviews, and features that
do not import each other. It runs on the real code, and on a copy with one forbidden import added,
to prove it can fail."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(project: Path) -> subprocess.CompletedProcess:
    # PYTHONPATH first, so the copy under test is the `kiosk` that is analysed, not the installed one.
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=project, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(project)}, timeout=120)


def test_the_code_keeps_the_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


@pytest.fixture
def copy(tmp_path) -> Path:
    """The package and its contract, copied, so a test can add an import the contract forbids."""
    shutil.copytree(ROOT / "kiosk", tmp_path / "kiosk", ignore=shutil.ignore_patterns(
        "static", "translations", "templates", "migrations", "__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize("module, forbidden", [
    ("core/text.py", "kiosk.swap.shelf"),  # the core importing a feature
    ("core/web.py", "kiosk.people.keepers"),  # the core importing people
    ("people/volunteers.py", "kiosk.checkin.attendance"),  # people importing a feature
    ("swap/shelf.py", "kiosk.suggest.box"),  # one feature importing another
    ("checkin/attendance.py", "kiosk.today.report"),  # a feature importing an overview
])
def test_a_forbidden_import_breaks_the_contract(copy, module, forbidden):
    path = copy / "kiosk" / module
    path.write_text(path.read_text() + f"\n\nimport {forbidden}  # noqa: E402,F401\n")
    result = lint(copy)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout and forbidden in result.stdout
