"""Method 11: the records' own sentences count as in-scope documents for the typical words.

A refusal kind's typical words (``ExampleIndex.words``) are log-count ratios of word features in its
example questions against every other target's documents. The harmful examples ask to cheat a real
procedure, so they carry its topic words ("khuyết tật", "miễn lệ phí": "Muốn làm giấy chứng nhận
khuyết tật giả để được miễn lệ phí"), and few procedure examples happen to use those words: an honest
"Người khuyết tật đăng ký lại khai sinh có được miễn lệ phí không?" scored 2.1 in harmful words and
was refused. Method 11 adds every fact sentence of each record (Vietnamese and English, the fact
scorer's units) to that record's documents when the word ratios are counted, so a word the ward's own
records use is not evidence of a refusal kind; "giả" (fake), which no record uses, still is.

Leave one set out over every dev set, method 7 and method 11 trained on the same rows (the
understanding sets; ``fact_rows=1`` adds the fact sets), the typical words of dev texts recomputed
with the new table, the examples' out of fold (5 folds).

    PYTHONPATH=.:bench .venv/bin/python bench/tune_understand11.py /tmp/f9.pkl [fact_rows=1] [oos_only=1]
"""

from __future__ import annotations

import copy
import pickle
import sys
import tempfile
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np
from tune_understand import show, tally
from tune_understand6 import Residuals
from tune_understand7 import Named
from tune_understand9 import FACT_SETS, fitted, totals
from understand_data import DEV_SETS, RECORDS, Dataset, Row, TextFeatures  # noqa: F401  (unpickling)

from knowledge.answer.facts import english_units, fact_units
from knowledge.bundle.schema import load_out_of_scope_dir, load_records_dir
from knowledge.service import _clean
from knowledge.understand.examples import _word_ratios, is_out_of_scope, word_features


def words_with(table: dict[str, list[tuple[str, float]]], text: str,
               features: Callable[[str], Collection[str]] = word_features) -> dict[str, float]:
    """``ExampleIndex.words`` with another table (and ``features``: the question's word features)."""
    feats = features(text)
    out: dict[str, float] = {}
    for f in feats:
        for t, r in table.get(f, ()):
            out[t] = out.get(t, 0.0) + r
    scale = float(np.sqrt(max(1, len(feats))))
    return {t: v / scale for t, v in out.items()}


def documents() -> tuple[list[str], list[str], list[bool], list[str]]:
    """The index's documents as the kiosk builds them: targets, texts, is-example, ids."""
    from kiosk_app.core.settings import Settings
    from knowledge.bundle.sample import sample_vectors
    from knowledge.service import Knowledge, prepare_bundle_dir

    with tempfile.TemporaryDirectory() as tmp:
        dest = prepare_bundle_dir(load_records_dir(RECORDS), Path(tmp) / "b",
                                  out_of_scope=load_out_of_scope_dir(RECORDS), vectors=sample_vectors())
        with Knowledge.open(dest, Settings(data_dir=Path(tmp) / "data")) as kn:
            assert kn.retriever.index is not None
            res = kn.retriever.index._col.get(include=["metadatas", "documents"])
    ids = [str(i) for i in res["ids"]]
    texts = [str(t) for t in res["documents"] or []]
    tg = [str(m["procedure_id"]) for m in res["metadatas"] or []]
    return tg, texts, ["#example" in i for i in ids], ids


OPT11 = {"oos_only": False}  # the records' sentences change the refusal kinds' words only


def merged(tg: list[str], texts: list[str], extra_t: list[str],
           extra_x: list[str]) -> dict[str, list[tuple[str, float]]]:
    """The word table with the records' sentences; with ``oos_only`` the procedures keep the
    table without them."""
    new = _word_ratios(tg + extra_t, texts + extra_x)
    if not OPT11["oos_only"]:
        return new
    old = _word_ratios(tg, texts)
    out: dict[str, list[tuple[str, float]]] = {}
    for f in set(old) | set(new):
        out[f] = ([(t, r) for t, r in old.get(f, ()) if not is_out_of_scope(t)]
                  + [(t, r) for t, r in new.get(f, ()) if is_out_of_scope(t)])
    return out


Table = dict[str, list[tuple[str, float]]]


def retable(data: Dataset, table: Callable[[list[str], list[str]], Table],
            words: Callable[[Table, str], dict[str, float]] = words_with) -> Dataset:
    """A copy of ``data`` whose typical words are recomputed: ``table`` builds the word table from
    (targets, texts) of the index's documents, ``words`` scores a text with it; dev texts against the
    whole index, the examples out of fold (5 folds, as ``understand_data``)."""
    tg, texts, is_ex, ids = documents()
    new = copy.copy(data)
    new.feats = {k: copy.copy(f) for k, f in data.feats.items()}
    whole = table(tg, texts)
    for (_lang, text), f in new.feats.items():
        if not f.bad:
            f.words = words(whole, _clean(text))
    fold = np.random.default_rng(0).integers(0, 5, len(ids))
    by_id = {i: n for n, i in enumerate(ids)}
    new.examples = []
    tables = {}
    for row, f in data.examples:
        k = int(fold[by_id[row.id]])
        if k not in tables:
            keep = [n for n in range(len(ids)) if not (is_ex[n] and fold[n] == k)]
            tables[k] = table([tg[n] for n in keep], [texts[n] for n in keep])
        g = copy.copy(f)
        g.words = words(tables[k], row.text)
        new.examples.append((row, g))
    return new


def rewrite(data: Dataset) -> Dataset:
    """A copy of ``data`` whose typical words come from the table with the records' sentences."""
    extra_t, extra_x = [], []
    for r in load_records_dir(RECORDS):
        for u in (*fact_units(r), *english_units(r)):
            extra_t.append(r.id)
            extra_x.append(u.match)
    print(f"{len(extra_x)} record sentences added", flush=True)
    return retable(data, lambda tg, texts: merged(tg, texts, extra_t, extra_x))


def compare(methods: Sequence[tuple[int, Dataset]], with_facts: bool) -> tuple[Residuals, Named]:
    """Leave one set out over every dev set, each method's dataset fitted on the same rows."""
    residuals = Residuals()
    named = Named(residuals)
    per: dict[tuple[int, str, str], Counter[str]] = {}
    for held in DEV_SETS:
        for method, d in methods:
            train = [r for r in d.rows if r.set != held and (with_facts or r.set not in FACT_SETS)]
            model = fitted(d, train, residuals, named)
            for lang in ("vi", "en"):
                rows = [r for r in d.rows if r.set == held and r.lang == lang]
                per[method, held, lang] = c = tally(model, d, rows)
                print(f"m{method} {held:7} {lang}: {show(c)}; follow-ups {c['follow/in']}/{c['follow/in/']}",
                      flush=True)
    totals(per, tuple(m for m, _ in methods))
    return residuals, named


def main() -> int:
    data: Dataset = pickle.loads(Path(sys.argv[1]).read_bytes())
    opts = dict(a.split("=") for a in sys.argv[2:])
    with_facts = opts.get("fact_rows", "0") == "1"
    OPT11["oos_only"] = opts.get("oos_only", "0") == "1"
    new = rewrite(data)
    residuals, named = compare(((7, data), (11, new)), with_facts)
    model = fitted(new, [r for r in new.rows if with_facts or r.set not in FACT_SETS], residuals, named)
    print(f"m11 all dev: theta {[round(float(v), 3) for v in model.theta]} guards {model.guards} "
          f"cal {model.cal} sem guards {model.sem_guard} residual {model.residual}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
