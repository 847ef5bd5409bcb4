"""Project hygiene: the README's test command is what CI runs, and the code is ruff clean."""

from __future__ import annotations

import shutil
import subprocess
import sys

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
