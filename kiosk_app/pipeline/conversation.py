"""What the kiosk answered last, so a follow-up question ("thế còn lệ phí?") stays on that procedure.

The pipeline asks ``context(language)`` before a question and ``remember(answer, epoch)`` after it;
the UI starts a new conversation ("Hỏi câu khác", the language button, the idle reset) through the
worker. Thread-safe: the UI thread may start a new conversation while the pipeline thread answers,
and an answer that began before it never becomes the context afterwards (the epoch changed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from knowledge.types import Answer, Conversation, Verdict


class ConversationMemory:
    def __init__(self, max_age_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_age_s = max_age_s  # older answers are not followed up (the kiosk's idle reset time)
        self.clock = clock
        self._last: Conversation | None = None
        self._epoch = 0
        self._slow_at: float | None = None  # last time the slow resident was active
        self._lock = threading.Lock()

    @property
    def last(self) -> Conversation | None:
        return self._last

    def slow_down(self) -> None:
        """"Nói chậm hơn" was pressed: this resident gets the long end-of-turn wait (issue 19)."""
        with self._lock:
            self._slow_at = self.clock()

    @property
    def slow(self) -> bool:
        """The resident who pressed "Nói chậm hơn" is still here: it stays on through "Hỏi câu
        khác" and lasts until ``max_age_s`` (the idle reset) passes without a question from them.
        Reading it counts as their activity (the pipeline reads it when a question starts)."""
        with self._lock:
            if self._slow_at is None:
                return False
            now = self.clock()
            if now - self._slow_at > self.max_age_s:
                self._slow_at = None
                return False
            self._slow_at = now
            return True

    def new(self) -> None:
        """Forget the last procedure: the next question is not a follow-up."""
        with self._lock:
            self._last = None
            self._epoch += 1

    def context(self, language: str) -> tuple[int, Conversation | None]:
        """(epoch, the last answered procedure if it is recent and in this language)."""
        with self._lock:
            last, epoch = self._last, self._epoch
        if last is None or last.language != language or self.clock() - last.at > self.max_age_s:
            return epoch, None
        return epoch, last

    def remember(self, answer: Answer, epoch: int) -> None:
        """After an answer about a procedure (a referral keeps the earlier one)."""
        if answer.verdict is not Verdict.ANSWER or not answer.procedure_id:
            return
        with self._lock:
            if epoch == self._epoch:  # no new conversation since the question began
                self._last = Conversation(answer.procedure_id, answer.language or "vi", self.clock())
