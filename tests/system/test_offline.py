"""Offline guarantee (issue 8): the whole pipeline — bundle activation and indexing, speech
recognition, retrieval, answer, speech synthesis — runs with the network cut off and makes zero
connection attempts, seen both from Python (audit hook) and at syscall level (strace, native code)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.needs import missing, strict

REPO = Path(__file__).resolve().parents[2]
CHILD = Path(__file__).with_name("offline_child.py")
INET = re.compile(r"sa_family=AF_INET6?\b")


@pytest.mark.engine
@pytest.mark.slow
def test_whole_pipeline_makes_no_network_attempt(tmp_path: Path, vieneu_wav: Path) -> None:
    trace = tmp_path / "trace.txt"
    cmd = [sys.executable, str(CHILD), str(tmp_path / "data"), str(vieneu_wav)]
    if shutil.which("strace") is None and strict():  # elsewhere the Python-level half still runs
        missing("strace is not installed (the syscall-level half of this test)")
    if shutil.which("strace"):
        cmd = ["strace", "-f", "-qq", "--seccomp-bpf", "-e", "trace=connect,sendto,sendmsg,bind",
               "-o", str(trace), *cmd]
    if subprocess.run(["unshare", "-rn", "true"], capture_output=True).returncode == 0:
        cmd = ["unshare", "-rn", *cmd]  # no network interface at all: anything that needs one fails
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "0"}  # nothing may rely on offline flags
    env.pop("ANONYMIZED_TELEMETRY", None)  # the product must turn Chroma telemetry off itself
    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=600, cwd=REPO)
    assert res.returncode == 0, res.stderr[-3000:]
    out = json.loads(res.stdout.strip().splitlines()[-1])
    assert out["attempts"] == []
    if shutil.which("strace"):
        inet = [line for line in trace.read_text().splitlines() if INET.search(line)]
        assert inet == [], inet[:5]
    # and it really worked: a spoken question went through, a typed one was answered, audio was made
    core = [e for e in out["events"] if e not in ("audio-level", "partial-transcript")]
    one_answer = ["thinking", "answer-ready", "speaking", "speaking-finished", "idle"]
    assert core == ["listening", "speech-ended", "transcribed", *one_answer, "transcribed", *one_answer]
    assert "partial-transcript" in out["events"]
    assert out["voice_answer"] == "refer"  # the recording is not a question about a procedure
    assert out["text_procedure"] == "khai-sinh"
    assert out["played_bytes"] > 10_000
