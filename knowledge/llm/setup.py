"""Building the LLM answerer from settings (``kiosk_app.wiring``, ``kiosk ask``, bundle import).

Owns finding the model's GGUF (``find_gguf``), saying why the LLM cannot run here without
importing ``llama_cpp`` (``llm_unavailable``), starting the child and wrapping it in a
``LlamaAnswerer`` (``build_llama_answerer``, ``N_CTX``), and the bundle-import hook that saves every
record's prompt state (``precompute_states``). Engine imports are deferred into the functions.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.bundle.schema import Record

if TYPE_CHECKING:
    from knowledge.answer import EvidenceAnswerer
    from knowledge.llm.answerer import LlamaAnswerer

log = logging.getLogger(__name__)

N_CTX = 4096  # a long record in a Vietnamese-unfriendly tokenizer (SmolLM2) needs ~2600 tokens


def find_gguf(settings: Any, name: str) -> Path:
    """The GGUF file of model ``name`` (package or provisioned); ModelMissingError if absent."""
    from kiosk_app.core.errors import ModelMissingError
    from kiosk_app.core.models import load_manifest, require

    folder = require(settings, name)
    spec = load_manifest().get(name)
    if spec is not None and spec.file and (folder / spec.file).is_file():
        return folder / spec.file
    ggufs = sorted(folder.glob("*.gguf"))
    if not ggufs:
        raise ModelMissingError(name, folder, "one .gguf file")
    return ggufs[0]


def llm_unavailable(settings: Any) -> str:
    """Why the LLM answerer cannot run here ("" when it can). Never imports llama_cpp."""
    import importlib.util

    from kiosk_app.core.errors import KioskError

    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install '.[llm]')"
    try:
        find_gguf(settings, settings.answer.llm_model)
    except KioskError as err:
        return str(err)
    return ""


def build_llama_answerer(settings: Any, evidence: EvidenceAnswerer | None = None, *,
                         bundle_dir: Path | None = None, records: Iterable[Record] = (),
                         start: bool = True) -> LlamaAnswerer:
    """A ``LlamaAnswerer`` for ``settings.answer.llm_model``; the child starts loading at once.
    ``evidence``: the answerer that speaks the chosen facts and answers when the model cannot."""
    from knowledge.llm.answerer import LlamaAnswerer, model_key
    from knowledge.llm.child import LlmChild
    from knowledge.llm.runner import ChildConfig

    name = settings.answer.llm_model
    gguf = find_gguf(settings, name)
    child = LlmChild(ChildConfig(model_path=str(gguf), n_ctx=N_CTX, n_threads=settings.answer.llm_threads))
    if start:
        child.start()
    return LlamaAnswerer(child, evidence=evidence, model_key=model_key(name, gguf),
                         first_sentence_timeout_s=settings.answer.llm_first_sentence_timeout_s,
                         total_timeout_s=settings.answer.llm_total_timeout_s,
                         bundle_dir=bundle_dir, records=records)


def precompute_states(settings: Any, bundle_dir: Path, records: Iterable[Record], *,
                      progress: Callable[[int, int], None] | None = None) -> dict[str, Any] | None:
    """Bundle-import hook: save every record's prompt state under ``bundle_dir/llm_state/``.

    Does nothing (returns None) unless the kiosk may use the LLM (``auto`` or ``llm``) and it can
    run here; never raises (states are also made lazily on first use).
    """
    from kiosk_app.core.settings import AnswererKind

    if settings.answer.answerer not in (AnswererKind.AUTO, AnswererKind.LLM):
        return None
    why = llm_unavailable(settings)
    if why:
        level = logging.WARNING if settings.answer.answerer is AnswererKind.LLM else logging.DEBUG
        log.log(level, "LLM prompt states not precomputed: %s", why)
        return None
    recs = list(records)
    ans = build_llama_answerer(settings, bundle_dir=bundle_dir, records=recs)
    try:
        stats = ans.prepare(recs, progress=progress)
    except Exception:  # precomputing is an optimisation; import must not fail because of it
        log.exception("LLM prompt state precompute failed")
        return None
    finally:
        ans.close()
    log.info("LLM prompt states: %d computed, %d cached, %d failed (%.1f MB)", stats["computed"],
             stats["cached"], stats["failed"], stats["bytes"] / 1e6)
    return stats


PROBE_SYSTEM = ("Reply with the number of the fact that answers.\nFACTS:\n1. Thủ tục: thử máy.\n"
                "2. Lệ phí: không.")


def probe_llm(settings: Any, *, load_timeout_s: float = 60.0, answer_timeout_s: float = 30.0,
              child_factory: Callable[[Any], Any] | None = None) -> tuple[str, str]:
    """Start the configured model in its child and ask it one grammar-bound question.

    Returns (state, detail): ``ok``, ``missing`` (no llama-cpp-python or no GGUF), ``damaged`` (the
    child reports the file cannot be loaded), ``crashed`` (the child died), ``hung`` (alive but
    silent past the limit), ``slow`` (it answers, too slowly to finish within the limit: a busy
    CPU). Used by ``kiosk doctor``; the kiosk itself never waits like this."""
    from knowledge.llm.child import LlmChild
    from knowledge.llm.prompt import grammar
    from knowledge.llm.runner import ChildConfig

    why = llm_unavailable(settings)
    if why:
        return "missing", why
    gguf = find_gguf(settings, settings.answer.llm_model)
    config = ChildConfig(model_path=str(gguf), n_ctx=512, n_threads=settings.answer.llm_threads)
    child = (child_factory or LlmChild)(config)
    t0 = time.monotonic()
    try:
        child.start()
        if not child.wait_ready(load_timeout_s):
            error = str(getattr(child, "error", "") or "")
            if not child.alive and "exited with code" in error:
                return "crashed", f"{gguf.name}: the model process died while loading ({error})"
            if child.alive and (not error or "still loading" in error):
                return "hung", f"{gguf.name}: no answer from the model process after {load_timeout_s:.0f} s"
            return "damaged", f"{gguf.name} cannot be loaded: {error}"
        load_s = time.monotonic() - t0
        t1 = time.monotonic()
        rid = child.send({"op": "ask", "system": PROBE_SYSTEM, "question": "thử", "state": None,
                          "max_tokens": 4, "grammar": grammar(2)})
        heard = False
        while True:
            left = answer_timeout_s - (time.monotonic() - t1)
            msg = child.next_message(rid, max(0.0, min(left, 0.5))) if left > 0 else None
            if msg is None:
                if left > 0:
                    continue
                if heard:
                    return "slow", (f"{gguf.name} answers, but did not finish a 4-token reply within "
                                    f"{answer_timeout_s:.0f} s")
                return "hung", f"{gguf.name} loaded but did not answer within {answer_timeout_s:.0f} s"
            heard = True
            if msg.get("op") == "error":
                state = "crashed" if msg.get("fatal") else "damaged"
                return state, f"{gguf.name}: {msg.get('message')}"
            if msg.get("op") == "done":
                return "ok", (f"{settings.answer.llm_model} ({gguf.name}) loads in {load_s:.1f} s and "
                              f"chooses facts in {(time.monotonic() - t1) * 1000:.0f} ms")
    finally:
        child.close(timeout=1.0)
