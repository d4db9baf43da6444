"""Features of the dev questions and the bundle's examples, computed once (E5 is the slow part).

    .venv/bin/python bench/understand_data.py [OUT.pkl]     # default /tmp/understand_features.pkl
    .venv/bin/python bench/understand_data.py OUT.pkl --add-vectors   # method 8's vectors only

Used by ``bench/tune_understand.py`` (fit, leave-one-set-out CV, methods 3/4/5 side by side). Per
question text: the language's lexical scores, the examples' nearness, the E5 head, the typical words
of the whole question and of each clause (``bench/clauses.py``; method 7: the clauses' E5 views,
evaluated and not adopted), the name coverage (follow-up rule) and the number of words. The examples
are scored out of fold (5 folds: an index built without the example's fold), as the refusal kinds have no dev
questions but theirs for some kinds.
Only dev sets are read (``DEV_SETS``); never add the current blind set. Methods 6-8 were measured
when ``DEV_SETS`` held eval and blind1-6 (their scripts now fold over every set listed); method 9
added blind7-8 and the spent fact sets 1-6, method 15 fact sets 7-11.
"""

from __future__ import annotations

import json
import pickle
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from clauses import clauses
from report import REPO

from kiosk_app.core.settings import Settings
from knowledge.bundle.sample import sample_vectors
from knowledge.bundle.schema import load_out_of_scope_dir, load_records_dir
from knowledge.evaluation import load_rows
from knowledge.service import Knowledge, _clean, prepare_bundle_dir
from knowledge.understand.examples import OOS_PREFIX, ExampleIndex, is_out_of_scope
from knowledge.understand.normalize import strip_fillers

RECORDS = REPO / "knowledge" / "sample" / "records"
B = REPO / "bench"
# Never add the current blind set here.
DEV_SETS: dict[str, tuple[list[Path], list[Path]]] = {
    "eval": (sorted((B / "eval").glob("vi_*.jsonl")), sorted((B / "eval").glob("en_*.jsonl"))),
    "blind1": ([B / "blind" / "vi_understand.jsonl"], [B / "blind" / "en_understand.jsonl"]),
    "blind2": ([B / "blind2" / "vi_understand.jsonl"], [B / "blind2" / "en_understand.jsonl"]),
    "blind3": ([B / "blind3" / "vi_understand.jsonl"], [B / "blind3" / "en_understand.jsonl"]),
    "blind4": ([B / "blind4" / "vi_understand.jsonl"], [B / "blind4" / "en_understand.jsonl"]),
    "blind5": ([B / "blind5" / "vi_understand.jsonl"], [B / "blind5" / "en_understand.jsonl"]),
    "blind6": ([B / "blind6" / "vi_understand.jsonl"], [B / "blind6" / "en_understand.jsonl"]),
    "blind7": ([B / "blind7" / "vi_understand.jsonl"], [B / "blind7" / "en_understand.jsonl"]),
    "blind8": ([B / "blind8" / "vi_understand.jsonl"], [B / "blind8" / "en_understand.jsonl"]),
    # method 9: the spent fact sets, in-scope questions of both languages in one file each (method
    # 15 added blind fact sets 7-11, spent by fact methods 5-9)
    "facts1": ([B / "eval" / "facts_dev.jsonl"],) * 2,
    **{f"facts{n}": ([B / f"blind_facts{n}" / "facts.jsonl"],) * 2 for n in range(2, 12)},
}
ClauseSem = tuple[dict[str, float], dict[str, float], dict[str, float]]  # near, head, words
KINDS = ("personal_data", "harmful", "other_authority", "chitchat_advice")


@dataclass
class TextFeatures:
    lex: dict[str, float]
    near: dict[str, float]
    head: dict[str, float]
    words: dict[str, float]
    clause_words: dict[str, float]  # per target: the best clause's typical-words score
    named: dict[str, float]  # Vietnamese name coverage (the follow-up rule uses it in both languages)
    nwords: int
    bad: str = ""
    # method 7: E5's view of each clause of a question of two clauses or more (near, head, words)
    clause_sem: list[ClauseSem] = field(default_factory=list)


@dataclass
class Row:
    set: str
    lang: str
    id: str
    text: str
    allowed: list[str]
    kind: str  # "in", a refusal kind, or "other" (out of scope without a kind)
    context: tuple[str, ...] = ()
    style: str = ""


@dataclass
class Dataset:
    targets: list[str]
    rows: list[Row] = field(default_factory=list)
    feats: dict[tuple[str, str], TextFeatures] = field(default_factory=dict)  # (lang, text) -> features
    examples: list[tuple[Row, TextFeatures]] = field(default_factory=list)  # out of fold
    # method 8: the E5 query vector of every dev text and of every example (aligned with ``examples``)
    vecs: dict[tuple[str, str], np.ndarray] = field(default_factory=dict)
    example_vecs: list[np.ndarray] = field(default_factory=list)


def clause_words(index: ExampleIndex, text: str) -> dict[str, float]:
    parts = clauses(text)
    if len(parts) < 2:
        return index.words(text)
    best: dict[str, float] = {}
    for c in parts:
        for t, v in index.words(c).items():
            if v > best.get(t, -1e9):
                best[t] = v
    return best


def text_features(kn: Knowledge, text: str, lang: str) -> TextFeatures:
    q = _clean(text)
    bad = kn._bad_input(q)
    if bad:
        return TextFeatures({}, {}, {}, {}, {}, {}, len(q.split()), bad)
    lexicon = kn.english().index if lang == "en" else kn.lexical
    sem = kn.retriever.semantic(q)
    assert kn.retriever.examples is not None
    return TextFeatures(lexicon.score(q), sem.near, sem.head, sem.words,
                        clause_words(kn.retriever.examples, q), kn.lexical.name_coverage(q), len(q.split()),
                        clause_sem=clause_semantics(kn, q))


