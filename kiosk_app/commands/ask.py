"""``kiosk ask`` and ``kiosk eval``: the knowledge core from the command line (no voice, no screen).

    kiosk ask "làm giấy khai sinh mất bao nhiêu tiền" [--json] [--lang en]
    kiosk ask --jsonl questions.jsonl          # {"id","text"} per line -> one JSON line per question
    kiosk eval bench/eval/vi_part1.jsonl [--split heldout|tune|all] [--json]

The active bundle (``<data_dir>/bundles/current``) is opened once per command; ``--bundle DIR``
uses an unpacked bundle directory instead. Extension points: the voice-in helper adds ``--audio
FILE`` (the question comes from a recording) in ``_add_question_inputs``/``_questions``; the LLM
helper adds ``--answerer``/``--llm`` in ``_add_answer_options``/``_answerer``. ``--json`` and
``--jsonl`` both say which answerer chose the facts, why, the fact ids and ``timings_ms``.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kiosk_app.commands.base import Subparsers, out, out_json
from kiosk_app.core.settings import Settings


def register(subparsers: Subparsers) -> None:
    ask = subparsers.add_parser("ask", help="hỏi một câu (in câu trả lời) / ask one question",
                                description="Answer a question from the active knowledge bundle.")
    ask.add_argument("question", nargs="?", help="the question, in quotes")
    _add_question_inputs(ask)
    _add_answer_options(ask)
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--lang", default="vi", choices=("vi", "en"), help="answer language (default vi)")
    _add_bundle_option(ask)
    ask.set_defaults(run=cmd_ask)

    ev = subparsers.add_parser("eval", help="đánh giá bộ câu hỏi / evaluate a question set",
                               description="Top-1 accuracy on in-scope questions, refusal rate on "
                               "out-of-scope ones, and the confusions.")
    ev.add_argument("files", nargs="+", type=Path, metavar="FILE", help="JSONL question file(s)")
    ev.add_argument("--split", default="heldout", choices=("heldout", "tune", "all"),
                    help="which rows to use (default heldout)")
    ev.add_argument("--json", action="store_true", help="print the report as JSON")
    ev.add_argument("--lang", default="vi", choices=("vi", "en"),
                    help="question language (default vi; en uses the English index, issue 10)")
    _add_bundle_option(ev)
    ev.set_defaults(run=cmd_eval)


def _add_bundle_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--bundle", type=Path, metavar="DIR",
                   help="unpacked bundle directory (default: the active bundle)")


def _add_question_inputs(p: argparse.ArgumentParser) -> None:
    """Where questions come from. (Voice-in adds ``--audio FILE`` here.)"""
    p.add_argument("--jsonl", type=Path, metavar="FILE",
                   help='questions file, one {"id": ..., "text": ...} per line ("-" = stdin)')
    p.add_argument("--audio", type=Path, metavar="FILE.wav",
                   help="the question as a recording (any WAV rate/channels): VAD → ASR → answer")


def _add_answer_options(p: argparse.ArgumentParser) -> None:
    """How answers are composed."""
    p.add_argument("--answerer", choices=("auto", "evidence", "llm", "template"),
                   help="who chooses the record's facts (default: [answer] answerer, auto: the local "
                   "LLM when a model is provisioned, else the evidence answerer)")
    p.add_argument("--llm", action="store_true", help="same as --answerer llm")
    p.add_argument("--llm-model", metavar="NAME",
                   help="model name from models/manifest.toml (default: [answer] llm_model)")
    p.add_argument("--llm-prepare", action="store_true",
                   help="first precompute the LLM prompt state of every record of the bundle (saved "
                   "under <bundle>/llm_state/, as bundle import does when the LLM may answer)")


def _answerer(args: argparse.Namespace, settings: Settings) -> tuple[Any, str]:
    """(answerer, why this one) from ``[answer] answerer`` or ``--answerer``/``--llm``."""
    from kiosk_app.commands.base import err
    from kiosk_app.core.settings import AnswererKind
    from kiosk_app.wiring import build_answerer
    from knowledge.llm.setup import llm_unavailable

    kind = "llm" if getattr(args, "llm", False) else getattr(args, "answerer", None)
    update: dict[str, Any] = {}
    if kind:
        update["answerer"] = AnswererKind(kind)
    if getattr(args, "llm_model", None):
        update["llm_model"] = args.llm_model
    if update:
        settings = settings.model_copy(update={"answer": settings.answer.model_copy(update=update)})
    kind = settings.answer.answerer.value
    why = f"[answer] answerer = {kind}"
    if kind in ("auto", "llm"):
        missing = llm_unavailable(settings)
        if missing:
            why = f"no LLM here ({missing})"
            if kind == "llm":
                err(f"kiosk ask: the LLM cannot run here, the evidence answerer answers: {missing}")
    # Typed questions: the answer never depends on how far the fact embeddings warmed up (a question
    # about a record not embedded yet embeds it first; one question: only that record, --jsonl: the
    # rest warms up meanwhile). --audio measures the kiosk's latency (issue 19), so it answers as the
    # kiosk does: the warm-up runs in the background and never delays an answer.
    if getattr(args, "audio", None) is not None:
        ans = build_answerer(settings)
    else:
        many = getattr(args, "jsonl", None) is not None
        ans = build_answerer(settings, embeddings_first=True, warm_all=many)
    child = getattr(ans, "child", None)
    if child is not None:
        why = f"LLM {settings.answer.llm_model} chooses the facts"
        if not child.wait_ready(120):  # the CLI waits for the model; the kiosk does not
            why = f"the LLM did not load ({getattr(child, 'error', '')})"
            err(f"kiosk ask: {why}")
    return ans, why


def _open(args: argparse.Namespace, settings: Settings, *, answers: bool = True) -> Any:
    """The bundle; ``answers=False`` (``kiosk eval``: decisions only): no LLM, no fact embeddings."""
    from knowledge.service import Knowledge, open_current  # deferred: loads chromadb + E5

    answerer, why = _answerer(args, settings) if answers else (None, "")
    if args.bundle is not None:
        kn = Knowledge.open(args.bundle, settings, answerer=answerer)
    else:
        kn = open_current(settings, answerer=answerer)
    kn.answerer_why = why  # type: ignore[attr-defined]  # printed with every answer
    return kn


def _questions(args: argparse.Namespace) -> Iterator[tuple[Any, str | None, str]]:
    """(id, text or None, error) triples. (Voice-in adds ``--audio`` transcription here.)"""
    if args.jsonl is not None:
        stream = sys.stdin if str(args.jsonl) == "-" else args.jsonl.open(encoding="utf-8")
        try:
            for n, line in enumerate(stream, 1):
                if not line.strip():
                    continue
                try:
                    d = json.loads(line)
                    if not isinstance(d, dict):
                        raise ValueError("not an object")
                except ValueError as err:
                    yield n, None, f"line {n}: not a JSON object ({err})"
                    continue
                text = d.get("text")
                qid = d.get("id", n)
                if not isinstance(text, str):
                    yield qid, None, f"line {n}: missing \"text\""
                    continue
                yield qid, text, ""
        finally:
            if stream is not sys.stdin:
                stream.close()
        return
    yield None, args.question or "", ""


def answer_json(answer: Any, qid: Any = None, *, full: bool = False, why: str = "") -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": qid, "procedure_id": answer.procedure_id, "confidence": answer.confidence,
        "refer_to_staff": answer.refer_to_staff, "aspect": answer.aspect.value, "answer": answer.spoken,
        "sources": list(answer.sources),
        # issue 16: who chose the facts, why, which facts, how long it took
        "answerer": answer.answerer, "why": _why(answer, why), "ask": answer.ask,
        "facts": list(answer.facts), "verdict_word": answer.verdict_word,
        "timings_ms": {k: round(v, 1) for k, v in answer.timings_ms.items()},
    }
    if full:
        d.update(title=answer.title, sentences=list(answer.sentences), hedged=answer.hedged,
                 alternatives=list(answer.alternatives), reason=answer.reason, language=answer.language)
        d.pop("id")
    return d


def _why(answer: Any, configured: str) -> str:
    """Why this answerer chose: the refer reason, the LLM's fallback reason, or the configuration."""
    from knowledge.types import FallbackReason

    if answer.refer_to_staff:
        return f"refer: {answer.reason}"
    if answer.answerer == "llm":
        return f"{configured}; label {answer.reason.partition(':')[2] or '-'}"
    if FallbackReason.of(answer.reason) is not None:
        return f"{configured}; fell back: {answer.reason}"
    return configured


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    heard: dict[str, Any] = {}
    opened: list[Any] = []  # --audio: the knowledge opened once the file was read (issue 19)

    def open_knowledge() -> Any:
        opened.append(_open(args, settings))
        return opened[0]
    if getattr(args, "audio", None) is not None:  # voice in: transcribe first (fails fast, exit 1)
        from kiosk_app.commands.listen import audio_question

        heard = audio_question(args.audio, settings, args.lang, knowledge=open_knowledge)
        args.question = heard["transcript"]
        if heard.get("language") == "en":  # English heard in a Vietnamese session: answer in English
            args.lang = "en"
    if args.jsonl is None and args.question is None:
        from kiosk_app.commands.base import err

        err('kiosk ask: give a question in quotes (kiosk ask "làm giấy khai sinh ở đâu") or --jsonl FILE')
        return 2
    if args.jsonl is not None and str(args.jsonl) != "-" and not args.jsonl.is_file():
        from kiosk_app.commands.base import err

        err(f"kiosk ask: no such file: {args.jsonl}")
        return 2
    kn = opened[0] if opened else _open(args, settings)
    try:
        if getattr(args, "llm_prepare", False) and hasattr(kn.answerer, "prepare"):
            from kiosk_app.commands.base import err as say_err

            stats = kn.answerer.prepare(kn.bundle.records.values())
            say_err(f"kiosk ask: prompt states: {stats['computed']} computed, {stats['cached']} "
                    f"already there, {stats['failed']} failed ({stats['ms'] / 1000:.1f} s, "
                    f"{stats['bytes'] / 1e6:.0f} MB)")
        for qid, text, error in _questions(args):
            if text is None:
                out_json({"id": qid, "error": error})
                continue
            answer = kn.ask(text, language=args.lang)
            why = getattr(kn, "answerer_why", "")
            if args.jsonl is not None:
                out_json(answer_json(answer, qid, why=why))
            elif args.json:
                out_json({"question": text, **answer_json(answer, full=True, why=why), **heard,
                          **_llm_json(kn.answerer)})
            else:
                if heard:
                    out(f"(nghe được / heard: {text!r}; {heard['asr_engine']} {heard['asr_ms']:.0f} ms, "
                        f"RTF {heard['rtf']:.2f})")
                _print_human(answer, kn)
                out(f"  answerer: {answer.answerer} ({_why(answer, why)}); facts: "
                    f"{', '.join(answer.facts) or '-'}; {answer.timings_ms}")
    finally:
        kn.close()
        close = getattr(kn.answerer, "close", None)
        if callable(close):
            close()
    return 0


