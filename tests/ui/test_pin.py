"""The staff PIN as a technician sets it and as someone at the screen (or with a stolen SD card)
tries it: trivial PINs refused, a memory-hard hash, an escalating lockout that a restart does not
reset, old hashes still accepted and upgraded, a damaged hash named precisely."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import time
from pathlib import Path

import pytest

from kiosk_app.core.errors import ErrorCode, PinHashError, PinWeakError
from kiosk_app.core.pin import hash_pin, needs_upgrade, parse_hash, verify_pin, weak_reason
from kiosk_app.ui.admin import PinGate

PIN = "246813"


@pytest.mark.parametrize(("pin", "refused"), [
    ("0000", True), ("1234", True), ("12345", True),  # too short (and trivial)
    ("000000", True), ("111111", True), ("121212", True), ("112211", True),  # one or two digits
    ("123456", True), ("654321", True), ("890123", True), ("3456789012", True),  # runs
    ("123123", True), ("147147", True), ("90219021", True),  # a repeated block
    ("123321", True),  # mirrored
    ("12a456", True), ("１２３４５６", True), ("", True), ("1234567890123", True),
    (PIN, False), ("135792", False), ("582046", False), ("90817263", False), ("739154", False),
])
def test_trivial_pins_are_refused(pin: str, refused: bool) -> None:
    assert (weak_reason(pin) is not None) == refused
    if refused:
        with pytest.raises(PinWeakError) as info:
            hash_pin(pin)
        assert info.value.code is ErrorCode.PIN_WEAK


def test_hash_is_scrypt_2_17_and_verifies(capsys: pytest.CaptureFixture[str]) -> None:
    t0 = time.perf_counter()
    stored = hash_pin(PIN)
    seconds = time.perf_counter() - t0
    h = parse_hash(stored)
    assert (h.n_log2, h.r, h.p) == (17, 8, 1) and len(h.salt) == 16 and len(h.digest) == 32
    assert stored.startswith("scrypt$17$8$1$") and PIN not in stored
    assert verify_pin(PIN, stored) and not verify_pin("246814", stored)
    assert hash_pin(PIN) != stored  # a fresh salt each time
    assert not needs_upgrade(stored)
    with capsys.disabled():
        print(f"\n  scrypt N=2^17 r=8 (128 MiB): {seconds * 1000:.0f} ms per PIN on this machine")


def _legacy_hash(pin: str) -> str:
    """A hash as provisioning wrote it before issue 17 (scrypt N=2^14, ``scrypt$salt$digest``)."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(pin.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    return f"scrypt${base64.b64encode(salt).decode()}${base64.b64encode(digest).decode()}"


def test_old_hash_still_verifies_and_is_upgraded_on_success(tmp_path: Path) -> None:
    old = _legacy_hash("2468")  # 4 digits were allowed then: it keeps working
    assert verify_pin("2468", old) and not verify_pin("2469", old) and needs_upgrade(old)
    state = tmp_path / "staff" / "pin-state.json"
    gate = PinGate(old, state_path=state)
    assert gate.check("2468", 1000.0)
    upgraded = json.loads(state.read_text())["upgraded"]
    assert parse_hash(upgraded).n_log2 == 17 and verify_pin("2468", upgraded)
    assert stat.S_IMODE(state.stat().st_mode) == 0o600
    again = PinGate(old, state_path=state)  # after a restart: the stronger hash is used
    assert again.effective_hash == upgraded and again.check("2468", 1001.0)
    reprovisioned = PinGate(hash_pin(PIN), state_path=state)  # a new PIN set by the technician wins
    assert reprovisioned.effective_hash != upgraded and reprovisioned.check(PIN, 1002.0)


@pytest.mark.parametrize(("stored", "why"), [
    ("scrypt$", "fields"),
    ("md5$x$y", "unknown scheme"),
    ("scrypt$not base64!$AAAA", "malformed"),
    ("scrypt$AAAA$AAAA", "digest of 3 bytes"),
    ("scrypt$30$8$1$" + "A" * 24 + "$" + "A" * 44, "out of range"),
    ("scrypt$x$8$1$" + "A" * 24 + "$" + "A" * 44, "malformed"),
])
def test_malformed_hash_is_a_precise_error_and_disables_the_staff_screen(stored: str, why: str) -> None:
    with pytest.raises(PinHashError, match=why) as info:
        verify_pin(PIN, stored)
    assert info.value.code is ErrorCode.PIN_HASH_INVALID
    assert "staff.pin_hash is malformed" in str(info.value) and "kiosk provision" in str(info.value)
    gate = PinGate(stored)
    assert not gate.enabled and "pin-hash-invalid" in gate.problem and not gate.check(PIN, 0.0)


def test_lockout_escalates_from_the_third_wrong_pin() -> None:
    gate = PinGate("")
    assert [gate.lock_for(n) for n in range(1, 11)] == [
        0, 0, 60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_lockout_survives_a_restart_and_only_the_right_pin_resets_it(tmp_path: Path) -> None:
    stored, state = hash_pin(PIN), tmp_path / "staff" / "pin-state.json"
    gate = PinGate(stored, state_path=state)
    now = 1_000_000.0
    for i in range(3):
        assert not gate.check("111111", now + i)
    assert gate.locked(now + 3) and round(gate.remaining(now + 3)) == 59
    restarted = PinGate(stored, state_path=state)  # the kiosk was unplugged and started again
    assert restarted.locked(now + 10) and not restarted.check(PIN, now + 10)
    assert not restarted.check("222222", now + 63)  # 4th wrong: locked for 2 minutes now
    assert restarted.locked(now + 63 + 119) and not restarted.locked(now + 63 + 121)
    assert restarted.check(PIN, now + 200)
    assert json.loads(state.read_text())["wrong"] == 0
    assert not restarted.check("333333", now + 201) and not restarted.locked(now + 201)


def test_a_damaged_lockout_file_locks_once_instead_of_crashing(tmp_path: Path) -> None:
    state = tmp_path / "pin-state.json"
    stored = hash_pin(PIN)
    PinGate(stored, state_path=state).check("111111", time.time())  # writes the state
    state.write_text("{not json")
    gate = PinGate(stored, state_path=state)
    assert gate.locked(time.time()) and gate.remaining(time.time()) <= 60
