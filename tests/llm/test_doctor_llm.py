"""``kiosk doctor`` says which answerer the kiosk will use and why (issue 16).

``probe_llm`` is driven with fake children at the process boundary: a model that never finishes
loading (hung), a child that dies (crashed), one that reports the file cannot be loaded (damaged),
one that loads but never answers (hung), one that never finishes (slow), and a healthy one.
"""

from __future__ import annotations

import importlib.util
import json
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

import pytest

from kiosk_app.core.settings import Settings
from kiosk_app.ops.doctor import Level, check_llm
from knowledge.llm import setup as llm_setup
from knowledge.llm.setup import probe_llm


@pytest.fixture
def provisioned(tmp_path: Path) -> Settings:
    """A kiosk with a (fake) GGUF provisioned as llm-vi: never loaded, the children are fakes."""
    folder = tmp_path / "models" / "llm-vi"
    folder.mkdir(parents=True)
    gguf = folder / "model.gguf"
    gguf.write_bytes(b"GGUF" + b"\x00" * 64)
    (folder / "model.json").write_text(json.dumps({"files": {"model.gguf": {"size": gguf.stat().st_size,
                                                                           "sha256": "0" * 64}}}))
    return Settings(data_dir=tmp_path, answer={"answerer": "auto", "llm_model": "llm-vi"})


class FakeChild:
    def __init__(self, config: Any, *, loads: bool = True, alive: bool = True, error: str = "",
                 answer: dict[str, Any] | None = None) -> None:
        self.config, self.loads, self.alive, self.error, self.answer = config, loads, alive, error, answer
        self.closed = False

    def start(self) -> None: ...

    def wait_ready(self, timeout: float) -> bool:
        return self.loads

    def send(self, msg: dict[str, Any]) -> int:
        assert "grammar" in msg  # the probe asks the way the kiosk asks
        return 1

    def next_message(self, rid: int, timeout: float) -> dict[str, Any] | None:
        return None if self.answer is None else {**self.answer, "id": rid}

    def close(self, timeout: float = 3.0) -> None:
        self.closed = True


@pytest.fixture
def llama_cpp_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    """The probe first checks that llama-cpp-python is installed; the children here are fakes, so these
    tests run (and mean the same) where it is not."""
    real = importlib.util.find_spec

    def find_spec(name: str, package: str | None = None) -> ModuleSpec | None:
        return ModuleSpec("llama_cpp", None) if name == "llama_cpp" else real(name, package)

    monkeypatch.setattr(importlib.util, "find_spec", find_spec)


@pytest.mark.usefixtures("llama_cpp_installed")
@pytest.mark.parametrize(("child", "state"), [
    ({"answer": {"op": "done", "stop": "eog"}}, "ok"),
    ({"loads": False, "error": "model still loading"}, "hung"),  # alive, silent while loading
    ({"loads": False, "alive": False, "error": "LLM child exited with code -11"}, "crashed"),
    ({"loads": False, "alive": False, "error": "ValueError: Failed to load model from file"}, "damaged"),
    ({"answer": None}, "hung"),  # loaded, never answers
    ({"answer": {"op": "token", "text": "1"}}, "slow"),  # answers, never finishes in time
    ({"answer": {"op": "error", "fatal": True, "message": "exited with code -9"}}, "crashed"),
])
def test_probe_says_what_is_wrong(provisioned: Settings, child: dict[str, Any], state: str) -> None:
    made: list[FakeChild] = []

    def factory(config: Any) -> FakeChild:
        made.append(FakeChild(config, **child))
        return made[-1]

    got, detail = probe_llm(provisioned, load_timeout_s=0.1, answer_timeout_s=0.2, child_factory=factory)
    assert got == state, detail
    assert "model.gguf" in detail and made[0].closed  # the probe never leaves a child behind


def test_missing_model(tmp_path: Path) -> None:
    s = Settings(data_dir=tmp_path, answer={"answerer": "auto", "llm_model": "llm-vi"})
    state, detail = probe_llm(s)
    assert state == "missing" and ("llm-vi" in detail or "llama-cpp-python" in detail)


@pytest.mark.parametrize(("kind", "state", "level", "words"), [
    ("auto", "missing", Level.OK, "evidence answerer answers"),
    ("llm", "missing", Level.FAIL, "LLM missing"),
    ("auto", "hung", Level.WARN, "LLM hung"),
    ("llm", "crashed", Level.FAIL, "LLM crashed"),
    ("auto", "damaged", Level.WARN, "LLM damaged"),
    ("auto", "ok", Level.OK, "the LLM chooses the facts"),
])
def test_doctor_check_levels(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str, state: str,
                             level: Level, words: str) -> None:
    monkeypatch.setattr(llm_setup, "probe_llm", lambda s: (state, "detail"))
    res = check_llm(Settings(data_dir=tmp_path, answer={"answerer": kind}))
    assert res.level is level and words in res.detail
    assert res.level is Level.OK or res.fix


def test_doctor_without_llm_configured(tmp_path: Path) -> None:
    res = check_llm(Settings(data_dir=tmp_path, answer={"answerer": "evidence"}))
    assert res.level is Level.OK and "no local LLM" in res.detail
