"""What `kiosk ask --json` says about why an answer came from where it did (``why``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from kiosk_app.commands.ask import _why
from knowledge.types import FallbackReason, GuardReason


@pytest.mark.parametrize(("answerer", "reason", "refer", "want"), [
    ("evidence", "llm-timeout", False, "auto; fell back: llm-timeout"),
    ("evidence", "evidence-language", False, "auto; fell back: evidence-language"),
    ("evidence", "llm-overruled:unsupported", False, "auto; fell back: llm-overruled:unsupported"),
    # a guard's refusal of the model's facts is not a fallback reason, though it starts with "llm-"
    ("evidence", GuardReason.LLM_NUMBER.value, False, "auto"),
    ("evidence", "", False, "auto"),
    ("llm", "llm:yes", False, "auto; label yes"),
    ("template", "out-of-scope:harmful", True, "refer: out-of-scope:harmful"),
])
def test_why_names_the_fallback_only_for_a_fallback(answerer: str, reason: str, refer: bool,
                                                    want: str) -> None:
    answer = SimpleNamespace(answerer=answerer, reason=reason, refer_to_staff=refer)
    assert _why(answer, "auto") == want


def test_every_fallback_reason_reads_back() -> None:
    assert all(FallbackReason.of(r.value) is r for r in FallbackReason)
    assert FallbackReason.of("llm-guard:number") is None and FallbackReason.of("") is None
