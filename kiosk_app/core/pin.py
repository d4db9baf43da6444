"""Staff PIN: memory-hard hashing, trivial-PIN refusal. The PIN itself is never stored or logged.

Hash format ``scrypt$<log2 N>$<r>$<p>$<salt b64>$<digest b64>``. The parameters are sized for a
Raspberry Pi: N=2^17, r=8 uses 128 MiB and ~0.5-1 s per try, so guessing every 6-digit PIN offline
from a stolen ``kiosk.toml`` takes days of CPU, not minutes. The first format (``scrypt$salt$digest``,
N=2^14) still verifies; ``needs_upgrade`` tells the caller to store a fresh hash after a success.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import itertools
import os
from dataclasses import dataclass

from kiosk_app.core.errors import PinHashError, PinWeakError

SCHEME = "scrypt"
N_LOG2, R, P = 17, 8, 1  # 128 * r * N bytes = 128 MiB
LEGACY = (14, 8, 1)  # "scrypt$salt$digest", before issue 17
MIN_DIGITS, MAX_DIGITS = 6, 12
_MAXMEM = 512 * 1024 * 1024  # hashlib's default (32 MiB) refuses N=2^17
_FIX = "set a new staff PIN: sudo kiosk provision --pin-file FILE (or run it and type the PIN)"


@dataclass(frozen=True, slots=True)
class PinHash:
    n_log2: int
    r: int
    p: int
    salt: bytes
    digest: bytes

    @property
    def current(self) -> bool:
        return (self.n_log2, self.r, self.p) == (N_LOG2, R, P)


def weak_reason(pin: str) -> str | None:
    """Why ``pin`` may not become the staff PIN (English, for the technician), or None if it may."""
    if not pin.isascii() or not pin.isdigit():
        return "the staff PIN must be digits only"
    if not MIN_DIGITS <= len(pin) <= MAX_DIGITS:
        return f"the staff PIN must be {MIN_DIGITS} to {MAX_DIGITS} digits (got {len(pin)})"
    if len(set(pin)) <= 2:
        return "the staff PIN uses only one or two different digits (like 000000 or 121212)"
    steps = {(int(b) - int(a)) % 10 for a, b in itertools.pairwise(pin)}
    if steps in ({1}, {9}):
        return "the staff PIN is a run of consecutive digits (like 123456 or 987654)"
    for size in range(2, len(pin) // 2 + 1):
        if len(pin) % size == 0 and pin == pin[:size] * (len(pin) // size):
            return f"the staff PIN repeats the block {pin[:size]!r}"
    if pin[: len(pin) // 2] == pin[len(pin) - len(pin) // 2:][::-1] and len(set(pin)) <= 3:
        return "the staff PIN is a mirrored pattern (like 123321)"
    return None


def hash_pin(pin: str, *, salt: bytes | None = None) -> str:
    """A fresh hash of ``pin``; raises PinWeakError for a PIN that may not be used."""
    reason = weak_reason(pin)
    if reason is not None:
        raise PinWeakError(f"{reason}; choose another one")
    return _hash(pin, salt)


def upgrade_hash(pin: str) -> str:
    """A hash with today's parameters for a PIN that just verified against an old hash; a PIN set
    before the trivial-PIN rules keeps working (provisioning asks for a new one)."""
    return _hash(pin, None)


def _hash(pin: str, salt: bytes | None) -> str:
    salt = os.urandom(16) if salt is None else salt
    digest = _scrypt(pin, salt, N_LOG2, R, P, 32)
    return "$".join((SCHEME, str(N_LOG2), str(R), str(P), _b64(salt), _b64(digest)))


def parse_hash(stored: str) -> PinHash:
    """Parse a stored hash; PinHashError (with the fix) when it is malformed. Empty is malformed too."""
    parts = stored.strip().split("$")
    try:
        if parts[0] != SCHEME:
            raise ValueError(f"unknown scheme {parts[0][:16]!r} (expected {SCHEME!r})")
        if len(parts) == 3:
            n_log2, r, p = LEGACY
            salt_b64, digest_b64 = parts[1:]
        elif len(parts) == 6:
            n_log2, r, p = (int(x) for x in parts[1:4])
            salt_b64, digest_b64 = parts[4:]
        else:
            raise ValueError(f"{len(parts)} '$'-separated fields (expected 6)")
        if not (10 <= n_log2 <= 20 and 1 <= r <= 16 and 1 <= p <= 4):
            raise ValueError(f"scrypt parameters out of range (N=2^{n_log2}, r={r}, p={p})")
        salt = base64.b64decode(salt_b64, validate=True)
        digest = base64.b64decode(digest_b64, validate=True)
        if not salt or not 16 <= len(digest) <= 64:
            raise ValueError(f"salt of {len(salt)} bytes, digest of {len(digest)} bytes")
    except (ValueError, binascii.Error, IndexError) as err:
        raise PinHashError(f"staff.pin_hash is malformed: {err}; {_FIX}") from err
    return PinHash(n_log2, r, p, salt, digest)


def verify_pin(pin: str, stored: str) -> bool:
    """True when ``pin`` matches ``stored``. An empty hash never matches (staff screen disabled);
    a malformed one raises PinHashError."""
    if not stored:
        return False
    h = parse_hash(stored)
    if not pin.isascii() or not pin.isdigit() or len(pin) > MAX_DIGITS:
        return False
    got = _scrypt(pin, h.salt, h.n_log2, h.r, h.p, len(h.digest))
    return hmac.compare_digest(got, h.digest)


def needs_upgrade(stored: str) -> bool:
    """True for a valid hash made with older (weaker) parameters."""
    try:
        return bool(stored) and not parse_hash(stored).current
    except PinHashError:
        return False


def _scrypt(pin: str, salt: bytes, n_log2: int, r: int, p: int, dklen: int) -> bytes:
    return hashlib.scrypt(pin.encode(), salt=salt, n=2**n_log2, r=r, p=p, dklen=dklen, maxmem=_MAXMEM)


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode()
