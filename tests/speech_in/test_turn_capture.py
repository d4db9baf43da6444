"""capture_utterance ending the turn from the words, with speculation: scripted signals and a scripted
recogniser (fakes at the engine boundaries; the capture, endpointer and turn decision are real)."""

from __future__ import annotations

import pytest

from kiosk_app.core.errors import NoSpeechError
from kiosk_app.core.settings import EndpointSettings
from speech.asr.base import Transcript
from speech.capture import capture_utterance
from speech.vad.turn import TurnContext, Waits
from tests.fakes import FakeSource, FakeVad, silence, tone
from tests.speech_in.turn_fakes import FRAME_S, WORD_S, Words, _Session

W = Waits(short_s=0.3, mid_s=0.55, long_s=1.2, complete_s=0.42)


class Recorder:
    """The pipeline's side of a speculation, recorded."""

    def __init__(self, matched: bool = False) -> None:
        self.matched = matched
        self.prepared: list[str] = []
        self.dropped = 0

    def prepare(self, transcript: Transcript) -> bool:
        self.prepared.append(transcript.text)
        return self.matched

    def drop(self) -> None:
        self.dropped += 1


class FileSource(FakeSource):
    """Audio read as fast as it goes (a file, ``WavSource(realtime=False)``): decisions that depend on
    the prepared answer wait for it, so they do not depend on the speed of the machine."""

    realtime = False


def listen(audio: bytes, rec: Words, spec: Recorder | None = None, *, slow: bool = False,
           timeout_s: float = 6.0, model: bool = False) -> dict[str, float]:
    turn = TurnContext(W, "vi", slow, spec, model=model)
    utt = capture_utterance(FileSource(audio), FakeVad(), rec,
                            EndpointSettings(no_speech_timeout_s=timeout_s), turn=turn)
    return {**utt.timings, "speech_s": utt.speech_s, "text": utt.transcript.text}  # type: ignore[dict-item]


def waited(t: dict[str, float]) -> float:
    return t["turn_end_t"] - t["speech_end_t"]


@pytest.mark.parametrize(("text", "slow", "matched", "wait"), [
    ("làm căn cước ở đâu", False, False, 0.3),  # question word: short wait
    ("làm giấy khai sinh", False, False, 0.55),  # open: middle wait
    ("làm giấy khai sinh", False, True, 0.3),  # the answer found a procedure and an aspect
    ("hỏi về giấy khai sinh thì", False, False, 1.2),  # connective: long wait
    ("làm căn cước ở đâu", True, False, 1.2),  # "Nói chậm hơn" resident: long wait
])
def test_the_words_set_the_wait(text: str, slow: bool, matched: bool, wait: float) -> None:
    spec = Recorder(matched)
    n = len(text.split())
    t = listen(silence(0.5) + tone(n * WORD_S + 0.05) + silence(3.0), Words(text), spec, slow=slow)
    assert t["text"] == text
    assert waited(t) == pytest.approx(wait, abs=FRAME_S + 1e-6)
    assert spec.prepared == [text] and spec.dropped == 0  # prepared once, at the short wait
    assert t["speculated"] == 1.0


def test_a_filler_pause_is_not_the_end_and_the_speculation_is_dropped() -> None:
    """ "cho bác hỏi ờ … (0.8 s) … làm khai sinh ở đâu": one turn, answered for all of it."""
    text = "cho bác hỏi ờ làm khai sinh ở đâu"
    spec = Recorder()
    audio = silence(0.5) + tone(4 * WORD_S + 0.05) + silence(0.8) + tone(5 * WORD_S + 0.05) + silence(3.0)
    t = listen(audio, Words(text), spec)
    assert t["text"] == text and t["speech_s"] > 3.0
    assert spec.prepared == ["cho bác hỏi ờ", text] and spec.dropped == 1
    assert waited(t) == pytest.approx(0.3, abs=FRAME_S + 1e-6)  # then "… ở đâu" ends quickly


def test_speech_resumes_on_an_engine_that_cannot_decode_ahead() -> None:
    """final() closes such a session: it is reopened with everything heard so far."""
    text = "làm giấy khai sinh cho con ở đâu"
    rec = Words(text, settle=False)
    spec = Recorder()
    audio = silence(0.5) + tone(4 * WORD_S + 0.05) + silence(0.45) + tone(4 * WORD_S + 0.05) + silence(3.0)
    t = listen(audio, rec, spec)
    assert t["text"] == text and rec.sessions == 2
    assert spec.prepared == ["làm giấy khai sinh", text] and spec.dropped == 1


def test_a_cough_in_the_pause_does_not_end_the_turn_early() -> None:
    spec = Recorder()
    speech_end = 0.5 + 4 * WORD_S + 0.05
    audio = silence(0.5) + tone(4 * WORD_S + 0.05) + silence(0.35) + tone(0.1) + silence(3.0)
    t = listen(audio, Words("làm giấy khai sinh"), spec)
    assert t["text"] == "làm giấy khai sinh"
    # the cough counts as sound: the middle wait runs from its end, never from before it
    assert t["turn_end_t"] >= speech_end + 0.35 + 0.1 + 0.55 - FRAME_S


