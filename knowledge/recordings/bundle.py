"""Recordings as bundle members (issue 20): the index, the limits, the per-member checks.

A bundle may hold recorded sentences::

    recordings.yaml               the index: one entry per recording
    recordings/<sentence_id>.ogg  Ogg/Opus, mono, one sentence

Each index entry: ``id`` (the sentence id, ``knowledge.recordings.inventory``), ``language``,
``text`` (the sentence as recorded), ``text_sha256`` (``sentence_key(text)``: the binding to the
sentence's words), ``file`` and ``duration_s``. The file's own sha256 is in the manifest like every
member's, so a changed file refuses the whole bundle (tampering). What does **not** refuse it:

* an audio member that is not Ogg/Opus, will not decode, is not mono or is too long: a warning
  naming the member, and that recording is never played (``RecordingSet`` decodes with the same
  check and gives no clip); the rest of the bundle, recordings included, works;
* a stale recording (its id's sentence now has other words) or one bound to a sentence that no
  longer exists: a warning; never played (looked up by the sentence's key, it is never found).

The index itself is refused like a record (bounded YAML, schema) and so is a bundle over the count
or size limits (``RecordingLimits``), checked from the member sizes before anything is decoded.
A ward's source folder (what ``kiosk bundle build`` packs) keeps them in ``<source>/recordings/``:
the index as ``recordings/recordings.yaml`` (the folder's own ``*.yaml`` files are records) and
the audio as ``recordings/<id>.ogg``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk_app.core.errors import BundleError, BundleUnsafeError
from knowledge.bundle.limits import ReadLimits, load_yaml
from knowledge.bundle.lint import Issue, LintReport, Severity

if TYPE_CHECKING:
    from knowledge.bundle.schema import Bundle, Record

INDEX = "recordings.yaml"
SOURCE_INDEX = "recordings/recordings.yaml"  # in a source folder (its *.yaml are records)
AUDIO_DIR = "recordings"
AUDIO_EXT = ".ogg"
AUDIO_MEMBER = re.compile(r"^recordings/[a-z0-9][a-z0-9._-]{0,159}\.ogg$")


@dataclass(frozen=True, slots=True)
class RecordingLimits:
    """400 sentences of ~4 s at ~2 kB/s are ~3.5 MB: the caps leave room, and refuse abuse."""

    max_count: int = 3000
    max_file_bytes: int = 512 * 1024  # ~4 min of Opus speech: far over any sentence
    max_duration_s: float = 30.0
    max_total_bytes: int = 64 * 1024 * 1024
    max_index_bytes: int = 2 * 1024 * 1024


REC_LIMITS = RecordingLimits()


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Entry(_Model):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,159}$")
    language: str = Field("vi", pattern=r"^(vi|en)$")
    text: str = Field(min_length=1, max_length=2000)
    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    file: str = Field(pattern=AUDIO_MEMBER.pattern)
    duration_s: float = Field(ge=0, le=3600)


class Index(_Model):
    recordings: tuple[Entry, ...] = ()

    def by_file(self) -> dict[str, Entry]:
        return {e.file: e for e in self.recordings}


def audio_member(sentence_id: str) -> str:
    return f"{AUDIO_DIR}/{sentence_id}{AUDIO_EXT}"


def is_recording_member(name: str) -> bool:
    return name == INDEX or bool(AUDIO_MEMBER.match(name))


def parse_index(raw: bytes, limits: RecordingLimits = REC_LIMITS) -> Index:
    if len(raw) > limits.max_index_bytes:
        raise BundleUnsafeError(f"{INDEX}: {len(raw):,} bytes (limit {limits.max_index_bytes:,})",
                                "Danh sách bản ghi âm quá lớn; không nhập.")
    data, _chars = load_yaml(raw, INDEX, ReadLimits(max_record_bytes=limits.max_index_bytes,
                                                   max_list_items=limits.max_count,
                                                   max_nodes=limits.max_count * 8 + 10,
                                                   max_record_text_chars=limits.max_index_bytes))
    try:
        index = Index.model_validate(data or {})
    except ValidationError as err:
        first = err.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise BundleError(f"{INDEX}: field {loc}: {first['msg']}",
                          f"Danh sách bản ghi âm sai ở trường {loc}.") from err
    ids = [e.id for e in index.recordings]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise BundleError(f"{INDEX}: recording id {dup} is listed twice",
                          f"Bản ghi âm {dup} được ghi hai lần trong danh sách.")
    return index


def index_yaml(entries: Iterable[Entry]) -> bytes:
    data = {"recordings": [e.model_dump(mode="json") for e in sorted(entries, key=lambda e: e.id)]}
    text: str = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return text.encode("utf-8")


def check_members(members: Mapping[str, bytes], files: Iterable[str],
                  limits: RecordingLimits = REC_LIMITS) -> Index | None:
    """The manifest's recording members, before anything is decoded: the index parses, every audio
    member is listed in it and every listed file is a member, count and sizes within the limits."""
    files = [f for f in files if is_recording_member(f)]
    audio = [f for f in files if f != INDEX]
    if not files:
        return None
    if INDEX not in files:
        raise BundleError(f"{audio[0]}: recordings without {INDEX}",
                          "Gói có bản ghi âm nhưng thiếu danh sách recordings.yaml.")
    index = parse_index(members[INDEX], limits)
    if len(audio) > limits.max_count:
        raise BundleUnsafeError(f"{len(audio)} recordings (limit {limits.max_count})",
                                "Gói có quá nhiều bản ghi âm; không nhập.")
    listed = index.by_file()
    total = 0
    for name in audio:
        size = len(members[name])
        total += size
        if size > limits.max_file_bytes:
            raise BundleUnsafeError(f"{name}: {size:,} bytes (limit {limits.max_file_bytes:,})",
                                    f"Bản ghi âm {name} quá lớn; không nhập.")
        if name not in listed:
            raise BundleError(f"{name} is not listed in {INDEX}",
                              f"Bản ghi âm {name} không có trong danh sách recordings.yaml.")
    if total > limits.max_total_bytes:
        raise BundleUnsafeError(f"recordings hold {total:,} bytes (limit {limits.max_total_bytes:,})",
                                "Các bản ghi âm trong gói quá lớn; không nhập.")
    missing = sorted(set(listed) - set(audio))
    if missing:
        raise BundleError(f"{INDEX} lists {missing[0]}, which is not in the bundle",
                          f"Danh sách bản ghi âm có {missing[0]} nhưng gói không có tệp này.")
    return index


def audit(index: Index | None, members: Mapping[str, bytes], current: Mapping[tuple[str, str], str],
          limits: RecordingLimits = REC_LIMITS) -> list[Issue]:
    """Decode and check every recording; ``current``: (language, sentence id) -> the sentence's key now.
    Warnings only: each names the recording and starts with its stable code (recording-stale,
    recording-orphaned, recording-key-mismatch, or ``AudioProblem.reason``); it is never played."""
    from knowledge.recordings.audio import AudioProblem, decode_ogg
    from knowledge.recordings.lookup import sentence_key

    issues: list[Issue] = []
    entries = list(index.recordings) if index else []
    for e in entries:
        if sentence_key(e.text) != e.text_sha256:
            issues.append(_warn(e.id, f"[recording-key-mismatch] {e.file}: text_sha256 does not match "
                                "its text",
                                f"Bản ghi âm {e.id}: mã kiểm tra câu không khớp; không phát."))
        elif (e.language, e.id) not in current:
            issues.append(_warn(e.id, f"[recording-orphaned] recording {e.id} is bound to a sentence that no "
                                "longer exists",
                                f"Bản ghi âm {e.id} ứng với câu không còn trong dữ liệu; không phát."))
        elif current[(e.language, e.id)] != e.text_sha256:
            issues.append(_warn(e.id, f"[recording-stale] recording {e.id} is stale: its sentence was edited",
                                f"Bản ghi âm {e.id} đã cũ: câu đã được sửa, cần ghi âm lại; "
                                "máy đọc câu mới bằng giọng máy."))

    def decode(e: Entry) -> Issue | None:
        try:
            decode_ogg(members[e.file], e.file, max_duration_s=limits.max_duration_s)
        except AudioProblem as err:
            return _warn(e.id, str(err), err.message_vi)
        return None

    # libsndfile runs without the GIL (cffi): decode on every core (400 clips: ~8 s of CPU)
    with ThreadPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        issues.extend(i for i in pool.map(decode, entries) if i is not None)
    return issues


def _warn(sentence_id: str, en: str, vi: str) -> Issue:
    head = sentence_id.split(".", 1)[0]
    return Issue(Severity.WARNING, None if head in ("fixed", "word", "connective", "en") else head, en, vi)


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
                              f"Thiếu tệp ghi âm {e.file} (có trong danh sách recordings.yaml).")
        members[e.file] = path.read_bytes()
    return members


def current_keys(records: Iterable[Record]) -> dict[tuple[str, str], str]:
    """(language, sentence id) -> the key of its sentence now, over both languages' inventories."""
    from knowledge.recordings.inventory import inventory
    from knowledge.recordings.lookup import sentence_key

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
    from knowledge.recordings.lookup import sentence_key

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
