"""The import's version policy as a table (``knowledge.bundle.version_policy``, pure): which anomaly each
situation is, and which a staff confirmation clears."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kiosk_app.core.errors import (
    BundleDowngradeError,
    BundleFutureDateError,
    BundleOtherIdError,
    BundleVersionReusedError,
    ErrorCode,
)
from kiosk_app.ui.bundle_messages import staff_vi
from knowledge.bundle.schema import Manifest
from knowledge.bundle.version_check import BundleInfo, Held
from knowledge.bundle.version_policy import CLOCK_SKEW, policy_error, version_problems

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DOWN, OTHER = ErrorCode.BUNDLE_DOWNGRADE, ErrorCode.BUNDLE_OTHER_ID
FUTURE, REUSED = ErrorCode.BUNDLE_FUTURE_DATE, ErrorCode.BUNDLE_VERSION_REUSED


NEW_FILES = {"records/a.yaml": "b" * 64}


def _manifest(bundle_id: str = "phuong", version: str = "2026.12.01-0900",
              created: datetime = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)) -> Manifest:
    return Manifest(schema_version=1, bundle_id=bundle_id, version=version, created=created, title="",
                    sample=False, record_count=1, files=NEW_FILES)


def _held(bundle_id: str = "phuong", version: str = "2026.12.01-0900", files: str = "a",
          created: str = "2026-12-01T09:00:00+00:00", sample: bool = False,
          signed_by: str | None = "ab:cd") -> Held:
    info = BundleInfo(name=f"{bundle_id}-{version}", label=f"{bundle_id}@{version}", bundle_id=bundle_id,
                      version=version, title="", created=created, record_count=1, sample=sample,
                      signed_by=signed_by, imported_at="")
    return Held(info, files * 64, {"records/a.yaml": files * 64})


ACTIVE = _held()
SAMPLE = _held("sample", "2026.11.23-1a2b3c4d", sample=True, signed_by=None)
SIGNED_SAMPLE = _held("sample", "2026.12.01-0900", sample=True)  # a signed bundle that calls itself so


@pytest.mark.parametrize(("new", "active", "held", "builtin", "want"), [
    (_manifest(), None, [], False, []),  # first import
    (_manifest(version="2026.12.02-0900", created=NOW), ACTIVE, [ACTIVE], False, []),  # update
    (_manifest(version="2026.11.01-0900", created=datetime(2026, 11, 1, tzinfo=UTC)), ACTIVE,
     [ACTIVE], False, [DOWN]),
    (_manifest(version="2026.12.02-0900", created=datetime(2026, 11, 1, tzinfo=UTC)), ACTIVE,
     [ACTIVE], False, [DOWN]),  # a newer label but an older date
    (_manifest(bundle_id="phuong-khac", version="2026.12.02-0900"), ACTIVE, [ACTIVE], False, [OTHER]),
    (_manifest(bundle_id="phuong-khac", version="2026.01.01-0000"), ACTIVE, [ACTIVE], False,
     [OTHER]),  # another id is never also a downgrade
    (_manifest(), SAMPLE, [SAMPLE], False, []),  # the ward's first bundle over the built-in sample
    (_manifest(bundle_id="phuong-khac"), SIGNED_SAMPLE, [SIGNED_SAMPLE], False, [OTHER]),
    (_manifest(bundle_id="sample"), ACTIVE, [ACTIVE], True, []),  # kiosk bundle import --sample
    (_manifest(version="2099.12.31-2359", created=datetime(2099, 12, 31, 23, 59, tzinfo=UTC)),
     ACTIVE, [ACTIVE], False, [FUTURE]),
    (_manifest(version="2026.12.08-0800", created=NOW + CLOCK_SKEW - timedelta(minutes=1)),
     ACTIVE, [ACTIVE], False, []),  # within the documented skew
    (_manifest(version="2026.12.09-0800", created=NOW + CLOCK_SKEW + timedelta(minutes=1)),
     ACTIVE, [ACTIVE], False, [FUTURE]),
    (_manifest(bundle_id="khac", created=datetime(2099, 1, 1, tzinfo=UTC)), ACTIVE, [ACTIVE], False,
     [FUTURE, OTHER]),
    (_manifest(), ACTIVE, [ACTIVE], False, [REUSED]),  # same version, other content
    (_manifest(version="2026.11.01-0900", created=datetime(2026, 11, 1, tzinfo=UTC)), ACTIVE,
     [ACTIVE, _held(version="2026.11.01-0900", files="c", created="2026-11-01T00:00:00+00:00")], False,
     [REUSED, DOWN]),  # a kept older version with other content
    (_manifest(version="2026.11.01-0900", created=datetime(2026, 11, 1, tzinfo=UTC)), ACTIVE,
     [ACTIVE, _held(version="2026.11.01-0900", files="b", created="2026-10-01T00:00:00+00:00")], False,
     [DOWN]),  # the same records rebuilt under the same version: the same content
    (_manifest(version="2026.11.01-0900", created=datetime(2026, 11, 1, tzinfo=UTC)), ACTIVE,
     [ACTIVE, _held(version="2026.11.01-0900", files="b")], False, [DOWN]),  # that very kept version
    (_manifest(bundle_id="sample"), SAMPLE, [_held("sample", "2026.12.01-0900", sample=True)], True,
     []),  # the sample rebuilt by a newer release: same version, other bytes, exempt
])
def test_version_problems(new: Manifest, active: Held | None, held: list[Held], builtin: bool,
                          want: list[ErrorCode]) -> None:
    got = version_problems(new, active, held, NOW, builtin_sample=builtin)
    assert [p.code for p in got] == want
    assert all(p.message and staff_vi(p) for p in got)


def test_the_future_date_message_blames_the_clock_too() -> None:
    created = datetime(2099, 12, 31, tzinfo=UTC)
    [p] = version_problems(_manifest(created=created), None, [], NOW)
    assert f"{(created - NOW).days} days after this kiosk's clock (2026-12-07T09:00:00+00:00)" in p.message
    assert "Raspberry Pi has no real-time clock" in p.message
    assert "đồng hồ của máy bị sai" in staff_vi(p) and "31/12/2099" in staff_vi(p)


@pytest.mark.parametrize(("codes", "confirmed", "error", "confirmable"), [
    ([], set(), None, None),
    ([DOWN], set(), BundleDowngradeError, {DOWN}),
    ([DOWN], {DOWN}, None, None),
    ([FUTURE, OTHER], {OTHER}, BundleFutureDateError, {FUTURE}),
    ([FUTURE, OTHER], set(), BundleFutureDateError, {FUTURE, OTHER}),
    ([OTHER], {DOWN}, BundleOtherIdError, {OTHER}),  # a flag clears only its own anomaly
    ([REUSED, DOWN], {DOWN, OTHER, FUTURE}, BundleVersionReusedError, set()),  # refused outright
])
def test_policy_error(codes: list[ErrorCode], confirmed: set[ErrorCode], error: type | None,
                      confirmable: set[ErrorCode] | None) -> None:
    by_code = {ErrorCode.BUNDLE_DOWNGRADE: _manifest(version="1", created=datetime(2020, 1, 1, tzinfo=UTC)),
               ErrorCode.BUNDLE_OTHER_ID: _manifest(bundle_id="khac"),
               ErrorCode.BUNDLE_FUTURE_DATE: _manifest(version="3", created=datetime(2099, 1, 1, tzinfo=UTC)),
               ErrorCode.BUNDLE_VERSION_REUSED: _manifest()}
    problems = [p for c in codes
                for p in version_problems(by_code[c], ACTIVE, [ACTIVE], NOW) if p.code is c]
    assert [p.code for p in problems] == codes
    err = policy_error(problems, confirmed)
    if error is None:
        assert err is None
        return
    assert type(err) is error and err is not None and err.confirmable == confirmable
    if confirmable:
        assert "confirm on the staff screen or pass --allow-" in str(err)
    else:
        assert "cannot be confirmed" in str(err)