@pytest.mark.parametrize("bang_s", [0.1, 0.4, 0.8])
def test_a_door_bang_alone_starts_no_answer(bang_s: float) -> None:
    """Short bangs are discarded by length; longer ones have no words: forgotten at the pause. The
    resident who then says nothing gets the no-speech message after the usual timeout."""
    spec = Recorder()
    audio = silence(0.5) + tone(bang_s) + silence(5.0)
    with pytest.raises(NoSpeechError, match="no speech within 3 s"):
        listen(audio, Words(""), spec, timeout_s=3.0)
    assert spec.prepared == []


def test_a_door_bang_then_the_question() -> None:
    spec = Recorder()
    text = "làm căn cước ở đâu"
    audio = silence(0.3) + tone(0.5) + silence(0.6) + tone(5 * WORD_S + 0.05) + silence(3.0)

    class AfterBang(Words):  # the bang is heard as no words, the question as words
        def start(self, sample_rate: int) -> _Session:
            self.sessions += 1
            return _Session(self if self.sessions > 1 else Words(""))

    t = listen(audio, AfterBang(text), spec)
    assert t["text"] == text and spec.prepared == [text]
    assert t["speech_start_s"] > 1.3  # the question, not the bang, started the utterance


def test_silence_only_is_no_speech_after_the_usual_timeout() -> None:
    src = FakeSource(silence(10.0))
    with pytest.raises(NoSpeechError, match="no speech within 2 s"):
        capture_utterance(src, FakeVad(), Words("x"), EndpointSettings(no_speech_timeout_s=2.0))
    assert src.reads * FRAME_S == pytest.approx(2.0, abs=2 * FRAME_S)  # not sooner, not later


def test_silence_setting_keeps_the_fixed_hangover() -> None:
    t = capture_utterance(FakeSource(silence(0.5) + tone(1.55) + silence(3.0)), FakeVad(),
                          Words("làm căn cước ở đâu"), EndpointSettings(turn_end="silence", hangover_s=0.7))
    assert t.timings["turn_end_t"] - t.timings["speech_end_t"] == pytest.approx(0.7, abs=FRAME_S + 1e-6)
    assert t.timings["speculations"] == 0


@pytest.mark.parametrize(("final_language", "want"), [
    ("vi", "làm căn cước ở đâu"),  # the decoder respelled a word over the silence: the pause's words stand
    ("en", "where is the office"),  # English detection switched the language at final(): that wins
])
def test_the_words_settled_in_the_pause_are_the_question(final_language: str, want: str) -> None:
    class Respelling(Words):
        def start(self, sample_rate: int) -> _Session:
            session = super().start(sample_rate)
            session.final = lambda: Transcript(  # type: ignore[method-assign]
                "làm căn cứ ở đâu" if final_language == "vi" else "where is the office", None, final_language)
            return session

    spec = Recorder()
    t = listen(silence(0.5) + tone(5 * WORD_S + 0.05) + silence(3.0), Respelling("làm căn cước ở đâu"), spec)
    assert t["text"] == want and spec.prepared == ["làm căn cước ở đâu"]
    assert t.get("speculated", 0.0) == (1.0 if final_language == "vi" else 0.0)


STATEMENT = "tôi đã nộp hồ sơ đăng ký khai sinh cho cháu từ tuần trước mà đến giờ vẫn chưa nhận được kết quả"


@pytest.mark.parametrize(("model", "slow", "wait"), [
    (True, False, 0.42),  # the classifier calls the statement complete
    (False, False, 0.55),  # the rules alone: the middle wait
    (True, True, 1.2),  # "Nói chậm hơn": the long wait
])
def test_a_complete_statement_ends_at_the_complete_wait(model: bool, slow: bool, wait: float) -> None:
    n = len(STATEMENT.split())
    t = listen(silence(0.5) + tone(n * WORD_S + 0.05) + silence(3.0), Words(STATEMENT), Recorder(),
               model=model, slow=slow, timeout_s=20.0)
    assert t["text"] == STATEMENT
    assert waited(t) == pytest.approx(wait, abs=FRAME_S + 1e-6)


def test_a_four_tenths_pause_after_a_complete_statement_keeps_the_turn() -> None:
    """The resident goes on after 0.4 s: one turn, answered for all of it (the speculation made in
    the pause is dropped)."""
    more = "và tôi muốn hỏi bao giờ có"
    text = f"{STATEMENT} {more}"
    n1, n2 = len(STATEMENT.split()), len(more.split())
    spec = Recorder()
    audio = (silence(0.5) + tone(n1 * WORD_S + 0.05) + silence(0.4) + tone(n2 * WORD_S + 0.05)
             + silence(3.0))
    t = listen(audio, Words(text), spec, model=True, timeout_s=20.0)
    assert t["text"] == text
    assert spec.prepared == [STATEMENT, text] and spec.dropped == 1


