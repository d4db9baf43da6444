"""Recorded sentences: find the clerk's recording of a sentence the kiosk is about to say.

The unit of recording is one element of ``Answer.sentences``. A recording is found by
``sentence_key(text)``: the sha256 of the sentence after NFC normalisation, with whitespace
collapsed and stripped. The bundle's index stores that key for each recording (``text_sha256``),
so an edited sentence gets a new key and its old recording is stale: never found, never played.

``RecordingSet.clip(text, language)`` gives a ``Clip`` (decoded 16-bit mono PCM, silence trimmed,
levelled to −20 dBFS active speech level: ``knowledge.recordings.audio``) or ``None`` when no fresh
recording exists. A sentence the answerers composed from several items ("Đăng ký khai tử: khai tử
làm ở …", "Theo thông tin tham khảo, …", "Cần mang: a; b; c.") is split back into its items
(``decompose``) and, when every item has a fresh recording, played as one clip: the items back to
back with ``JOIN_GAP_S`` between them; its ``sentence_id`` is the items' ids joined by "+".
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from knowledge.recordings.inventory import Item, inventory
from knowledge.recordings.sentences import decompose, loose, sentence_key

if TYPE_CHECKING:
    from knowledge.bundle.schema import Bundle, Record

log = logging.getLogger(__name__)

JOIN_GAP_S = 0.12  # between the items of one composed sentence (a comma's pause)


@dataclass(frozen=True, slots=True)
class Clip:
    pcm16: bytes  # 16-bit little-endian mono PCM
    sample_rate: int
    sentence_id: str


@dataclass(frozen=True, slots=True)
class Coverage:
    total: int  # inventory items (what the kiosk can say)
    recorded: int  # items with a fresh recording
    stale: int  # recordings whose sentence was edited
    orphaned: int  # recordings bound to a sentence that no longer exists
    broken: int = 0  # recordings that failed their check (``probe``) or decoding: never played

    @property
    def missing(self) -> int:
        return self.total - self.recorded

    @property
    def fraction(self) -> float:
        return self.recorded / self.total if self.total else 0.0


class RecordingSet:
    """The fresh recordings of one bundle. Thread-safe; clips are decoded on first use and kept."""

    def __init__(self, items: Sequence[Item], entries: Sequence[object],
                 read: Callable[[str], bytes], *, max_duration_s: float = 30.0) -> None:
        from knowledge.recordings.members import Entry

        self.items = list(items)
        self._read = read
        self._max_duration_s = max_duration_s
        current = {(i.language, i.id): sentence_key(i.text) for i in self.items}
        self.entries: list[Entry] = [e for e in entries if isinstance(e, Entry)]
        self.fresh: dict[tuple[str, str], Entry] = {}
        self.stale: list[Entry] = []
        self.orphaned: list[Entry] = []
        for e in self.entries:
            now = current.get((e.language, e.id))
            if now is None:
                self.orphaned.append(e)
            elif now != e.text_sha256 or sentence_key(e.text) != e.text_sha256:
                self.stale.append(e)
            else:
                self.fresh[(e.language, e.text_sha256)] = e
        self._loose: dict[str, dict[str, Item]] = {}
        for i in self.items:
            self._loose.setdefault(i.language, {}).setdefault(loose(i.text), i)
        self._lock = threading.Lock()
        self._cache: dict[str, Clip | None] = {}
        self.broken: dict[str, str] = {}  # sentence id -> why it is never played

    @classmethod
    def empty(cls) -> RecordingSet:
        return cls([], [], lambda name: b"")

    @classmethod
    def open(cls, bundle_dir: Path, languages: Sequence[str] = ("vi", "en")) -> RecordingSet:
        """The recordings of an unpacked bundle (``data_dir/bundles/current``); the inventory is
        built from its records. A bundle without recordings gives an empty set with the inventory."""
        from knowledge.bundle.schema import read_bundle_dir

        return cls.of_bundle(Path(bundle_dir), read_bundle_dir(Path(bundle_dir)), languages)

    @classmethod
    def of_bundle(cls, bundle_dir: Path, bundle: Bundle,
                  languages: Sequence[str] = ("vi", "en")) -> RecordingSet:
        """``open`` for a bundle already read (the kiosk's open knowledge: no second read)."""
        from knowledge.recordings.members import INDEX, parse_index

        items = [i for lang in languages for i in inventory(bundle.records.values(), lang)]
        index_path = bundle_dir / INDEX
        entries = (parse_index(index_path.read_bytes()).recordings
                   if INDEX in bundle.manifest.files and index_path.is_file() else ())
        return cls(items, entries, lambda name: (bundle_dir / name).read_bytes())

    @classmethod
    def from_members(cls, records: Sequence[Record], members: Mapping[str, bytes],
                     languages: Sequence[str] = ("vi", "en")) -> RecordingSet:
        """The recordings of a bundle file's members or a source folder's (``read_source``)."""
        from knowledge.recordings.members import INDEX, parse_index

        items = [i for lang in languages for i in inventory(records, lang)]
        entries = parse_index(members[INDEX]).recordings if INDEX in members else ()
        return cls(items, entries, lambda name: members[name])

    # ---- lookup ----------------------------------------------------------------------------------
    def clip(self, text: str, language: str = "vi") -> Clip | None:
        """The recording of ``text`` (one element of ``Answer.sentences``), or None."""
        entry = self.fresh.get((language, sentence_key(text)))
        if entry is not None:
            return self._decoded(entry)
        known = self._loose.get(language)
        if not known:
            return None
        parts = decompose(text, known)
        if not parts or len(parts) < 2:
            if parts:  # the item itself, written another way ("tờ khai …" for "Tờ khai ….")
                e = self.fresh.get((language, sentence_key(parts[0].text)))
                return self._decoded(e) if e is not None else None
            return None
        clips: list[Clip] = []
        for item in parts:
            e = self.fresh.get((language, sentence_key(item.text)))
            c = self._decoded(e) if e is not None else None
            if c is None:
                return None
            clips.append(c)
        return _join(clips)

    def has(self, text: str, language: str = "vi") -> bool:
        """Whether ``clip`` would find a recording (without decoding it)."""
        def ok(t: str) -> bool:
            e = self.fresh.get((language, sentence_key(t)))
            return e is not None and e.id not in self.broken

        if ok(text):
            return True
        parts = decompose(text, self._loose.get(language, {}))
        return bool(parts) and all(ok(i.text) for i in parts or ())

    def _decoded(self, entry: object) -> Clip | None:
        from knowledge.recordings.audio import AudioProblem, decode_ogg, prepare
        from knowledge.recordings.members import Entry

        assert isinstance(entry, Entry)
        with self._lock:
            if entry.id in self._cache:
                return self._cache[entry.id]
        clip: Clip | None = None
        try:
            dec = decode_ogg(self._read(entry.file), entry.file, max_duration_s=self._max_duration_s)
            pcm = prepare(dec.samples, dec.sample_rate)
            clip = Clip(pcm.tobytes(), dec.sample_rate, entry.id)
        except (AudioProblem, OSError) as err:
            with self._lock:
                self.broken[entry.id] = str(err)
            log.warning("recording %s is never played: %s", entry.id, err)
        with self._lock:
            self._cache[entry.id] = clip
        return clip

    def probe(self) -> int:
        """Check every fresh recording's header (container, codec, channels, length) without decoding
        it (~1 ms each); a failing one joins ``broken`` and is never played. Returns how many failed."""
        from knowledge.recordings.audio import AudioProblem, decode_ogg

        for e in list(self.fresh.values()):
            if e.id in self.broken:
                continue
            try:
                decode_ogg(self._read(e.file), e.file, max_duration_s=self._max_duration_s, header_only=True)
            except (AudioProblem, OSError) as err:
                with self._lock:
                    self.broken[e.id] = str(err)
                    self._cache[e.id] = None
        return len(self.broken)

    def preload(self, stop: threading.Event | None = None) -> int:
        """Decode every fresh recording now (a background thread at start-up); returns how many."""
        n = 0
        for e in list(self.fresh.values()):
            if stop is not None and stop.is_set():
                break
            n += self._decoded(e) is not None
        return n

    # ---- figures ---------------------------------------------------------------------------------
    def status(self, item: Item) -> str:
        """"recorded", "broken" (found undecodable: never played), "stale" or "missing"."""
        entry = self.fresh.get((item.language, sentence_key(item.text)))
        if entry is not None:
            return "broken" if entry.id in self.broken else "recorded"
        if any(e.id == item.id and e.language == item.language for e in self.stale):
            return "stale"
        return "missing"

    def coverage(self, language: str | None = "vi") -> Coverage:
        items = [i for i in self.items if language is None or i.language == language]
        playable = {k for k, e in self.fresh.items() if e.id not in self.broken}
        recorded = sum((i.language, sentence_key(i.text)) in playable for i in items)
        langs = {i.language for i in items} if language is None else {language}
        return Coverage(total=len(items), recorded=recorded,
                        stale=sum(e.language in langs for e in self.stale),
                        orphaned=sum(e.language in langs for e in self.orphaned),
                        broken=sum(e.language in langs for e in self.fresh.values() if e.id in self.broken))


def _join(clips: Sequence[Clip]) -> Clip:
    import numpy as np

    from knowledge.recordings.audio import resample_int16

    rate = max(c.sample_rate for c in clips)
    gap = np.zeros(int(JOIN_GAP_S * rate), dtype=np.int16)
    parts: list[np.ndarray] = []
    for i, c in enumerate(clips):
        x = np.frombuffer(c.pcm16, dtype=np.int16)
        if c.sample_rate != rate:
            x = resample_int16(x, c.sample_rate, rate)
        if i:
            parts.append(gap)
        parts.append(x)
    return Clip(np.concatenate(parts).tobytes(), rate, "+".join(c.sentence_id for c in clips))
