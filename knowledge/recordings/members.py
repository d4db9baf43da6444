"""Recordings as bundle members: the index, the limits and the per-member checks (no decoding).

A bundle may hold recorded sentences::

    recordings.yaml               the index: one entry per recording
    recordings/<sentence_id>.ogg  Ogg/Opus, mono, one sentence

Each index entry: ``id`` (the sentence id, ``knowledge.recordings.inventory``), ``language``,
``text`` (the sentence as recorded), ``text_sha256`` (``sentence_key(text)``: the binding to the
sentence's words), ``file`` and ``duration_s``. The index is refused like a record (bounded YAML,
schema) and so is a bundle over the count or size limits (``RecordingLimits``), checked from the
member sizes before anything is decoded. The bundle schema reads recordings through this module
only; decoding and the audit are ``knowledge.recordings.bundle``'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk_app.core.errors import BundleError, BundleUnsafeError
from knowledge.bundle.limits import ReadLimits, load_yaml

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
                                "recordings-index-too-large")
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
                          "recordings-index-field", loc=loc) from err
    ids = [e.id for e in index.recordings]
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise BundleError(f"{INDEX}: recording id {dup} is listed twice",
                          "recordings-index-duplicate", id=dup)
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
                          "recordings-index-missing")
    index = parse_index(members[INDEX], limits)
    if len(audio) > limits.max_count:
        raise BundleUnsafeError(f"{len(audio)} recordings (limit {limits.max_count})",
                                "recordings-too-many")
    listed = index.by_file()
    total = 0
    for name in audio:
        size = len(members[name])
        total += size
        if size > limits.max_file_bytes:
            raise BundleUnsafeError(f"{name}: {size:,} bytes (limit {limits.max_file_bytes:,})",
                                    "recording-too-large", name=name)
        if name not in listed:
            raise BundleError(f"{name} is not listed in {INDEX}",
                              "recording-not-listed", name=name)
    if total > limits.max_total_bytes:
        raise BundleUnsafeError(f"recordings hold {total:,} bytes (limit {limits.max_total_bytes:,})",
                                "recordings-too-large")
    missing = sorted(set(listed) - set(audio))
    if missing:
        raise BundleError(f"{INDEX} lists {missing[0]}, which is not in the bundle",
                          "recording-listed-missing", name=missing[0])
    return index
