"""The hidden way out of kiosk mode: a tap gesture in a corner, then the staff PIN. No Kivy import."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from kiosk_app.core.errors import PinHashError, storage_error
from kiosk_app.core.pin import needs_upgrade, parse_hash, upgrade_hash, verify_pin

log = logging.getLogger(__name__)


@dataclass
class AdminGesture:
    """``taps`` taps in the top-left corner within ``window_s`` seconds open the PIN pad."""

    taps: int = 5
    window_s: float = 4.0
    corner_px: float = 120.0
    _times: list[float] = field(default_factory=list)

    def tap(self, x: float, y: float, width: float, height: float, now: float) -> bool:
        """Feed every touch (window coordinates, origin bottom-left). True when the gesture completes."""
        if not (x <= self.corner_px and y >= height - self.corner_px):
            self._times.clear()
            return False
        self._times = [t for t in self._times if now - t <= self.window_s] + [now]
        if len(self._times) >= self.taps:
            self._times.clear()
            return True
        return False


@dataclass
class PinGate:
    """Checks the staff PIN with an escalating lockout kept on disk (a restart does not reset it).

    From the ``max_tries``-th wrong PIN in a row, every wrong PIN locks the pad for ``lock_s`` seconds,
    doubling each time up to ``max_lock_s`` (60 s, 2 min, 4 min, … 1 h); only the right PIN resets the
    count. ``now`` is wall-clock time (``time.time()``), so a lock survives a reboot. A hash with the
    old scrypt parameters is upgraded on a successful check and kept in the state file (the settings
    file is read-only to the service). A malformed hash disables the gate and says why in ``problem``.
    """

    pin_hash: str
    state_path: Path | None = None
    max_tries: int = 3
    lock_s: float = 60.0
    max_lock_s: float = 3600.0
    problem: str = ""
    _wrong: int = 0
    _locked_until: float = 0.0
    _upgraded: str = ""

    def __post_init__(self) -> None:
        if self.pin_hash:
            try:
                parse_hash(self.pin_hash)
            except PinHashError as exc:
                self.problem = f"[{exc.code}] {exc}"
                log.error("staff screen disabled: %s", exc)
                self.pin_hash = ""
        self._load()

    @property
    def enabled(self) -> bool:
        return bool(self.pin_hash)  # empty (or malformed) hash: the staff screen is disabled

    @property
    def effective_hash(self) -> str:
        return self._upgraded or self.pin_hash

    def locked(self, now: float) -> bool:
        return now < self._locked_until

    def remaining(self, now: float) -> float:
        return max(0.0, self._locked_until - now)

    def lock_for(self, wrong: int) -> float:
        """Seconds locked after ``wrong`` wrong PINs in a row (0 below ``max_tries``)."""
        if wrong < self.max_tries:
            return 0.0
        return float(min(self.max_lock_s, self.lock_s * 2 ** min(wrong - self.max_tries, 30)))

    def check(self, pin: str, now: float) -> bool:
        if not self.enabled or self.locked(now):
            return False
        if verify_pin(pin, self.effective_hash):
            self._wrong, self._locked_until = 0, 0.0
            if needs_upgrade(self.effective_hash):
                self._upgraded = upgrade_hash(pin)
            self._save()
            return True
        self._wrong += 1
        lock = self.lock_for(self._wrong)
        if lock:
            self._locked_until = now + lock
            log.warning("staff PIN locked for %.0f s after %d wrong PINs", lock, self._wrong)
        self._save()
        return False

    # ---- persistence (JSON, 0600, atomic) ------------------------------------------------------
    def _origin(self) -> str:
        return hashlib.sha256(self.pin_hash.encode()).hexdigest()[:16]

    def _load(self) -> None:
        if self.state_path is None or not self.enabled:
            return
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
            if data.get("origin") != self._origin():  # a new PIN was provisioned: start afresh
                return
            self._wrong = int(data.get("wrong", 0))
            self._locked_until = float(data.get("locked_until", 0.0))
            upgraded = str(data.get("upgraded", ""))
            if upgraded:
                parse_hash(upgraded)
            self._upgraded = upgraded
        except FileNotFoundError:
            return
        except (OSError, ValueError, TypeError, AttributeError, PinHashError) as exc:
            # unreadable or damaged state: be strict (locked once), never crash the kiosk
            log.error("staff PIN state %s unusable (%s): locked for %.0f s", self.state_path,
                      type(exc).__name__, self.lock_s)
            self._wrong, self._locked_until = self.max_tries, time.time() + self.lock_s

    def _save(self) -> None:
        if self.state_path is None:
            return
        data = {"origin": self._origin(), "wrong": self._wrong, "locked_until": self._locked_until,
                "upgraded": self._upgraded}
        tmp = self.state_path.with_name(self.state_path.name + ".tmp")
        try:
            self.state_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f)
            os.replace(tmp, self.state_path)
        except OSError as exc:  # full disk, read-only: the lock still holds in memory
            log.error("cannot save the staff PIN state: %s", storage_error(exc, self.state_path,
                                                                            "PIN state file"))
