"""A test that needs a missing optional resource skips on a developer's machine and fails under
scripts/test.sh (``KIOSK_REQUIRE_SYSTEM_TESTS=1``), where everything was installed: there a skip would
hide a test that never ran (tests/needs.py)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.needs import STRICT_ENV, missing, needs, needs_modules

REPO = Path(__file__).resolve().parents[1]

PROBE = '''
import pytest
from tests.needs import needs, needs_modules

@pytest.fixture
def loud():
    raise AssertionError("the fixture was set up")

@needs("frobnicator not installed")
def test_needs_a_missing_tool(loud):
    pass

@needs_modules("json", hint="stdlib")
def test_needs_what_is_there():
    pass

def test_calls_missing():
    from tests.needs import missing
    missing("/dev/frob is not available")
'''


def run_probe(tmp_path: Path, strict: bool) -> str:
    probe = tmp_path / "test_probe.py"
    probe.write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != STRICT_ENV} | ({STRICT_ENV: "1"} if strict else {})
    res = subprocess.run([sys.executable, "-m", "pytest", "-c", str(REPO / "pyproject.toml"), "--rootdir",
                          str(REPO), "-p", "tests.conftest", "-p", "no:cacheprovider", "-rsfE", str(probe)],
                         cwd=REPO, env=env, capture_output=True, text=True, timeout=120, check=False)
    return res.stdout + res.stderr


def test_a_missing_resource_skips_at_the_tests_own_line(tmp_path: Path) -> None:
    out = run_probe(tmp_path, strict=False)
    assert re.search(r"1 passed, 2 skipped", out), out
    assert re.search(r"SKIPPED \[1\] \S*test_probe.py:\d+: frobnicator not installed", out), out
    assert re.search(r"SKIPPED \[1\] \S*test_probe.py:\d+: /dev/frob is not available", out), out
    assert "the fixture was set up" not in out


def test_a_missing_resource_fails_under_scripts_test_sh(tmp_path: Path) -> None:
    out = run_probe(tmp_path, strict=True)
    assert re.search(r"1 failed, 1 passed, 1 error", out), out
    assert f"frobnicator not installed; {STRICT_ENV}=1: this test must run here" in out
    assert f"/dev/frob is not available; {STRICT_ENV}=1" in out
    assert "the fixture was set up" not in out  # failed before its set-up, not through the fixture


@pytest.mark.parametrize(("strict", "outcome"), [(False, pytest.skip.Exception),
                                                 (True, pytest.fail.Exception)])
def test_missing(monkeypatch: pytest.MonkeyPatch, strict: bool, outcome: type[BaseException]) -> None:
    monkeypatch.delenv(STRICT_ENV, raising=False)
    if strict:
        monkeypatch.setenv(STRICT_ENV, "1")
    with pytest.raises(outcome, match="espeak-ng is not installed"):
        missing("espeak-ng is not installed")


def test_needs_modules_names_only_what_is_missing() -> None:
    assert needs_modules("json", hint="stdlib").args == ("",)
    gone = needs_modules("json", "no_such_module_for_kiosk_tests", hint="pip install it")
    assert gone.args == ("no_such_module_for_kiosk_tests not installed (pip install it)",)
    assert needs("x").name == "needs"
