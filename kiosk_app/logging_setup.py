"""Logging is configured once, here, from the entry points. Logs never hold personal data:
question text and transcripts are logged at DEBUG only, audio never."""

from __future__ import annotations

import logging
import logging.handlers
import sys

from kiosk_app.core.errors import storage_error
from kiosk_app.core.settings import Settings

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(settings: Settings, *, verbose: bool = False, console: bool = True) -> None:
    level = logging.DEBUG if verbose else getattr(logging, settings.log_level)
    root = logging.getLogger()
    root.setLevel(level)
    for h in list(root.handlers):
        root.removeHandler(h)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.DEBUG if verbose else logging.WARNING)
        stream.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(stream)
    try:
        settings.logs_dir.mkdir(parents=True, exist_ok=True)
        file = _LogFile(settings.logs_dir / "kiosk.log", maxBytes=2_000_000, backupCount=5,
                        encoding="utf-8")
    except OSError as exc:  # read-only or full disk: keep running, say so on stderr
        problem = storage_error(exc, settings.logs_dir / "kiosk.log", "log file")
        logging.getLogger(__name__).warning("file logging disabled: [%s] %s", problem.code, problem)
    else:
        file.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(file)
    for noisy in ("chromadb", "httpx", "urllib3", "onnxruntime"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


class _LogFile(logging.handlers.RotatingFileHandler):
    """A full disk or a lost permission while the kiosk runs: one precise line on stderr (the
    journal), then the file is skipped, instead of a "--- Logging error ---" traceback per record."""

    _reported = False

    def handleError(self, record: logging.LogRecord) -> None:
        exc = sys.exc_info()[1]
        if not isinstance(exc, OSError):
            super().handleError(record)
            return
        if not self._reported:
            self._reported = True
            problem = storage_error(exc, self.baseFilename, "log file")
            sys.stderr.write(f"kiosk: file logging stopped: [{problem.code}] {problem}\n")