class SlowRecorder(Recorder):
    """A prepare that takes a while (retrieval and synthesis on a busy machine), in its own thread."""

    def __init__(self, matched: bool = False, seconds: float = 0.15) -> None:
        super().__init__(matched)
        self.seconds = seconds
        self.log: list[str] = []

    def prepare(self, transcript: Transcript) -> bool:
        import time

        self.log.append("start")
        time.sleep(self.seconds)
        self.log.append("end")
        return super().prepare(transcript)

    def drop(self) -> None:
        self.log.append("drop")
        super().drop()


def test_a_slow_speculation_still_decides_a_matched_turn_at_the_short_wait() -> None:
    """The file is read faster than real time while the answer is prepared in its own thread: the
    decision waits for it at the short wait, as a live microphone would see it."""
    spec = SlowRecorder(matched=True)
    t = listen(silence(0.5) + tone(3 * WORD_S + 0.05) + silence(3.0), Words("làm giấy khai sinh"), spec)
    assert waited(t) == pytest.approx(0.3, abs=FRAME_S + 1e-6)
    assert t["speculated"] == 1.0 and t["prepare_s"] >= 0.15


def test_speech_resuming_drops_a_speculation_only_once_it_is_made() -> None:
    text = "cho bác hỏi ờ làm khai sinh ở đâu"
    spec = SlowRecorder()
    audio = silence(0.5) + tone(4 * WORD_S + 0.05) + silence(0.8) + tone(5 * WORD_S + 0.05) + silence(3.0)
    t = listen(audio, Words(text), spec)
    assert t["text"] == text
    assert spec.log == ["start", "end", "drop", "start", "end"]  # never dropped under a running prepare
    assert spec.prepared == ["cho bác hỏi ờ", text]


@pytest.mark.parametrize(("text", "realtime", "listens_on"), [
    ("cho bác hỏi ờ", False, True),  # a filler: the long wait whatever the answer says
    ("cho bác hỏi ờ", True, True),
    ("làm giấy khai sinh", True, True),  # live: the turn never waits for the answer before it ends
    ("làm giấy khai sinh", False, False),  # a file: open, the answer may end it at the short wait
])
def test_listening_goes_on_while_the_answer_is_prepared(text: str, realtime: bool, listens_on: bool
                                                         ) -> None:
    """Prepare blocks until the microphone has been read 0.4 s further into the pause (or 1 s)."""
    import threading

    n = len(text.split())
    audio = silence(0.5) + tone(n * WORD_S + 0.05) + silence(3.0)
    read_on = threading.Event()
    seen: list[bool] = []

    class Watching(FakeSource):
        def read(self, timeout: float) -> bytes | None:
            if self.reads * FRAME_S > 0.5 + n * WORD_S + 0.2 + 0.4:
                read_on.set()
            return super().read(timeout)

    class Waiting(Recorder):
        def prepare(self, transcript: Transcript) -> bool:
            seen.append(read_on.wait(1.0))
            return super().prepare(transcript)

    turn = TurnContext(W, "vi", False, Waiting())
    source = Watching(audio)
    source.realtime = realtime  # type: ignore[attr-defined]
    utt = capture_utterance(source, FakeVad(), Words(text), EndpointSettings(), turn=turn)
    assert utt.transcript.text == text and seen == [listens_on]


class LastWordLate(Words):
    """A decoder that gives the last word heard only after 0.3 s of quiet audio after it (viet-asr after
    a pause settled mid-utterance)."""

    def start(self, sample_rate: int) -> _Session:
        session = super().start(sample_rate)
        quiet = [0.0]
        accept = session.accept

        def counting(pcm16: bytes) -> None:
            before = session.loud_s
            accept(pcm16)
            quiet[0] = 0.0 if session.loud_s > before else quiet[0] + len(pcm16) / 2 / 16000

        def text() -> Transcript:
            n = int(session.loud_s / WORD_S + 1e-6) - (1 if quiet[0] < 0.3 - 1e-6 else 0)
            return Transcript(" ".join(self.words[:max(0, n)]))

        session.accept = counting  # type: ignore[method-assign]
        session.settle = text
        session.partial = lambda: text().text  # type: ignore[method-assign]
        session.final = text  # type: ignore[method-assign]
        return session


def test_the_last_word_the_decoder_gives_late_is_part_of_the_question() -> None:
    text = "làm giấy khai sinh cho con"
    spec = Recorder()
    t = listen(silence(0.5) + tone(6 * WORD_S + 0.05) + silence(3.0), LastWordLate(text), spec)
    assert t["text"] == text  # not "làm giấy khai sinh cho"
    assert spec.prepared == ["làm giấy khai sinh cho", text] and spec.dropped == 1  # decoded again
    assert t["speculated"] == 1.0  # the answer spoken was prepared for the whole question
    assert waited(t) == pytest.approx(0.55, abs=FRAME_S + 1e-6)
