"""Recordings in a bundle, decoded: the audit, a ward's source folder, adding a take.

The member format and its size checks are ``knowledge.recordings.members``. What does **not**
refuse a bundle, only warns (and that recording is never played):

* an audio member that is not Ogg/Opus, will not decode, is not mono or is too long (``RecordingSet``
  decodes with the same check and gives no clip); the rest of the bundle, recordings included, works;
* a stale recording (its id's sentence now has other words) or one bound to a sentence that no
  longer exists (looked up by the sentence's key, it is never found).

A changed audio file refuses the whole bundle: its sha256 is in the manifest like every member's.
A ward's source folder (what ``kiosk bundle build`` packs) keeps them in ``<source>/recordings/``:
the index as ``recordings/recordings.yaml`` (the folder's own ``*.yaml`` files are records) and
the audio as ``recordings/<id>.ogg``.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk_app.core.errors import BundleError, Detail
from knowledge.bundle.lint import Issue, LintReport, Severity
from knowledge.recordings.members import (
    AUDIO_DIR,
    INDEX,
    REC_LIMITS,
    SOURCE_INDEX,
    Entry,
    Index,
    RecordingLimits,
    audio_member,
    check_members,
    index_yaml,
    parse_index,
)

if TYPE_CHECKING:
    from knowledge.bundle.schema import Bundle, Record

def audit(index: Index | None, members: Mapping[str, bytes], current: Mapping[tuple[str, str], str],
          limits: RecordingLimits = REC_LIMITS) -> list[Issue]:
    """Decode and check every recording; ``current``: (language, sentence id) -> the sentence's key now.
    Warnings only: each names the recording and starts with its stable code (recording-stale,
    recording-orphaned, recording-key-mismatch, or ``AudioProblem.reason``); it is never played."""
    from knowledge.recordings.audio import AudioProblem, decode_ogg
    from knowledge.recordings.sentences import sentence_key

    issues: list[Issue] = []
    entries = list(index.recordings) if index else []
    for e in entries:
        if sentence_key(e.text) != e.text_sha256:
            issues.append(_warn(e.id, f"[recording-key-mismatch] {e.file}: text_sha256 does not match "
                                "its text", "recording-key-mismatch"))
        elif (e.language, e.id) not in current:
            issues.append(_warn(e.id, f"[recording-orphaned] recording {e.id} is bound to a sentence that no "
                                "longer exists", "recording-orphaned"))
        elif current[(e.language, e.id)] != e.text_sha256:
            issues.append(_warn(e.id, f"[recording-stale] recording {e.id} is stale: its sentence was edited",
                                "recording-stale"))

    def decode(e: Entry) -> Issue | None:
        try:
            decode_ogg(members[e.file], e.file, max_duration_s=limits.max_duration_s)
        except AudioProblem as err:
            return _warn(e.id, str(err), err.reason, **err.details)
        return None

    # libsndfile runs without the GIL (cffi): decode on every core (400 clips: ~8 s of CPU)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        issues.extend(i for i in pool.map(decode, entries) if i is not None)
    return issues


def _warn(sentence_id: str, en: str, reason: str, **details: Detail) -> Issue:
    head = sentence_id.split(".", 1)[0]
    return Issue(Severity.WARNING, None if head in ("fixed", "word", "connective", "en") else head, en,
                 reason, {"id": sentence_id, **details})


def with_issues(lint: LintReport, issues: list[Issue]) -> LintReport:
    if not issues:
        return lint
    return LintReport(lint.issues + tuple(issues), lint.record_count, lint.fact_count,
                      lint.uncertain_count, lint.unsourced_count)


def read_source(src: Path) -> dict[str, bytes]:
    """The recordings of a ward's source folder as bundle members (none: {})."""
    src = Path(src)
    folder = src if src.is_dir() else src.parent
    index_path = folder / SOURCE_INDEX
    if not index_path.is_file():
        return {}
    raw = index_path.read_bytes()
    index = parse_index(raw)
    members = {INDEX: raw}
    for e in index.recordings:
        path = folder / e.file
        if not path.is_file():
            raise BundleError(f"{path}: listed in {index_path} but missing",
                              "recording-file-missing", name=e.file)
        members[e.file] = path.read_bytes()
    return members


def current_keys(records: Iterable[Record]) -> dict[tuple[str, str], str]:
    """(language, sentence id) -> the key of its sentence now, over both languages' inventories."""
    from knowledge.recordings.inventory import inventory
    from knowledge.recordings.sentences import sentence_key

    recs = list(records)
    return {(lang, i.id): sentence_key(i.text) for lang in ("vi", "en") for i in inventory(recs, lang)}


def audit_bundle(lint: LintReport, members: Mapping[str, bytes], bundle: Bundle) -> LintReport:
    """The import's recording check (``importer.check_bundle``): lint plus one warning per
    recording that will never be played."""
    if bundle.recordings is None:
        return lint
    return with_issues(lint, audit(bundle.recordings, members, current_keys(bundle.records.values())))


def audit_source(lint: LintReport, records: Iterable[Record], members: Mapping[str, bytes]) -> LintReport:
    """The builder's recording check on a source folder's recordings (``read_source``)."""
    index = check_members(members, members.keys())
    return with_issues(lint, audit(index, members, current_keys(records)))


def add_take(folder: Path, item_id: str, text: str, language: str, samples: object,
             sample_rate: int) -> Entry:
    """Store one checked take in a ward's source folder (``recordings/<id>.ogg`` + the index entry),
    trimmed, levelled and encoded as Ogg/Opus; the index is rewritten atomically."""
    import os

    import numpy as np

    from knowledge.recordings.audio import encode_ogg, prepare
    from knowledge.recordings.sentences import sentence_key

    folder = Path(folder)
    pcm = prepare(np.asarray(samples, dtype=np.int16), sample_rate)
    data = encode_ogg(pcm, sample_rate)
    entry = Entry(id=item_id, language=language, text=text, text_sha256=sentence_key(text),
                  file=audio_member(item_id), duration_s=round(len(pcm) / sample_rate, 2))
    (folder / AUDIO_DIR).mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{entry.file}.tmp"
    tmp.write_bytes(data)
    os.replace(tmp, folder / entry.file)
    index_path = folder / SOURCE_INDEX
    old = parse_index(index_path.read_bytes()).recordings if index_path.is_file() else ()
    entries = [e for e in old if e.id != item_id] + [entry]
    tmp = folder / AUDIO_DIR / f".{INDEX}.tmp"
    tmp.write_bytes(index_yaml(entries))
    os.replace(tmp, index_path)
    return entry
