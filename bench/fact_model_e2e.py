"""Leave-one-set-out through the real ``Knowledge.ask``: fact ranking methods 3 and 4 (``--e2e``).

For each set, the weights are fitted on the other sets (method 3: dense weights and question-term ×
unit-kind pairs; method 4: the same plus the shared terms and English dense weights named by
``--extra`` / ``--dense-en``), swapped into ``knowledge.answer.rank``, and the held-out
questions are asked through ``Knowledge.ask`` with the evidence answerer and E5 (retrieval chooses the
record). Reported per set and language: strict (a ``must_any`` string in the spoken answer) and
fact chosen (… or in the written text of a spoken unit), and the answer step's p50 / p95.
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.bench_facts import RECORDS, load_rows, run_questions
from bench.fit_fact_model import SETS
from bench.report import pct

Config = tuple[frozenset[str], bool]  # (shared question terms, English dense weights)


def end_to_end(fold_models: Callable[[str, Config], dict[str, dict[str, Any]]],
               configs: dict[str, Config]) -> dict[str, Any]:
    """``fold_models(held-out set, config)``: {"semantic": model, "lexical": model} fitted without it."""
    import knowledge.answer.rank as rank
    from bench.llm_pipeline import kiosk_bundle
    from kiosk_app.core.settings import Settings, UiSettings
    from knowledge.answer import EvidenceAnswerer
    from knowledge.answer.learned import FactModel
    from knowledge.answer.semantic import E5FactScorer
    from knowledge.bundle.schema import load_records_dir
    from knowledge.service import Knowledge

    records = load_records_dir(RECORDS)
    work = Path(tempfile.gettempdir()) / "kiosk-fit-fact-model"
    bundle = kiosk_bundle(work / "bundle", records)
    settings = Settings(data_dir=work / "data", ui=UiSettings(fullscreen=False))
    scorer = E5FactScorer()
    saved = dict(rank.MODELS)
    results: dict[str, list[dict[str, Any]]] = {m: [] for m in configs}
    with Knowledge.open(bundle, settings, answerer=EvidenceAnswerer(semantic=scorer)) as kn:
        scorer.wait()
        try:
            for group, path in SETS.items():
                rows = load_rows(path)
                for method, config in configs.items():
                    models = fold_models(group, config)
                    rank.MODELS.clear()
                    rank.MODELS.update({k: FactModel(m["dense"], m["pairs"], m.get("dense_en", {}))
                                        for k, m in models.items()})
                    res = run_questions(kn, rows, lambda _m: None)
                    for r in res:
                        r["group"] = group
                    results[method] += res
        finally:
            rank.MODELS.clear()
            rank.MODELS.update(saved)
    return {method: summary(res) for method, res in results.items()} | {
        "misses": {m: [(r["id"], r["right"], r["facts"][:2]) for r in res if not r["chosen_ok"]]
                   for m, res in results.items()}}


def summary(res: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for group in SETS:
        for lang in ("vi", "en"):
            sub = [r for r in res if r["group"] == group and r["lang"] == lang]
            if sub:
                right = sum(r["right"] for r in sub)
                out[f"{group}/{lang}"] = (f"n {len(sub)}, right procedure {right}, strict "
                                          f"{sum(r['spoken_ok'] for r in sub)}, fact chosen "
                                          f"{sum(r['chosen_ok'] for r in sub)}")
    ms = [r["answer_ms"] for r in res if r["answer_ms"] == r["answer_ms"] and r["got"]]
    out["answer_ms"] = f"p50 {statistics.median(ms):.1f} / p95 {pct(ms, 95):.1f}"
    return out
