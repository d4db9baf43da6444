"""Issue 17: no content can crash the UI. A widget that cannot be drawn (the QR code of a 3,026-character
address, a card line whose label fails) is left out and logged; the rest of the card shows. Records are
built here directly, as if an older kiosk had accepted them (the importer now refuses such a URL)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from kiosk_app.core.events import AnswerReady
from kiosk_app.core.settings import Settings
from kiosk_app.ui import widgets
from kiosk_app.ui.qr import qr_texture
from knowledge.answer import TemplateAnswerer
from knowledge.types import Aspect
from tests.ui.harness import Kiosk, make_kiosk, sample_records

LONG_URL = "https://dichvucong.gov.vn/p/" + "a" * 2998  # 3,026 characters: more than QR version 40 holds


@pytest.fixture(scope="module")
def kiosk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Kiosk]:
    settings = Settings(data_dir=tmp_path_factory.mktemp("ui") / "data", ui={"fullscreen": True})
    yield from make_kiosk(settings)


def _show(kiosk: Kiosk, **record_changes: Any) -> Any:
    rec = sample_records()["khai-sinh"].model_copy(update=record_changes)
    kiosk.app.router.set_catalog({**sample_records(), rec.id: rec}, sample=True)
    answer = TemplateAnswerer().answer(rec.title, rec, Aspect.GENERAL, confidence=0.9)
    kiosk.app.router.handle(AnswerReady(answer))
    scr = kiosk.screen("answer")
    scr.finish_card()
    return scr


def test_qr_of_a_3026_character_url_is_left_out_and_logged(kiosk: Kiosk, caplog: pytest.LogCaptureFixture
                                                           ) -> None:
    assert len(LONG_URL) == 3026
    with caplog.at_level(logging.ERROR, logger="kiosk_app.ui.qr"):
        assert qr_texture(LONG_URL) is None  # before issue 17: DataOverflowError killed the app
        scr = _show(kiosk, online_url=LONG_URL)
    assert "cannot draw the QR code for an online address of 3026 characters" in caplog.text
    assert scr.ids.qr_image.texture is None and scr.ids.qr_box.height == 0 and scr.ids.qr_hint.text == ""
    texts = scr.card_texts()
    assert scr.title == "Đăng ký khai sinh" and any("Ủy ban" in t or "UBND" in t for t in texts)
    assert kiosk.current == "answer"


def test_a_card_line_that_cannot_be_drawn_is_left_out(kiosk: Kiosk, monkeypatch: pytest.MonkeyPatch,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    real = widgets.KLabel

    def fragile(**kw: Any) -> Any:
        if "Tờ khai" in str(kw.get("text", "")):
            raise ValueError("texture too large")
        return real(**kw)

    monkeypatch.setattr(widgets, "KLabel", fragile)
    with caplog.at_level(logging.ERROR, logger="kiosk_app.ui.screens.answer"):
        scr = _show(kiosk)
    texts = scr.card_texts()
    assert "cannot draw a line of card section" in caplog.text
    assert texts and not any("Tờ khai" in t for t in texts)
    assert any("cập nhật ngày" in t for t in texts)  # the sections after it still show
