"""Capture one spoken question: audio source → VAD → endpointer → streaming recogniser.

``capture_utterance`` reads chunks from an ``AudioSource`` from the button press on, scores each VAD
frame, and streams the utterance (with ``PREROLL_S`` of audio before the onset, so the first syllable
is not clipped) into a recogniser session, reporting partial text and the input level as it goes.

Timings (seconds) in ``Utterance.timings`` are latencies as a live microphone would see them: audio
time between two moments of the stream plus the processing lag at the later one. They are therefore
meaningful for a file read faster than real time too (as long as processing keeps up):

- ``speech_start_s``: onset of speech after the button press (audio time)
- ``first_partial_s``: onset → first non-empty partial transcript
- ``end_detected_s``: end of the last speech frame → end of utterance decided
- ``final_s``: time the recogniser's ``final()`` took
- ``asr_s`` / ``vad_s``: processing time spent in the recogniser / VAD; ``audio_s``: audio consumed;
  ``asr_audio_s``: audio fed to the recogniser (pre-roll + utterance + hang-over)
- ``speech_end_t`` / ``turn_end_t``: audio time (since the button press) of the end of the last
  speech frame / of the frame on which the turn was declared over; ``ready_t``: the moment, on the
  same clock as a live microphone, the final transcript (and a speculative answer) was ready
- ``decided_mono``: ``time.monotonic()`` when the turn was declared over (benchmarks)
- ``speculations`` / ``dropped``: pauses that were decoded (and answered) ahead / how many of those
  the speaker talked over

End of turn (``turn`` given, or ``[endpoint] turn_end = "words"``): 0.1 s before ``short_wait_s`` of
silence is over (``TurnContext.speculate_s``) the recogniser's transcript so far is settled
(decoded to the end without closing the session), the
``Speculation`` prepares an answer for it in a thread of its own while listening goes on, and
``speech.vad.turn.decide`` ends the turn after the wait those words call for (short after "…
không", long after "… thì", ``complete_s`` after an open ending the classifier calls complete when
``turn.model``, middle otherwise). The answer may also end an open turn at the short wait (it
names a procedure and an aspect): live as soon as it is made, from a file read faster than real time
waited for at the short wait. ``RESETTLE_AFTER_S`` later the pause is decoded again (viet-asr may
give the last word only then) and the answer prepared again if the words changed; when the turn
ends the prepared answer is waited for, and a final transcript that adds words wins. Speech that
resumes drops the speculation (``Speculation.drop``) and the session goes on. A pause whose
transcript has no words at all was noise (a door, a cough, a chair): it is forgotten and listening
goes on until the button-press timeout.

Modules: ``stream`` (the loop, ``capture_utterance``), ``preparing`` (a speculative answer made in a
thread of its own while listening goes on) and ``file`` (a WAV file through the same loop,
``transcribe_file``, for ``kiosk ask --audio``).
"""

from __future__ import annotations

from speech.capture.file import transcribe_file
from speech.capture.stream import Utterance, capture_utterance

__all__ = ["Utterance", "capture_utterance", "transcribe_file"]
