"""Project hygiene: the README's test command is what CI runs, the code is ruff clean, and a
test run leaves `git status` as it found it (its own folders outside the project, what it
writes inside the project ignored by git, nothing real ignored)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT

TEST_COMMAND = 'python3 -m pip install -e ".[test]" && python3 -m pytest'


def test_readme_test_command_is_what_ci_runs():
    assert TEST_COMMAND in (ROOT / "README.md").read_text(encoding="utf-8")
    assert TEST_COMMAND in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


@pytest.mark.skipif(shutil.which("ruff") is None and sys.platform != "linux", reason="ruff not installed")
def test_ruff_clean():
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "assistant", "tests", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_cli_answer_prints_no_library_warnings(built):
    """What the user sees on stderr is ours: no deprecation notices from the libraries
    (jieba and milvus-lite read pkg_resources, which the pinned setuptools still has)."""
    settings, _ = built
    result = subprocess.run(
        [sys.executable, "-m", "assistant", "ask", "--corpus", str(settings.corpus_dir),
         "--index", str(settings.index_dir), "-q", "遂宁2022年为多少农村妇女开展两癌筛查"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0 and "1.82万" in result.stdout, result.stderr
    assert "Warning" not in result.stderr, result.stderr


def test_the_tests_own_folders_are_outside_the_project(built, workspace):
    for settings in (built[0], workspace):
        for path in (settings.corpus_dir, settings.index_dir, settings.users_file):
            assert not path.resolve().is_relative_to(ROOT), path
    # what a CLI run in a test reads as accounts (Settings.from_env)
    assert not Path(os.environ["POLICYQA_USERS_FILE"]).resolve().is_relative_to(ROOT)


# Written inside the project by a test run: screenshots (tests/test_app.py), bytecode, pytest's
# and ruff's caches. Tracked files the ignore rules must not hide.
WRITTEN_BY_TESTS = ["build/screenshots/ask.png", "tests/__pycache__/conftest.pyc", ".pytest_cache/v", ".ruff_cache/x"]
REAL_FILES = ["docs/screenshots/ask.png", "corpus/manifest.json", "index/README.md", "eval/reports/gold.md"]


def _ignored(paths: list[str]) -> set[str]:
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *paths], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode in (0, 1), result.stderr
    return set(result.stdout.split())


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(), reason="not a git checkout")
def test_what_the_tests_write_is_ignored_and_nothing_real_is():
    from .test_app import SHOTS

    written = WRITTEN_BY_TESTS
    if not os.environ.get("POLICYQA_SCREENSHOTS_DIR"):  # benchmarks/screenshots.sh refreshes docs/ on purpose
        written = [*written, (SHOTS / "ask.png").relative_to(ROOT).as_posix()]
    assert _ignored(written) == set(written)
    assert _ignored(REAL_FILES) == set()
