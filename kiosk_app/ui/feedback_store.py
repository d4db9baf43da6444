"""What residents thought of the answers, for ward staff: ratings per procedure and the questions the
kiosk could not answer (or that were rated "chưa hài lòng").

Privacy: text only (no audio, no names asked). Before a question is stored (``scrub``), anything that
could identify a person is replaced by "…": runs of 6 or more digits with any separators ("0912 345
678", "0912/345/678"), the same spoken as words as speech recognition writes them ("không chín một
hai ba bốn…", "zero nine one two…"), e-mail addresses, and a name after a form of address ("ông Nguyễn
Văn A"); the text is cut to ``MAX_QUESTION_CHARS``. Nothing is kept longer than
``feedback.retention_days`` (default 90), and what staff export is deleted from the kiosk. One sqlite3
file in ``data_dir``; each call opens its own short connection, so the UI thread and the worker can
both use one store.
"""

from __future__ import annotations

import contextlib
import csv
import logging
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

log = logging.getLogger(__name__)

RATINGS = ("hai-long", "binh-thuong", "chua-hai-long")
RATING_VI = {"hai-long": "Hài lòng", "binh-thuong": "Bình thường", "chua-hai-long": "Chưa hài lòng"}
REASONS_VI = {"no-match": "không tìm thấy thủ tục", "chua-hai-long": "người hỏi chưa hài lòng",
              "out-of-scope": "ngoài phạm vi", "below-threshold": "chưa đủ chắc chắn"}
MAX_QUESTION_CHARS = 300
RETENTION_DAYS = 90  # settings: [feedback] retention_days
FILE_NAME = "feedback.sqlite3"
# 6+ digits with any separators: "0912 345 678", "0912/345/678", "001.099.012.345", "+84 912345678"
_NUMBER_RUN = re.compile(r"\+?\d(?:[\s./,\-_()]*\d){5,}")
_DATE = re.compile(r"\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")  # "01/7/2025" is kept: staff need dates
# the same spoken: 6+ number words in a row (an amount like "hai trăm năm mươi nghìn" has 5)
_NUMBER_WORDS = (
    "không một hai ba bốn tư năm lăm nhăm sáu bảy bẩy tám chín mười mươi linh lẻ trăm nghìn ngàn triệu "
    "zero oh one two three four five six seven eight nine ten double triple hundred thousand")
_SPOKEN_NUMBER = re.compile(r"(?<!\w)(?:(?:" + "|".join(_NUMBER_WORDS.split()) + r")(?:[\s,.\-]+|$)){6,}",
                            re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+\-]+\s*(?:@|\(at\)| a còng | at )\s*[\w\-]+(?:\s*(?:\.|chấm|dot)\s*[\w\-]+)+",
                    re.IGNORECASE)
# a name after a form of address: "ông Nguyễn Văn A", "chị Lan" (typed names are capitalised)
_ADDRESS = re.compile(r"\b(ông|bà|anh|chị|cô|chú|bác|em|cháu|mr\.?|mrs\.?|ms\.?|miss)((?:\s+\w+){1,4})",
                      re.IGNORECASE)


def _hide_name(m: re.Match[str]) -> str:
    words = m.group(2).split()
    n = next((i for i, w in enumerate(words) if not w[0].isupper()), len(words))
    return m.group(0) if n == 0 else " ".join([m.group(1), "…", *words[n:]])

_SCHEMA = """
CREATE TABLE IF NOT EXISTS ratings (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, procedure_id TEXT, rating TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS unanswered (
    id INTEGER PRIMARY KEY, at TEXT NOT NULL, question TEXT NOT NULL, reason TEXT NOT NULL);
"""


def scrub(text: str) -> str:
    """Remove what could identify a person: phone, CCCD or account numbers in digits or words, e-mail
    addresses, names after a form of address."""
    clean = _EMAIL.sub("… ", text)
    clean = _NUMBER_RUN.sub(lambda m: m.group(0) if _DATE.fullmatch(m.group(0)) else "…", clean)
    clean = _SPOKEN_NUMBER.sub("… ", clean)
    clean = _ADDRESS.sub(_hide_name, clean)
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
    def __init__(self, path: Path, retention_days: int = RETENTION_DAYS) -> None:
        """``path``: the sqlite file, or a folder (then ``feedback.sqlite3`` inside it). Rows older
        than ``retention_days`` are deleted now (the kiosk opens the store at every start)."""
        path = Path(path)
        self.path = path / FILE_NAME if path.is_dir() else path
        self.path.parent.mkdir(parents=True, exist_ok=True)
        cutoff = (datetime.now(UTC) - timedelta(days=retention_days)).isoformat(timespec="seconds")
        with self._db() as db:
            db.executescript(_SCHEMA)
            gone = sum(db.execute(f"DELETE FROM {t} WHERE at < ?", (cutoff,)).rowcount
                       for t in ("ratings", "unanswered"))
        if gone:
            log.info("feedback: %d entries older than %d days deleted", gone, retention_days)

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
        """Write one CSV (UTF-8 with BOM, so Excel shows Vietnamese correctly) into ``dest_dir``, then
        delete from the kiosk what was written (it now lives on the stick, with the ward)."""
        dest_dir = Path(dest_dir)
        dest_dir.mkdir(parents=True, exist_ok=True)
        with self._db() as db:  # rows added while writing stay for the next export
            last = [db.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}").fetchone()[0]
                    for t in ("ratings", "unanswered")]
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
        with self._db() as db:  # only rows that existed before the CSV was written
            db.execute("DELETE FROM ratings WHERE id <= ?", (last[0],))
            db.execute("DELETE FROM unanswered WHERE id <= ?", (last[1],))
        log.info("feedback exported to %s and deleted from the kiosk", path)
        return path