def _llm_json(answerer: Any) -> dict[str, Any]:
    """The LLM's details of the last answer: model, its raw reply, prompt-state use and child timings."""
    timings = getattr(answerer, "last_timings", None)
    if timings is None:
        return {}
    keys = ("prompt_ms", "state", "prefix_tokens", "question_tokens", "state_load_ms", "prefix_ms",
            "question_ms", "first_token_ms", "llm_ms", "total_ms", "gen_tokens", "rss_peak_mb")
    return {"llm_model": getattr(answerer, "model_key", ""), "llm_reply": timings.get("reply", ""),
            "llm_timings_ms": {k: (round(v, 1) if isinstance(v, float) else v)
                               for k, v in timings.items() if k in keys}}


def _print_human(answer: Any, kn: Any) -> None:
    out(answer.spoken)
    if answer.refer_to_staff:
        alts = ", ".join(answer.alternatives) or "-"
        out(f"  -> chuyển cán bộ (refer to staff): {answer.reason}; confidence {answer.confidence:.2f}; "
            f"nearest: {alts}")
        return
    out(f"  procedure: {answer.procedure_id} ({answer.title}) | confidence {answer.confidence:.2f} | "
        f"aspect {answer.aspect.value}{' | hedged' if answer.hedged else ''}")
    out(f"  sources: {'; '.join(answer.sources) or '-'}")
    if answer.alternatives:
        out(f"  also: {', '.join(answer.alternatives)}")


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from knowledge.evaluation import evaluate, load_rows

    missing = [str(f) for f in args.files if not f.is_file()]
    if missing:
        from kiosk_app.commands.base import err

        err(f"kiosk eval: no such file: {', '.join(missing)}")
        return 2
    try:
        rows = load_rows(args.files, args.split)
    except ValueError as exc:
        from kiosk_app.commands.base import err

        err(f"kiosk eval: {exc}")
        return 2
    kn = _open(args, settings, answers=False)
    try:
        report = evaluate(lambda text: kn.decide(text, args.lang), rows)
    finally:
        kn.close()
    summary = {"split": args.split, **report.summary()}
    if args.json:
        out_json({**summary, "confusions": report.confusions()})
        return 0
    out(f"split {args.split}: {summary['questions']} questions "
        f"({summary['in_scope']} in scope, {summary['out_of_scope']} out of scope)")
    out(f"  top-1 accuracy (answered correctly): {_pct(report.top1_accuracy)} "
        f"[retrieval top-1 {_pct(report.retrieval_top1)}; {report.in_scope_referred} referred]")
    out(f"  out-of-scope refused: {_pct(report.refusal_rate)}")
    out(f"  aspect detected: {_pct(report.aspect_accuracy)}")
    conf = report.confusions()
    out(f"  confusions: {len(conf)}")
    for c in conf:
        out(f"    {c['id']}: expect {c['expect'] or '(refer)'} got {c['got'] or '(refer)'} "
            f"[top1 {c['top1']}, conf {c['confidence']:.2f}, {c['reason'] or 'answered'}] {c['text']}")
    return 0


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"
