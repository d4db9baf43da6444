"""Pure decisions: which aspect was asked; answer, refuse (out of scope) or refer to staff.

No I/O. ``decide`` turns the ranked procedures and the out-of-scope kind (``knowledge.understand.retrieval``)
into ANSWER / REFER with a calibrated confidence:
``confidence = sigmoid(slope * (top - center) + margin_gain * (top - second))`` where ``top`` and
``second`` are the probabilities of the two best procedures (``knowledge.understand.retrieval``'s softmax over
every target). The constants were fitted by logistic regression on the dev sets
(``bench/tune_understand.py --calibrate``; method 6: six dev sets, ``bench/tune_understand6.py``),
on the questions that reach this test (not those refused as out of scope, not follow-ups), so a
confidence of 0.8 means roughly "right 8 times in 10" on questions like those.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from knowledge.types import Aspect, Hit, ReferReason, Verdict
from knowledge.understand.normalize import fold_diacritics, normalize_vi


@dataclass(frozen=True, slots=True)
class Calibration:
    slope: float = 1.935
    center: float = 0.0262
    margin_gain: float = 2.344

    def confidence(self, top: float, second: float) -> float:
        z = self.slope * (top - self.center) + self.margin_gain * (top - second)
        return 1.0 / (1.0 + math.exp(-max(-50.0, min(50.0, z))))


@dataclass(frozen=True, slots=True)
class Thresholds:
    min_confidence: float = 0.5  # settings.retrieval.min_confidence
    margin: float = 0.0  # refer as ambiguous when the two best fused scores are closer (0 = off)
    calibration: Calibration = field(default_factory=Calibration)


@dataclass(frozen=True, slots=True)
class Decision:
    verdict: Verdict
    confidence: float
    procedure_id: str | None = None
    reason: str = ""
    alternatives: tuple[str, ...] = ()


def decide(hits: Sequence[Hit], thresholds: Thresholds, *, out_of_scope: str | None = None) -> Decision:
    """ANSWER with the best procedure, or REFER (with a reason) when unsure or out of scope."""
    if not hits:
        return Decision(Verdict.REFER, 0.0, reason=ReferReason.out_of_scope(out_of_scope) if out_of_scope
                        else ReferReason.NO_MATCH)
    top = hits[0]
    second = hits[1].score if len(hits) > 1 else 0.0
    conf = round(thresholds.calibration.confidence(top.score, second), 4)
    alts = tuple(h.procedure_id for h in hits[1:4])
    if out_of_scope:  # the ranking already weighed the procedures' words against the kind's examples
        # Someone who asked how to cheat is not shown any procedure, not even as "Chưa đúng ý tôi".
        offered = () if out_of_scope == "harmful" else (top.procedure_id, *alts)
        return Decision(Verdict.REFER, round(min(conf, 0.2), 4), None, ReferReason.out_of_scope(out_of_scope),
                        offered)
    if conf < thresholds.min_confidence:
        return Decision(Verdict.REFER, conf, None, ReferReason.BELOW_THRESHOLD, (top.procedure_id, *alts))
    if top.score - second < thresholds.margin:
        return Decision(Verdict.REFER, conf, None, ReferReason.AMBIGUOUS, (top.procedure_id, *alts))
    return Decision(Verdict.ANSWER, conf, top.procedure_id, "", alts)


# ---- follow-up questions --------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class FollowUpRule:
    """When a question continues the last answer ("thế còn lệ phí bao nhiêu?", "ông bà đi thay được
    không?"): short, and it carries no words of its own that name another procedure or a refusal
    kind. Checked on the sample bundle (tests/knowledge/test_follow_up.py): questions naming a
    procedure reach a name coverage of 0.5–1.0, follow-ups 0–0.35. What retrieval makes of a
    follow-up's few words is trusted over the conversation only when retrieval is sure of it: "and
    is it free?" shares "free" with the digital-signature record (lexical 0.6, probability 0.3), a
    description of a new case ("con tôi mới sinh thì phải làm gì") is ranked with a high probability
    (method 5; dev follow-ups, leave-one-set-out: Vietnamese 55/60, English 30/35, against 53/60
    and 25/35 for method 4, whose test was a lexical score of 0.6)."""

    max_words: int = 10
    named: float = 0.45  # name coverage at which the question names a procedure (title or alias)
    strong: float = 0.7  # retrieval trusted over the conversation from this probability (Hit.score)
    # typical-words score (understand.examples) a refusal kind needs to end the conversation: "hộ chiếu"
    # scores 2.4 for other_authority, "thời tiết" 5.5 for chit-chat, "làm ở đâu" 0.1
    topic_words: float = 1.0
    # the same for the harmful and personal-data kinds, whose words are noisier: in-scope dev
    # questions reach 2.5 (97th percentile), requests to cheat 5.2 (median), "làm giả" 4.3, "sửa năm
    # sinh cho trẻ hơn" 4.9, "ông bà đi thay" 1.7 (chosen on the dev sets: 2.0 refuses every dev
    # harmful or personal-data question asked right after the procedure it names that method 4 refuses)
    guarded_words: float = 2.0
    # ... and only in a question this short: a long one stands on its own ("can I register our
    # marriage using a single-status letter I made myself", 23 words, harmful words 1.6)
    guarded_max_words: int = 15
    # method 6: a question of at most ``residual_max_words`` words whose words, once its aspect/ask
    # words are taken out (``knowledge.understand.followup``), say less than ``residual`` (IDF x field weight
    # of its best remaining word) for any other procedure stays on the conversation's procedure
    # even when retrieval is sure of another one ("làm qua điện thoại được không" after a birth
    # answer scores the online-submission record). Fitted by leave-one-set-out CV on the dev
    # follow-ups (bench/tune_understand6.py); math.inf turns it off.
    residual: float = 1.75
    residual_max_words: int = 15

    def own_words(self, kind: str, guarded: Sequence[str], words: int) -> float:
        """The typical-words score at which a refusal kind ends a conversation, for a question of
        ``words`` words (a harmful or personal-data refusal of a long question always ends it)."""
        if kind not in guarded:
            return self.topic_words
        return self.guarded_words if words <= self.guarded_max_words else -math.inf


# REFER reasons a conversation never overrides: the question is out of scope or not a question.
_KEEP_REFER = frozenset({ReferReason.OUT_OF_SCOPE, ReferReason.EMPTY, ReferReason.GARBAGE,
                         ReferReason.TOO_LONG})


def follow_up(decision: Decision, hits: Sequence[Hit], *, previous: str, words: int,
              named: dict[str, float], thresholds: Thresholds,
              rule: FollowUpRule = FollowUpRule(), own: float = math.inf) -> Decision:
    """The decision for a question asked right after an answer about ``previous``: that procedure
    again (reason "follow-up") when the question is clearly a follow-up, else ``decision`` unchanged.

    ``words``: the question's length in words; ``named``: its name coverage per procedure
    (``LexicalIndex.name_coverage``; the kiosk measures it on the question's aspect-free pieces,
    ``knowledge.understand.followup.named_apart_from_aspects``, so "làm trên mạng được không" asks
    about an aspect and does not name the online-submission record whose alias it is). An
    out-of-scope question, a long one, one naming another procedure or one retrieval answers with a
    high probability keeps its decision, unless it is aspect-only: ``own``
    (``knowledge.understand.followup.own_evidence``) below ``rule.residual``.
    """
    if decision.procedure_id == previous or ReferReason.of(decision.reason) in _KEEP_REFER:
        return decision
    if any(cov >= rule.named for pid, cov in named.items() if pid != previous):
        return decision
    aspect_only = words <= rule.residual_max_words and own < rule.residual
    if not aspect_only and words > rule.max_words:
        return decision
    if not aspect_only and decision.verdict is Verdict.ANSWER and hits and hits[0].score >= rule.strong:
        return decision
    others = (decision.procedure_id, *decision.alternatives, *(h.procedure_id for h in hits))
    alts = tuple(dict.fromkeys(p for p in others if p and p != previous))[:3]
    return Decision(Verdict.ANSWER, max(decision.confidence, thresholds.min_confidence), previous,
                    "follow-up", alts)


# ---- phrase tables --------------------------------------------------------------------------------
# Matched as whole syllable sequences: on the normalised text when the question has diacritics,
# on the folded text (folded phrases) when it has none. Phrases whose folded form collides with
# common words are marked "diacritics only" by a leading "=".

def _compile(phrases: Sequence[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    exact = sorted({normalize_vi(p.lstrip("=")) for p in phrases}, key=len, reverse=True)
    folded = sorted({fold_diacritics(normalize_vi(p)) for p in phrases if not p.startswith("=")},
                    key=len, reverse=True)

    def pat(alts: list[str]) -> re.Pattern[str]:
        if not alts:
            return re.compile(r"(?!x)x")
        return re.compile(r"(?<!\S)(?:" + "|".join(re.escape(a) for a in alts) + r")(?!\S)")

    return pat(exact), pat(folded)


def _find(table: tuple[re.Pattern[str], re.Pattern[str]], norm: str) -> re.Match[str] | None:
    folded = fold_diacritics(norm)
    return table[1].search(norm) if folded == norm else table[0].search(norm)


ASPECT_PHRASES: dict[Aspect, tuple[str, ...]] = {
    Aspect.FEE: (
        "bao nhiêu tiền", "mất bao nhiêu", "hết bao nhiêu", "tốn bao nhiêu", "=tốn", "tốn tiền",
        "lệ phí", "mất phí", "có phí", "phí gì", "phí bao nhiêu", "tiền phí", "phí không", "mất tiền",
        "trả tiền", "đóng tiền", "nộp tiền", "thu tiền", "có thu", "=thu bao nhiêu", "tính tiền",
        "mất đồng nào", "đồng nào", "đắt", "có miễn phí không", "được miễn", "miễn phí không",
        "giá bao nhiêu", "mấy nghìn", "mấy trăm", "how much", "fee", "fees", "cost", "pay", "free",
    ),
    Aspect.DOCUMENTS: (
        "cần những gì", "cần gì", "giấy tờ gì", "giấy gì", "những giấy tờ", "giấy tờ cần", "cần giấy tờ",
        "mang giấy tờ", "nộp giấy tờ", "mang theo", "mang gì", "mang những gì", "chuẩn bị gì",
        "chuẩn bị những gì", "cần chuẩn bị", "hồ sơ gồm", "cần hồ sơ", "hồ sơ gì", "hồ sơ cần",
        "cần mang", "phải mang", "đơn gì", "tờ khai gì", "thông tin gì", "cần công chứng", "phải công chứng",
        "documents", "papers", "what do i need", "what should i bring", "bring",
    ),
    Aspect.TIME: (
        "bao lâu", "mấy ngày", "mấy hôm", "bao nhiêu ngày", "khi nào lấy", "bao giờ lấy", "bao giờ có",
        "khi nào có", "bao giờ xong", "khi nào xong", "lâu không", "có lâu không", "lấy ngay",
        "trong ngày", "thời hạn", "mất mấy", "mấy giờ", "mở cửa", "đóng cửa", "giờ làm việc",
        "làm việc không", "thứ bảy", "chủ nhật", "how long", "how many days", "when can i get",
        "opening hours", "what time", "open on", "saturday", "sunday",
    ),
    Aspect.WHO: (
        "ai", "ai đi", "ai làm", "ai được", "đi thay", "làm thay", "thay được", "thay có được",
        "làm hộ được", "làm hộ có", "làm hộ cho", "đi làm hộ", "nhờ làm hộ", "nộp thay", "nhờ người",
        "ủy quyền", "người nhà", "có phải đi không", "phải có mặt", "có mặt",
        "tự đi", "một mình", "đồng ý", "điều kiện", "có được nhận", "có được hưởng", "được hưởng",
        "có được cấp", "có được làm", "thuộc diện", "đối tượng", "who", "on behalf", "instead of",
        "eligible",
    ),
    Aspect.WHERE: (
        "ở đâu", "chỗ nào", "nơi nào", "phòng nào", "quầy nào", "trang nào", "đi đâu", "tại đâu",
        "lên đâu", "ra đâu", "vào đâu", "làm ở", "nộp ở", "đến đâu để", "hay lên",
        "hay ra", "nơi khác", "where", "which office", "which website",
    ),
    Aspect.ONLINE: (
        "trên mạng", "qua mạng", "online", "trực tuyến", "qua điện thoại", "bằng điện thoại",
        "trên điện thoại", "=điện thoại", "không cần đến", "không phải đến", "ở nhà làm",
        "tại nhà", "internet", "on the internet", "on my phone",
    ),
    Aspect.STEPS: (
        "các bước", "từng bước", "trình tự", "quy trình", "cách làm", "làm lần lượt", "bước nào trước",
        "bắt đầu từ đâu", "đăng nhập", "steps", "step by step", "how do i", "how can i", "how to",
        "how do we",
    ),
}
# Checked before the priority order: "mất bao nhiêu ngày" is about time, not money.
_FIRST: tuple[tuple[Aspect, tuple[str, ...]], ...] = (
    (Aspect.TIME, ("bao nhiêu ngày", "mất mấy ngày", "bao nhiêu hôm", "bao nhiêu lâu")),
)
# Weak hints only count when nothing else matched ("VNeID" is also a procedure's name).
_WEAK_ONLINE = ("vneid", "dịch vụ công", "app", "ứng dụng")

_ASPECT_TABLES = {a: _compile(p) for a, p in ASPECT_PHRASES.items()}
_WEAK_ONLINE_TABLE = _compile(_WEAK_ONLINE)
_FIRST_TABLES = tuple((a, _compile(p)) for a, p in _FIRST)
_PRIORITY = (Aspect.FEE, Aspect.DOCUMENTS, Aspect.TIME, Aspect.WHERE, Aspect.WHO, Aspect.ONLINE,
             Aspect.STEPS)


def detect_aspect(question: str) -> Aspect:
    """What is asked: "làm khai sinh mất bao nhiêu tiền" -> FEE. Default GENERAL."""
    norm = normalize_vi(question)[:2000]
    if not norm:
        return Aspect.GENERAL
    for aspect, table in _FIRST_TABLES:
        if _find(table, norm):
            return aspect
    for aspect in _PRIORITY:
        if _find(_ASPECT_TABLES[aspect], norm):
            return aspect
    if _find(_WEAK_ONLINE_TABLE, norm):
        return Aspect.ONLINE
    return Aspect.GENERAL


def is_garbage(question: str) -> bool:
    """Nothing a person could have asked: empty, no letters, or mostly non-Vietnamese symbols."""
    norm = normalize_vi(question)
    letters = [c for c in norm if c.isalpha()]
    if len(letters) < 2:
        return True
    latin = sum(1 for c in letters if "a" <= fold_diacritics(c) <= "z")
    if latin / len(letters) < 0.6:
        return True
    words = norm.split()
    return bool(words) and sum(1 for w in words if len(w) > 12 and not w.isdigit()) / len(words) > 0.5
