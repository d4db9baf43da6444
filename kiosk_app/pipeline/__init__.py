"""One question through the kiosk, without Kivy: listen → transcribe → answer → speak, as typed events.

``run.Pipeline`` runs the stages in the caller's thread (``worker.PipelineWorker``: the app's one
worker thread) and speaks through its ``speaker.Speaker``; ``ports`` declares what it needs from the
engines, ``speculation`` prepares answers in the resident's pauses, ``conversation`` keeps the last
answer for follow-up questions. ``kiosk_app.wiring`` builds one from settings.
The staff screens' slow work runs through ``staff`` (bundles) and ``recording_session`` (takes).
"""

from kiosk_app.pipeline.ports import EventSink, KnowledgeLike, PerLanguage, PlayerLike
from kiosk_app.pipeline.run import Pipeline
from kiosk_app.pipeline.speaker import Speaker

__all__ = ["EventSink", "KnowledgeLike", "PerLanguage", "Pipeline", "PlayerLike", "Speaker"]
