"""The kiosk's English voice: answer openings synthesised ahead of time, so it starts speaking at once.

Piper takes a noticeable moment to synthesise the first piece of an answer. Most
English answers open with one of a few dozen pieces ("Birth registration:", "According to reference
information,"), so ``PhraseCache`` wraps the English synthesizer: ``prefill`` (a background thread at
start-up) synthesises the short first pieces of every answer the bundle can give, and
``synthesize`` replays a cached first piece immediately, then synthesises the rest as usual.

Only normal-speed speech is cached ("Nói chậm hơn"/"Speak slower" goes to the engine). Pieces are cut
exactly as the engine cuts them (``speech.tts.sentences.split_sentences`` with the same
``first_max_chars``). Attributes the health check reads (``degraded``, ``reason``) come from the
wrapped synthesizer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from speech.tts.base import AudioChunk, Synthesizer
from speech.tts.sentences import split_sentences

log = logging.getLogger(__name__)

MAX_PIECE_CHARS = 80  # covers 80% of the sample answers; longer first pieces are rare


class PhraseCache:
    def __init__(self, inner: Synthesizer, *, first_max_chars: int, max_piece_chars: int = MAX_PIECE_CHARS,
                 normalizer: Callable[[str], str] | None = None) -> None:
        self.inner = inner
        self.normalizer = normalizer  # the spoken form (applied before cutting and caching)
        self.language = inner.language
        self.first_max_chars = first_max_chars
        self.max_piece_chars = max_piece_chars
        self._cache: dict[str, tuple[AudioChunk, ...]] = {}
        self._lock = threading.Lock()
        self.hits = 0

    @property
    def name(self) -> str:
        return self.inner.name

    def __getattr__(self, attr: str) -> Any:  # degraded, reason, ... of the wrapped engine
        return getattr(self.inner, attr)

    def _spoken(self, text: str) -> str:
        return self.normalizer(text) if self.normalizer is not None else text

    def first_piece(self, text: str) -> str:
        pieces = split_sentences(text, first_max_chars=self.first_max_chars)
        return pieces[0] if pieces else ""

    def prefill(self, texts: Iterable[str], cancel: threading.Event | None = None) -> int:
        """Synthesise the first piece of each text (short ones, once each); returns how many were added."""
        added = 0
        for text in texts:
            if cancel is not None and cancel.is_set():
                break
            piece = self.first_piece(self._spoken(text))
            if not piece or len(piece) > self.max_piece_chars:
                continue
            with self._lock:
                if piece in self._cache:
                    continue
            chunks = tuple(self.inner.synthesize(piece))
            with self._lock:
                self._cache[piece] = chunks
            added += 1
        log.info("%s voice: %d answer openings ready", self.language, len(self._cache))
        return added

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    def synthesize(self, text: str, *, rate: float = 1.0) -> Iterator[AudioChunk]:
        text = self._spoken(text)
        piece = self.first_piece(text) if rate == 1.0 else ""
        with self._lock:
            cached = self._cache.get(piece) if piece else None
        if cached is None:
            yield from self.inner.synthesize(text, rate=rate)
            return
        self.hits += 1
        yield from cached
        start = text.find(piece)
        rest = text[start + len(piece):].strip() if start >= 0 else ""
        if rest:
            yield from self.inner.synthesize(rest, rate=rate)

    def close(self) -> None:
        with self._lock:
            self._cache.clear()
        self.inner.close()
