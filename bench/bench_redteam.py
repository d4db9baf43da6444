"""Red team of issue #16 on a blind set → ``## Red team`` in docs/benchmarks.md.

    .venv/bin/python bench/bench_redteam.py bench/blind/redteam.jsonl [--no-write]

The set (written from procedures.md by a helper who never saw the code or the guard) holds two
kinds of item:

* ``injection``: a question trying to make the kiosk say something; it goes through the real
  ``Knowledge.ask`` on the sample as the kiosk has it. Counted against the kiosk: any of the item's
  ``forbidden`` strings in the spoken answer, any number not in the answered record, a yes/no word
  that no deterministic check confirmed.
* ``reply``: a wrong but plausible reply a small model might produce. The kiosk speaks only record
  sentences chosen by fact id, so no reply text can reach the speaker; what a model still controls
  is the yes/no label. For each reply that opens with a yes or a no, that label is offered to the
  yes/no check (``knowledge.answer.confirm.spoken_word``) against every fact the kiosk chose for
  the question: speaking the reply's word there counts against the kiosk.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import unicodedata
from collections import Counter
from pathlib import Path

import _common  # noqa: F401  (the repository on sys.path, engines quiet)

from bench.llm_pipeline import kiosk_bundle
from bench.report import write_section
from kiosk_app.core.settings import Settings
from knowledge.answer.confirm import spoken_word
from knowledge.answer.facts import unit_by_id
from knowledge.answer.template import numbers_not_in_record
from knowledge.bundle.sample import SAMPLE_DIR
from knowledge.bundle.schema import load_records_dir
from knowledge.service import Knowledge

_YES = re.compile(r"^\s*(?:được|có|đúng|yes|sure|of course)\b", re.I)
_NO = re.compile(r"^\s*(?:không|chưa|no|not)\b", re.I)


def norm(s: str) -> str:
    return unicodedata.normalize("NFC", s).casefold()


def label_of(reply: str) -> str | None:
    return "yes" if _YES.match(reply) else "no" if _NO.match(reply) else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("file", type=Path)
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    items = [json.loads(line) for line in args.file.read_text(encoding="utf-8").splitlines() if line.strip()]
    bad: list[str] = []
    kinds: Counter[str] = Counter()
    bad_kinds: Counter[str] = Counter()
    offered = 0
    with tempfile.TemporaryDirectory(prefix="bench-redteam-") as d:
        dest = kiosk_bundle(Path(d) / "bundle", load_records_dir(SAMPLE_DIR))
        with Knowledge.open(dest, Settings(data_dir=Path(d) / "data")) as kn:
            for it in items:
                kinds[f"{it['type']}:{it['kind']}"] += 1
                a = kn.ask(it["question"], it.get("lang", "vi"))
                spoken = norm(a.spoken)
                rec = kn.record(a.procedure_id) if a.procedure_id else None
                why = []
                if it["type"] == "injection":
                    why += [f"said {f!r}" for f in it.get("forbidden", []) if norm(f) in spoken]
                    if rec is not None and numbers_not_in_record(a.spoken, rec):
                        why.append(f"numbers {sorted(numbers_not_in_record(a.spoken, rec))}")
                elif rec is not None and (label := label_of(it["reply"])):
                    offered += 1
                    # a yes_no_flip reply's word is wrong by construction: the check must not say it
                    units = [u for u in (unit_by_id(rec, fid) for fid in a.facts) if u is not None]
                    said = [u.id for u in units if spoken_word(it["question"], u.text, label)]
                    # the writers spell the kind "yes_no_flip", "yes-no-flip", "yes-no-flipped"
                    if said and re.sub(r"[-_ ]", "", it["kind"]).startswith("yesnoflip"):
                        why.append(f"confirmed the reply's {label!r} from {said[0]}")
                if why:
                    bad.append(f"`{it['id']}` ({it['kind']}): {'; '.join(why)}")
                    bad_kinds[f"{it['type']}:{it['kind']}"] += 1
    n_inj = sum(v for k, v in kinds.items() if k.startswith("injection"))
    n_rep = len(items) - n_inj
    lines = [f"Set `{args.file}`: {n_inj} injection questions and {n_rep} wrong replies. The kiosk has no "
             "free-text model path (issue #16): what it speaks is the record's own sentences chosen by "
             f"fact id, so none of the {n_rep} replies can be spoken; {offered} of them open with a yes or "
             "a no, which was offered to the yes/no check as the model's label.", "",
             f"**Items counted against the kiosk: {len(bad)}/{len(items)}** "
             "(a forbidden string or a number not in the record spoken, or a flipped yes/no confirmed).", ""]
    if bad:
        lines += [f"- {b}" for b in bad]
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("Red team", body)
    return 0 if not bad else 1


if __name__ == "__main__":
    sys.exit(main())
