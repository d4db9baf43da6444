"""Building the LLM answerer from settings (``kiosk_app.wiring``, ``kiosk ask``, bundle import).

Owns finding the model's GGUF (``find_gguf``), saying why the LLM cannot run here without
importing ``llama_cpp`` (``llm_unavailable``), starting the child and wrapping it in a
``LlamaAnswerer`` (``build_llama_answerer``, ``N_CTX``), and the bundle-import hook that saves every
record's prompt state (``precompute_states``). Engine imports are deferred into the functions.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.bundle import Record

if TYPE_CHECKING:
    from knowledge.answer import EvidenceAnswerer
    from knowledge.llm_answerer import LlamaAnswerer

log = logging.getLogger(__name__)

N_CTX = 4096  # a long record in a Vietnamese-unfriendly tokenizer (SmolLM2) needs ~2600 tokens


def find_gguf(settings: Any, name: str) -> Path:
    """The GGUF file of model ``name`` (package or provisioned); ModelMissingError if absent."""
    from kiosk_app.errors import ModelMissingError
    from kiosk_app.models import load_manifest, require

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

    from kiosk_app.errors import KioskError

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
    from knowledge.llm_answerer import LlamaAnswerer, model_key
    from knowledge.llm_child import ChildConfig, LlmChild

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
    from kiosk_app.settings import AnswererKind

    if settings.answer.answerer not in (AnswererKind.AUTO, AnswererKind.LLM):
        return None
    why = llm_unavailable(settings)
    if why:
        log.warning("LLM prompt states not precomputed: %s", why)
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
