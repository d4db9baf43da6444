"""Replay a recorded LLM run with other rules for the model's choice (issue 16, method 4).

The model's reply depends only on the prompt (the record's numbered facts and the question), not on
what the kiosk does with it, so the rules applied to a reply (``LlamaAnswerer.top_k``: the model
chooses among the evidence ranker's k best facts; ``evidence_first``: the model's picks are added
to the evidence answer's) can be compared on the SAME replies: this reads
the per-question results of ``bench_facts.py --json`` (an LLM run), replays each recorded reply
through the real ``Knowledge.ask`` with a stand-in child, and reports per ``--top-k`` the asked fact
spoken (strict) and chosen. A question the model did not answer in time is replayed as a time-out.
On a loaded machine time-outs dominate a live run; the replay measures the rule, not the speed.

    .venv/bin/python bench/bench_facts.py --questions Q.jsonl --llm-top-k 0 --json /tmp/run.json
    .venv/bin/python bench/llm_replay.py /tmp/run.json --questions Q.jsonl --rules 0:0 3:1
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)

from bench.bench_facts import RECORDS, load_rows, run_questions


class ReplayChild:
    """``LlmClient`` that answers each question with its recorded reply ("" = no reply in time)."""

    def __init__(self, replies: dict[str, str], clock: list[float]) -> None:
        self.replies = replies
        self.clock = clock
        self._rid = 0
        self._steps: list[dict[str, Any]] = []
        self.ready = self.alive = True

    def start(self) -> None: ...
    def wait_ready(self, timeout: float) -> bool:
        return True

    def send(self, msg: dict[str, Any]) -> int:
        self._rid += 1
        reply = self.replies.get(str(msg.get("question", "")), "")
        self._steps = [{"op": "token", "text": reply}, {"op": "done", "timings": {}}] if reply else []
        return self._rid

    def next_message(self, rid: int, timeout: float) -> dict[str, Any] | None:
        if not self._steps:
            self.clock[0] += timeout  # a time-out, without waiting for it
            return None
        return {**self._steps.pop(0), "id": rid}

    def cancel(self, rid: int) -> None: ...
    def close(self, timeout: float = 3.0) -> None: ...
    def silent_for(self) -> float:
        return 0.0


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("run", type=Path, help="bench_facts.py --json output of an LLM run")
    ap.add_argument("--questions", type=Path, required=True, help="the run's questions (JSONL)")
    ap.add_argument("--answerer", default="", help="which LLM result in the run (default: the first llm*)")
    ap.add_argument("--rules", nargs="+", default=["0:0", "3:1"],
                    help="TOP_K:EVIDENCE_FIRST pairs (0:0 = any fact, the model's merge; 3:1 = method 4)")
    args = ap.parse_args(argv)

    from bench.llm_pipeline import kiosk_bundle
    from kiosk_app.core.settings import Settings, UiSettings
    from knowledge.answer import EvidenceAnswerer
    from knowledge.answer.semantic import E5FactScorer
    from knowledge.bundle.schema import load_records_dir
    from knowledge.llm.answerer import LlamaAnswerer
    from knowledge.service import Knowledge

    run = json.loads(args.run.read_text(encoding="utf-8"))["results"]
    name = args.answerer or next(k for k in run if k.startswith("llm"))
    replies = {r["text"]: r["llm_reply"] for r in run[name] if r["reason"] != "llm-timeout"}
    rows = [r for r in load_rows(args.questions) if r.get("lang", "vi") == "vi"]
    records = load_records_dir(RECORDS)
    work = Path(tempfile.gettempdir()) / "kiosk-llm-replay"
    bundle = kiosk_bundle(work / "bundle", records)
    settings = Settings(data_dir=work / "data", ui=UiSettings(fullscreen=False))
    scorer = E5FactScorer()
    clock = [0.0]
    ans = LlamaAnswerer(ReplayChild(replies, clock), evidence=EvidenceAnswerer(semantic=scorer),
                        model_key="replay", bundle_dir=bundle, records=records, clock=lambda: clock[0])
    out: dict[str, Any] = {"run": str(args.run), "answerer": name, "replies": len(replies),
                           "questions": len(rows)}
    with Knowledge.open(bundle, settings, answerer=ans) as kn:
        scorer.wait()
        for rule in args.rules:
            k, first = rule.split(":")
            ans.top_k, ans.evidence_first = int(k), first == "1"
            res = run_questions(kn, rows, lambda _m: None)
            out[f"top_k={k} evidence_first={first}"] = {"spoken": sum(r["spoken_ok"] for r in res),
                                 "chosen": sum(r["chosen_ok"] for r in res),
                                 "who": dict(Counter(f"{r['answerer']}:{r['reason']}" for r in res))}
    print(json.dumps(out, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
