"""Streamed LLM text cut into speakable sentences.

Owns ``SentenceSplitter`` (feed token text, get complete sentences back; "5.000 đồng" and
"01/7/2025" never split; a long open sentence is cut at a comma so speech can start) and
``clean_sentence`` (drops markdown, list bullets and "Trả lời:" leads a small model adds).
"""

from __future__ import annotations

import re

_MARKDOWN = re.compile(r"\*\*|__|`|^#+\s*|^\s*[-*•]\s+|^\s*\d+[.)]\s+", re.MULTILINE)
_LEADS = re.compile(r"^(?:trả lời|câu trả lời|đáp)\s*:\s*", re.IGNORECASE)


def clean_sentence(text: str) -> str:
    s = _MARKDOWN.sub("", text)
    s = _LEADS.sub("", s.strip())
    return " ".join(s.split())


class SentenceSplitter:
    """Feed streamed text; get back complete sentences (ended by . ! ? … then a space, or a newline).

    "5.000 đồng" and "01/7/2025" never split (the dot is followed by a digit). A sentence still
    open after ``max_chars`` is cut after its last ";" "," or ":" so speech can start.
    """

    _END = re.compile(r"[.!?…]+(?=\s)|\n+")
    _SOFT = re.compile(r"[;:,](?=\s)")

    def __init__(self, max_chars: int = 110) -> None:
        self._buf = ""
        self.max_chars = max_chars

    def feed(self, text: str) -> list[str]:
        self._buf += text
        out: list[str] = []
        while True:
            m = self._END.search(self._buf)
            end = m.end() if m else 0
            if m is None and len(self._buf) > self.max_chars:
                soft = [s.end() for s in self._SOFT.finditer(self._buf) if s.end() >= 30]
                end = soft[-1] if soft else 0
            if not end:
                return out
            sentence = clean_sentence(self._buf[:end].strip())
            self._buf = self._buf[end:]
            if len(sentence) > 1:
                out.append(sentence)

    def flush(self) -> str:
        rest, self._buf = clean_sentence(self._buf), ""
        return rest if len(rest) > 1 else ""
