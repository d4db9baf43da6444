"""The hidden way out of kiosk mode: a tap gesture in a corner, then the staff PIN. No Kivy import."""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk_app.pin import verify_pin


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
    """Checks the staff PIN; after ``max_tries`` wrong PINs it refuses for ``lock_s`` seconds."""

    pin_hash: str
    max_tries: int = 3
    lock_s: float = 60.0
    _wrong: int = 0
    _locked_until: float = 0.0

    @property
    def enabled(self) -> bool:
        return bool(self.pin_hash)  # empty hash: the staff screen is disabled

    def locked(self, now: float) -> bool:
        return now < self._locked_until

    def check(self, pin: str, now: float) -> bool:
        if not self.enabled or self.locked(now):
            return False
        if verify_pin(pin, self.pin_hash):
            self._wrong = 0
            return True
        self._wrong += 1
        if self._wrong >= self.max_tries:
            self._wrong = 0
            self._locked_until = now + self.lock_s
        return False
