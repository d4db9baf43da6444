"""What residents thought of the answers, for ward staff: ratings per procedure and the questions the
kiosk could not answer (or that were rated "chưa hài lòng").

Privacy: text only (no audio, no names asked). Before a question is stored, anything that looks like a
phone number or an ID number (runs of 6 or more digits, also written with spaces, dots or dashes) is
replaced by "…", and the text is cut to ``MAX_QUESTION_CHARS``. One sqlite3 file in ``data_dir``;
each call opens its own short connection, so the UI thread and the worker can both use one store.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

log = logging.getLogger(__name__)

RATINGS = ("hai-long", "binh-thuong", "chua-hai-long")
RATING_VI = {"hai-long": "Hài lòng", "binh-thuong": "Bình thường", "chua-hai-long": "Chưa hài lòng"}
REASONS_VI = {"no-match": "không tìm thấy thủ tục", "chua-hai-long": "người hỏi chưa hài lòng",
              "out-of-scope": "ngoài phạm vi", "below-threshold": "chưa đủ chắc chắn"}
MAX_QUESTION_CHARS = 300
FILE_NAME = "feedback.sqlite3"
# 6+ digits, possibly grouped by spaces, dots or dashes: "0912 345 678", "001.099.012.345", "+84 912345678"
_NUMBER_RUN = re.compile(r"\+?\d(?:[\s.\-]?\d){5,}")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, procedure_id TEXT, rating TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, question TEXT NOT NULL, reason TEXT NOT NULL);
"""


def scrub(text: str) -> str:
    """Remove what could identify a person: long digit runs (phone, CCCD, account numbers)."""
    clean = _NUMBER_RUN.sub("…", text)
    clean = " ".join(clean.split())
    return clean[:MAX_QUESTION_CHARS]


@dataclass(frozen=True, slots=True)
class Unanswered:
    at: str
    question: str
    reason: str


@dataclass(frozen=True, slots=True)
class RatingCounts:
    procedure_id: str | None  # None = rating given without a procedure (e.g. after a referral)
    hai_long: int
    binh_thuong: int
    chua_hai_long: int

    @property
    def total(self) -> int:
        return self.hai_long + self.binh_thuong + self.chua_hai_long


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        """``path``: the sqlite file, or a folder (then ``feedback.sqlite3`` inside it)."""
        path = Path(path)
        self.path = path / FILE_NAME if path.is_dir() else path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._db() as db:
            db.executescript(_SCHEMA)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=5)
        try:
            with db:  # commit or roll back
                yield db
        finally:
            db.close()

    @staticmethod
    def _now() -> str:
        return datetime.now(UTC).isoformat(timespec="seconds")

    def add_rating(self, procedure_id: str | None, rating: str) -> None:
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {RATINGS}, not {rating!r}")
        with self._db() as db:
            db.execute("INSERT INTO ratings (at, procedure_id, rating) VALUES (?, ?, ?)",
                       (self._now(), procedure_id, rating))
        log.info("rating %s for %s", rating, procedure_id)

    def add_unanswered(self, question: str, reason: str) -> None:
        text = scrub(question)
        if not text:
            return
        with self._db() as db:
            db.execute("INSERT INTO unanswered (at, question, reason) VALUES (?, ?, ?)",
                       (self._now(), text, reason[:40]))
        log.debug("unanswered question stored (%s): %r", reason, text)

    def unanswered(self, limit: int = 100) -> list[Unanswered]:
        with self._db() as db:
            rows = db.execute("SELECT at, question, reason FROM unanswered ORDER BY id DESC LIMIT ?",
                              (limit,)).fetchall()
        return [Unanswered(*r) for r in rows]

    def ratings_by_procedure(self) -> list[RatingCounts]:
        """Counts per procedure, most rated first."""
        with self._db() as db:
            rows = db.execute(
                "SELECT procedure_id, SUM(rating='hai-long'), SUM(rating='binh-thuong'), "
                "SUM(rating='chua-hai-long') FROM ratings GROUP BY procedure_id "
                "ORDER BY COUNT(*) DESC, procedure_id").fetchall()
        return [RatingCounts(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows]

    def counts(self) -> dict[str, int]:
        with self._db() as db:
            ratings = dict(db.execute("SELECT rating, COUNT(*) FROM ratings GROUP BY rating").fetchall())
            unanswered = db.execute("SELECT COUNT(*) FROM unanswered").fetchone()[0]
        return {**{r: int(ratings.get(r, 0)) for r in RATINGS}, "unanswered": int(unanswered)}

    def export_csv(self, dest_dir: Path) -> Path:
        """Write one CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly) into ``dest_dir``."""
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        path = dest_dir / f"phan-hoi-kiosk-{stamp}.csv"
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["loại", "thời điểm (UTC)", "thủ tục", "hài lòng", "bình thường", "chưa hài lòng",
                        "câu hỏi", "lý do"])
            for c in self.ratings_by_procedure():
                w.writerow(["đánh giá", "", c.procedure_id or "", c.hai_long, c.binh_thuong, c.chua_hai_long,
                            "", ""])
            for u in self.unanswered(limit=100_000):
                w.writerow(["câu hỏi chưa trả lời được", u.at, "", "", "", "", u.question,
                            REASONS_VI.get(u.reason, u.reason)])
            fh.flush()
        tmp.replace(path)
        log.info("feedback exported to %s", path)
        return path