def clause_semantics(kn: Knowledge, q: str) -> list[ClauseSem]:
    """E5 nearness, head and typical words of each clause (``bench/clauses.py``), one batch."""
    parts = clauses(q)
    ex, emb = kn.retriever.examples, kn.retriever._embedder
    if len(parts) < 2 or ex is None or emb is None:
        return []
    vecs = emb.embed_query([" ".join(strip_fillers(c).split()[:64]) or c for c in parts])
    out = []
    for c, v in zip(parts, vecs, strict=True):
        vec = np.asarray(v, dtype=np.float32)
        out.append((ex.nearness(vec), ex.head(vec), ex.words(c)))
    return out


def row_langs(files: list[Path]) -> dict[str, str]:
    """Row id -> its "lang" field, for files that hold both languages (the fact sets)."""
    out: dict[str, str] = {}
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                if d.get("lang"):
                    out[str(d["id"])] = str(d["lang"])
    return out


def row_target(expect: str | None, also: tuple[str, ...], oos: str | None) -> tuple[list[str], str]:
    if expect:
        return [expect, *also], "in"
    if oos:
        return [OOS_PREFIX + oos], oos
    return [OOS_PREFIX + k for k in KINDS], "other"


def add_examples_cv(kn: Knowledge, data: Dataset, folds: int = 5) -> None:
    assert kn.retriever.index is not None
    res = kn.retriever.index._col.get(include=["embeddings", "metadatas", "documents"])
    ids = list(res["ids"])
    texts = [str(t) for t in res["documents"] or []]
    tg = [str(m["procedure_id"]) for m in res["metadatas"] or []]
    matrix = np.asarray(res["embeddings"], dtype=np.float32)
    is_example = np.array(["#example" in i for i in ids])
    fold = np.random.default_rng(0).integers(0, folds, len(ids))
    for f in range(folds):
        keep = np.where(~((fold == f) & is_example))[0]
        idx = ExampleIndex([tg[i] for i in keep], matrix[keep], k=kn.retriever.weights.nearest,
                           texts=[texts[i] for i in keep])
        for i in np.where((fold == f) & is_example)[0]:
            lang = "en" if "#example_en" in ids[i] else "vi"
            lexicon = kn.english().index if lang == "en" else kn.lexical
            kind = tg[i].removeprefix(OOS_PREFIX) if is_out_of_scope(tg[i]) else "in"
            feats = TextFeatures(lexicon.score(texts[i]), idx.nearness(matrix[i]), idx.head(matrix[i]),
                                 idx.words(texts[i]), clause_words(idx, texts[i]),
                                 kn.lexical.name_coverage(texts[i]), len(texts[i].split()))
            data.examples.append((Row("examples", lang, ids[i], texts[i], [tg[i]], kind), feats))


def add_vectors(kn: Knowledge, data: Dataset) -> None:
    """Method 8: the question vector the kiosk computes (``HybridRetriever.semantic``) for every dev
    text, and the bundle's stored vector for every example."""
    emb = kn.retriever._embedder
    assert emb is not None and kn.retriever.index is not None
    keys = [k for k, f in data.feats.items() if not f.bad and k not in data.vecs]
    qs = [" ".join(strip_fillers(_clean(t)).split()[:64]) or _clean(t)[:200] for _, t in keys]
    for i in range(0, len(qs), 64):
        for k, v in zip(keys[i:i + 64], emb.embed_query(qs[i:i + 64]), strict=True):
            data.vecs[k] = np.asarray(v, dtype=np.float32)
    res = kn.retriever.index._col.get(include=["embeddings"])
    by_id = dict(zip(res["ids"], np.asarray(res["embeddings"], dtype=np.float32), strict=True))
    data.example_vecs = [by_id[r.id] for r, _ in data.examples]


def main() -> int:
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("/tmp/understand_features.pkl")
    only_vectors = "--add-vectors" in sys.argv[2:]  # keep OUT's features, add the vectors
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        dest = prepare_bundle_dir(load_records_dir(RECORDS), Path(tmp) / "b",
                                  out_of_scope=load_out_of_scope_dir(RECORDS), vectors=sample_vectors())
        with Knowledge.open(dest, Settings(data_dir=Path(tmp) / "data")) as kn:
            assert kn.retriever.examples is not None
            if only_vectors:
                data = pickle.loads(out.read_bytes())
                data.vecs = getattr(data, "vecs", {})
                add_vectors(kn, data)
                out.write_bytes(pickle.dumps(data))
                print(f"{len(data.vecs)} question vectors added to {out} in {time.perf_counter() - t0:.0f} s")
                return 0
            data = Dataset(list(kn.retriever.examples.targets))
            for name, (vi, en) in DEV_SETS.items():
                for lang, files in (("vi", vi), ("en", en)):
                    langs = row_langs(files)
                    for r in load_rows(files, "all"):
                        if langs.get(r.id, lang) != lang:  # a file of both languages
                            continue
                        allowed, kind = row_target(r.expect, r.also, r.oos)
                        data.rows.append(Row(name, lang, r.id, r.text, allowed, kind, r.context, r.kind))
                        for text in (*r.context, r.text):
                            if (lang, text) not in data.feats:
                                data.feats[lang, text] = text_features(kn, text, lang)
            print(f"{len(data.rows)} dev rows, {len(data.feats)} texts, {time.perf_counter() - t0:.0f} s")
            add_examples_cv(kn, data)
            add_vectors(kn, data)
    out.write_bytes(pickle.dumps(data))
    print(f"{len(data.examples)} examples out of fold; wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
