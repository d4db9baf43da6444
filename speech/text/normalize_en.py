"""English answers as the English voice should say them (the screen keeps the written text).

English answers keep Vietnamese document names beside the English, in parentheses, so the person can
show them at the counter: "declaration form (Tờ khai đăng ký kết hôn)". An English voice reads
Vietnamese as English letters, so those asides are left out of the *spoken* form only.
"""

from __future__ import annotations

import re

_VI_LETTERS = "àáảãạăắằẳẵặâấầẩẫậđèéẻẽẹêếềểễệìíỉĩịòóỏõọôốồổỗộơớờởỡợùúủũụưứừửữựỳýỷỹỵ"
_ASIDE = re.compile(r"\s*\(([^()]*)\)")
_VI = re.compile(f"[{_VI_LETTERS}]", re.IGNORECASE)


def spoken_english(text: str) -> str:
    """Drop parenthesised asides written in Vietnamese; everything else unchanged."""
    out = _ASIDE.sub(lambda m: "" if _VI.search(m.group(1)) else m.group(0), text)
    out = re.sub(r"\s+([;,.:!?])", r"\1", out)
    return " ".join(out.split())
