"""Answer: procedure title, the short answer in large type (the sentence being read is highlighted),
the full card from the record with hedges, a QR code to the online service, and the actions
"Nghe lại", "Nói chậm hơn", "Chưa đúng ý tôi" (pick among the next best procedures), "Hỏi câu khác"."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kivy.clock import Clock
from kivy.graphics.texture import Texture
from kivy.lang import Builder
from kivy.properties import (
    BooleanProperty,
    DictProperty,
    ListProperty,
    NumericProperty,
    ObjectProperty,
    StringProperty,
)
from kivy.uix.label import Label
from kivy.uix.screenmanager import Screen
from kivy.utils import escape_markup

from kiosk_app.core.events import (
    AnswerFinal,
    AnswerReady,
    Event,
    Failed,
    Speaking,
    SpeakingFinished,
    Transcribed,
)
from kiosk_app.ui import widgets
from kiosk_app.ui.card import card_sections, card_title
from kiosk_app.ui.messages import VOICE_ONLY, error_message
from kiosk_app.ui.qr import qr_texture
from kiosk_app.ui.theme import THEME
from knowledge.bundle.schema import Status
from knowledge.types import Answer, Verdict

log = logging.getLogger(__name__)

CARD_SECTIONS_PER_FRAME = 2


class AnswerScreen(Screen):
    controller = ObjectProperty(None, allownone=True)
    catalog = DictProperty({})  # procedure id -> Record (the active bundle)
    answer = ObjectProperty(None, allownone=True)
    title = StringProperty("")
    question = StringProperty("")
    sentences = ListProperty([])
    current = NumericProperty(-1)  # index of the sentence being read, -1 = none
    speaking = BooleanProperty(False)
    hedged = BooleanProperty(False)
    refer = BooleanProperty(False)
    status = StringProperty("")  # e.g. the voice failed: "xin mời đọc trên màn hình"
    online_url = StringProperty("")
    choosing = BooleanProperty(False)  # "Chưa đúng ý tôi": alternatives are shown
    live = BooleanProperty(False)  # the local LLM is phrasing the spoken answer (AnswerReady.live)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.card_lines: list[Label] = []  # the card's labels in order (tests read them)
        self.alternative_buttons: list[widgets.KButton] = []
        self._qr: tuple[str, Texture | None] | None = None
        self._card_todo: list[Any] = []  # sections still to add (a few per frame)
        self._card_event: Any = None
        self._said: list[str] = []  # sentences spoken so far of a live answer

    # ---- events ---------------------------------------------------------------------------------
    def show(self, ev: Event) -> None:
        if isinstance(ev, Transcribed):
            self.question = ev.text
        elif isinstance(ev, AnswerReady):
            self.show_answer(ev.answer)
            self.live = ev.live
        elif isinstance(ev, AnswerFinal):
            self.answer = ev.answer
            self.sentences = list(ev.answer.sentences or (ev.answer.spoken,))
            self.live = False
        elif isinstance(ev, Speaking):
            self.speaking = True
            if self.live:
                self._said.append(ev.sentence)
                if ev.sentence not in self.sentences:
                    # the model's words replace the template's short answer: show what is said
                    self.sentences = list(self._said)
            if ev.sentence in self.sentences:
                self.current = self.sentences.index(ev.sentence)
        elif isinstance(ev, SpeakingFinished):
            self.speaking = False
            self.current = -1
        elif isinstance(ev, Failed) and ev.code in VOICE_ONLY:
            self.speaking = False
            self.current = -1
            self.status = error_message(ev.code, THEME.lang)

    def show_answer(self, answer: Answer) -> None:
        record = self.catalog.get(answer.procedure_id) if answer.procedure_id else None
        lang = answer.language if answer.language in ("vi", "en") else "vi"
        self.answer = answer
        self.refer = answer.verdict is Verdict.REFER or record is None
        self.hedged = bool(answer.hedged)
        self.sentences = list(answer.sentences or (answer.spoken,))
        self._said = []
        self.live = False
        self.current = -1
        self.speaking = False
        self.status = ""
        self.choosing = False
        if self.refer or record is None:
            self.title = THEME.s["refer_title"]
            self.online_url = ""
        else:
            self.title = answer.title or card_title(record, lang)
            url = record.online_url or ""
            self.online_url = url if url and self.qr_texture(url) is not None else ""  # no code: no box
        self._fill_card(record if not self.refer else None, lang)
        self.ids.card_scroll.scroll_y = 1

    # ---- card -----------------------------------------------------------------------------------
    def _fill_card(self, record: Any, lang: str) -> None:
        """Fill the card a few sections per frame: rendering ~50 wrapped labels in one frame would
        freeze the screen for a noticeable moment on a small CPU (target: every frame < 50 ms)."""
        box = self.ids.card
        box.clear_widgets()
        self.card_lines = []
        self.alternative_buttons = []
        self._card_todo = list(card_sections(record, lang)) if record is not None else []
        if self._card_todo and self._card_event is None:
            self._card_event = Clock.schedule_interval(self._card_step, 0)

    def _card_step(self, _dt: float = 0.0, sections_per_frame: int = CARD_SECTIONS_PER_FRAME) -> bool:
        """Add the next sections; returns False (stops the interval) when the card is complete."""
        box = self.ids.card
        for section in self._card_todo[:sections_per_frame]:
            if section.heading:
                head = widgets.KLabel(text=section.heading, bold=True, color=THEME.accent)
                box.add_widget(head)
                self.card_lines.append(head)
            for line in section.lines:
                bullet = "• " if section.key not in ("summary", "time", "fee", "where", "updated") else ""
                try:  # widget boundary: one line that cannot be drawn is left out, the card still shows
                    lbl = widgets.KLabel(text=bullet + line.text)
                    if line.status is not Status.SOURCED:
                        lbl.color = THEME.hedge
                        lbl.italic = True
                    elif section.key in ("updated", "sources", "legal"):
                        lbl.color = THEME.muted
                    box.add_widget(lbl)
                except Exception:
                    log.exception("cannot draw a line of card section %s; shown without it", section.key)
                    continue
                self.card_lines.append(lbl)
        del self._card_todo[:sections_per_frame]
        if self._card_todo:
            return True
        if self._card_event is not None:
            self._card_event.cancel()
            self._card_event = None
        return False

    def finish_card(self) -> None:
        """Add whatever is still pending at once (tests, screenshots)."""
        if self._card_todo:
            self._card_step(sections_per_frame=len(self._card_todo))

    def card_texts(self) -> list[str]:
        self.finish_card()
        return [lbl.text for lbl in self.card_lines]

    # ---- "Chưa đúng ý tôi" ------------------------------------------------------------------------
    def show_alternatives(self) -> None:
        """Replace the card with buttons for the next best procedures (titles from the catalog)."""
        self._card_todo = []
        box = self.ids.card
        box.clear_widgets()
        self.card_lines = []
        self.alternative_buttons = []
        self.choosing = True
        ids = [pid for pid in (self.answer.alternatives if self.answer else ()) if pid in self.catalog]
        ids = [pid for pid in ids if pid != (self.answer.procedure_id if self.answer else None)][:4]
        lang = THEME.lang
        head = widgets.KLabel(text=THEME.s["did_you_mean"] if ids else THEME.s["no_alternatives"],
                              color=THEME.accent)
        box.add_widget(head)
        self.card_lines.append(head)
        for i, pid in enumerate(ids):
            btn = widgets.KButton(text=card_title(self.catalog[pid], lang), font_size=THEME.body)
            btn.procedure_id = pid
            btn.bind(on_release=lambda b, i=i: self.pick(i))
            box.add_widget(btn)
            self.alternative_buttons.append(btn)
        browse = widgets.KButton(text=THEME.s["browse"], font_size=THEME.body)
        browse.bind(on_release=lambda *_: self.controller and self.controller.go("browse"))
        box.add_widget(browse)
        self.alternative_buttons.append(browse)
        self.ids.card_scroll.scroll_y = 1

    def pick(self, index: int) -> None:
        pid = getattr(self.alternative_buttons[index], "procedure_id", None)
        if pid and self.controller is not None:
            self.controller.explain(pid)

    def qr_texture(self, url: str) -> Texture | None:
        if not url:
            return None
        if self._qr is None or self._qr[0] != url:
            self._qr = (url, qr_texture(url))
        return self._qr[1]

    def sentence_markup(self, sentences: list[str], current: int) -> str:
        """All sentences; the one being read aloud in the highlight colour."""
        parts = []
        for i, s in enumerate(sentences):
            text = escape_markup(s)
            if i == current:
                c = THEME.highlight
                hexc = "".join(f"{round(v * 255):02x}" for v in c[:3])
                text = f"[color={hexc}]{text}[/color]"
            parts.append(text)
        return " ".join(parts)


Builder.load_file(str(Path(__file__).with_suffix(".kv")))
