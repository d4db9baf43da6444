"""Which of a record's facts answer the question. Pure: no I/O, no clock.

``asks(question)`` names what is asked, more precisely than the aspect: a deadline ("phải khai tử
trong bao lâu") is not the processing time ("bao lâu thì có kết quả"), a validity ("giấy có giá trị
bao lâu") is neither. ``select_facts`` scores every ``FactUnit`` of the chosen record by

* the ask's prior on the unit's field (a deadline is said in the summary, who or notes; the
  processing time in ``processing_time``),
* the ask's cue in the unit's text ("kể từ ngày", "ngày làm việc", "giá trị", "tuổi", "đồng"…),
* lexical overlap of the question's syllables and syllable pairs with the unit,
* the E5 similarity of question and unit when the caller has embeddings (``semantic``),

and keeps the best unit plus at most two more that score nearly as well and come from other facts.
Unsourced units are never kept: an ask whose best unit is unsourced is answered "no information".
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from knowledge.answer.facts import FactUnit
from knowledge.bundle.schema import Status, numbers_in
from knowledge.understand.normalize import fold_diacritics, normalize_vi


class Ask(StrEnum):
    DEADLINE = "deadline"  # how long one has to do it ("trong bao lâu phải khai tử")
    PROCESSING = "processing"  # how long the office takes
    VALIDITY = "validity"  # how long a paper stays valid
    AGE = "age"
    AMOUNT = "amount"  # fees
    BENEFIT = "benefit"  # how much an allowance or support pays
    EXEMPT = "exempt"  # who pays nothing
    COPIES = "copies"  # originals, copies, how many
    PROXY = "proxy"  # who may go on someone's behalf
    ONLINE = "online"
    WHERE = "where"
    CONDITION = "condition"  # who is eligible, conditions
    RESULT = "result"  # what one receives
    DOCUMENTS = "documents"
    STEPS = "steps"
    LEGAL = "legal"  # which law, decree, circular or article the procedure rests on
    GENERAL = "general"


def _rx(*parts: str) -> re.Pattern[str]:
    return re.compile(r"(?:^|\b)(?:" + "|".join(parts) + r")(?:\b|$)")


# Question patterns (on ``normalize_vi`` text: lower case, no punctuation). First match wins per ask.
ARTICLE_ASK = r"điều (?:mấy|nào|số mấy|bao nhiêu)"  # which article (also ``legal.asks_article``)
_LEGAL_DOC = r"(?:bộ luật|luật|nghị định|thông tư|nghị quyết|văn bản(?: pháp luật| pháp lý)?)"
_ASK_PATTERNS: tuple[tuple[Ask, re.Pattern[str]], ...] = (
    # the legal basis: the document is what is asked ("nghị định nào", "theo văn bản nào"), not a
    # paper to bring ("nộp văn bản gì") nor a rule's content ("luật quy định phải … bao lâu")
    (Ask.LEGAL, _rx(r"(?:bộ luật|luật|nghị định|thông tư|nghị quyết) (?:nào|gì|số mấy|số bao nhiêu|mấy)",
                    r"(?:theo|căn cứ|căn cứ vào|dựa vào|dựa trên|do) " + _LEGAL_DOC + r" (?:nào|gì|số mấy)",
                    r"(?:quyết định|văn bản) (?:số mấy|nào quy định|nào ban hành)",
                    r"(?:căn cứ|cơ sở) pháp lý", r"văn bản (?:pháp luật|pháp lý|quy phạm)",
                    ARTICLE_ASK + r" (?:của |trong |thuộc )?" + _LEGAL_DOC,
                    r"(?:quy định|ghi) (?:ở|tại|trong) (?:điều|văn bản|luật|nghị định|thông tư) "
                    r"(?:nào|mấy)")),
    (Ask.VALIDITY, _rx(r"giá trị", r"hiệu lực", r"hết hạn", r"dùng được (?:bao lâu|mấy|bao nhiêu)",
                       r"sử dụng được", r"bao lâu (?:thì )?(?:phải )?(?:đổi|làm lại)",
                       r"thời hạn (?:của )?(?:giấy|thẻ)")),
    (Ask.DEADLINE, _rx(r"(?:phải|cần) .{0,30}(?:trong|trước) (?:bao lâu|mấy|bao nhiêu)",
                       r"(?:trong|trước) (?:vòng )?(?:bao lâu|mấy ngày|bao nhiêu ngày) (?:phải|thì phải)",
                       r"(?:có|được) (?:bao nhiêu|mấy) ngày (?:để|mà)", r"(?:bao nhiêu|mấy) ngày để",
                       r"hạn chót", r"chậm nhất", r"muộn nhất",
                       r"thời hạn (?:đi |phải )?(?:đăng ký|khai|làm|báo|nộp)", r"hạn (?:đăng ký|khai|báo)",
                       r"(?:bao lâu|mấy ngày|bao nhiêu ngày) (?:phải|thì phải|là phải)",
                       r"sau (?:bao lâu|mấy ngày) (?:phải|thì phải)", r"quá hạn", r"trễ hạn", r"muộn",
                       r"để lâu", r"bao lâu (?:thì )?bị phạt", r"kể từ ngày")),
    (Ask.PROCESSING, _rx(r"bao lâu", r"mấy ngày", r"bao nhiêu ngày", r"bao giờ",
                         r"khi nào (?:có|xong|nhận|lấy)",
                         r"lấy ngay", r"trong ngày", r"chờ", r"trả kết quả", r"nhanh không", r"lâu không")),
    (Ask.AGE, _rx(r"tuổi", r"bao nhiêu tuổi", r"mấy tuổi")),
    (Ask.BENEFIT, _rx(r"(?:trợ cấp|hỗ trợ|được hưởng|được nhận|lương hưu)\b.{0,30}(?:bao nhiêu|mấy)",
                      r"được (?:bao nhiêu|mấy) (?:tiền|đồng)", r"mức (?:trợ cấp|hỗ trợ|hưởng)",
                      r"mỗi tháng được")),
    (Ask.EXEMPT, _rx(r"(?:ai|người nào|đối tượng nào|trường hợp nào) (?:được )?miễn", r"được miễn",
                     r"miễn (?:phí|lệ phí) cho", r"không phải (?:nộp|trả|đóng)")),
    (Ask.AMOUNT, _rx(r"bao nhiêu tiền", r"mấy tiền", r"lệ phí", r"phí", r"tiền", r"mức", r"trợ cấp bao nhiêu",
                     r"hỗ trợ bao nhiêu", r"được bao nhiêu", r"(?:\d+|nghìn|triệu|trăm|mấy|bao nhiêu) đồng",
                     r"miễn phí")),
    (Ask.PROXY, _rx(r"làm thay", r"đi thay", r"thay cho", r"nộp thay", r"nhờ", r"ủy quyền", r"uỷ quyền",
                    r"người khác", r"con cháu", r"người nhà", r"ông bà", r"không đi được", r"đại diện",
                    r"đi thay được", r"ai (?:đi|làm|nộp|khai)")),
    (Ask.COPIES, _rx(r"mấy bản", r"bao nhiêu bản", r"bản sao", r"bản chính", r"photo", r"công chứng")),
    (Ask.WHERE, _rx(r"đúng (?:phường|xã|nơi)", r"nơi (?:cư trú|ở|thường trú)", r"phường nào", r"xã nào",
                    r"phường khác", r"xã khác", r"ở đâu", r"đi đâu")),
    (Ask.ONLINE, _rx(r"trên mạng", r"trực tuyến", r"online", r"qua mạng", r"vneid", r"dịch vụ công",
                     r"ở nhà", r"(?:trên|bằng|qua) điện thoại", r"qua app", r"ứng dụng")),
    (Ask.WHERE, _rx(r"đúng (?:phường|xã|nơi)", r"nơi (?:cư trú|ở|thường trú)", r"phường nào", r"xã nào",
                    r"phường khác", r"xã khác", r"chỗ khác", r"ở đâu", r"chỗ nào", r"nơi nào", r"đi đâu",
                    r"nộp ở", r"làm ở", r"phòng nào", r"quầy nào",
                    r"cơ quan nào", r"công an hay", r"phường hay")),
    (Ask.CONDITION, _rx(r"điều kiện", r"ai được", r"của ai", r"trẻ con", r"trẻ em", r"con nhỏ",
                        r"đối tượng", r"có được hưởng", r"được hưởng",
                        r"trường hợp nào", r"được không", r"có được", r"có phải", r"phải không",
                        r"có cần", r"bắt buộc")),
    (Ask.RESULT, _rx(r"nhận được gì", r"kết quả là", r"được cấp gì", r"cấp giấy gì", r"giấy gì")),
    (Ask.DOCUMENTS, _rx(r"giấy tờ", r"hồ sơ", r"mang (?:theo )?gì", r"cần (?:những )?gì", r"chuẩn bị gì")),
    (Ask.STEPS, _rx(r"các bước", r"thủ tục thế nào", r"làm thế nào", r"làm sao", r"làm như thế nào",
                    r"quy trình")),
)

_FOLDED_PATTERNS = tuple((ask, re.compile(fold_diacritics(rx.pattern))) for ask, rx in _ASK_PATTERNS)

# Asks the unit-by-unit selection answers; the others (documents, steps, general) read lists.
SPECIFIC = frozenset({Ask.DEADLINE, Ask.PROCESSING, Ask.VALIDITY, Ask.AGE, Ask.AMOUNT, Ask.BENEFIT,
                      Ask.EXEMPT, Ask.LEGAL,
                      Ask.COPIES, Ask.PROXY, Ask.ONLINE, Ask.WHERE, Ask.CONDITION, Ask.RESULT})

FIELD_PRIOR: dict[Ask, dict[str, float]] = {
    Ask.DEADLINE: {"summary": 0.7, "who": 0.6, "notes": 0.6, "fee": 0.3, "fee/details": 0.3,
                   "processing_time": 0.1, "steps": 0.3},
    Ask.PROCESSING: {"processing_time": 1.0, "notes": 0.4, "summary": 0.2},
    Ask.VALIDITY: {"notes": 0.8, "summary": 0.5, "processing_time": 0.1, "documents": 0.3},
    Ask.AGE: {"who": 0.7, "summary": 0.6, "notes": 0.6, "documents": 0.3, "fee/details": 0.3,
              "fee/exemptions": 0.3, "where": 0.3},
    Ask.AMOUNT: {"fee": 1.0, "fee/details": 0.8, "fee/exemptions": 0.5, "notes": 0.4, "summary": 0.4},
    Ask.BENEFIT: {"notes": 0.8, "summary": 0.7, "who": 0.3, "steps": 0.2, "fee": 0.1},
    Ask.EXEMPT: {"fee/exemptions": 1.0, "fee": 0.6, "fee/details": 0.3, "notes": 0.3},
    Ask.COPIES: {"documents": 0.8, "notes": 0.5, "summary": 0.3},
    Ask.PROXY: {"who": 1.0, "notes": 0.5, "documents": 0.3, "summary": 0.3},
    Ask.ONLINE: {"online": 1.0, "notes": 0.4, "steps": 0.3},
    Ask.WHERE: {"where": 1.0, "summary": 0.4, "notes": 0.3},
    Ask.CONDITION: {"who": 0.7, "summary": 0.6, "notes": 0.6, "documents": 0.3},
    Ask.RESULT: {"summary": 0.7, "notes": 0.5, "processing_time": 0.3},
}

# What a unit that answers the ask looks like (on ``normalize_vi`` text).
CUE: dict[Ask, re.Pattern[str]] = {
    Ask.DEADLINE: re.compile(r"kể từ ngày|kể từ khi|trong (?:vòng )?\d+ ngày(?! làm việc)|chậm nhất|"
                             r"\d+ ngày trở lên|"
                             r"thời hạn (?:gia đình|phải|đăng ký|khai)|có trách nhiệm|quá hạn|đúng hạn"),
    Ask.PROCESSING: re.compile(r"ngày làm việc|làm ngay|ngay trong ngày|ngay sau khi|trả kết quả|"
                               r"trong ngày|ngày (?:tiếp theo|hôm sau)|giải quyết"),
    Ask.VALIDITY: re.compile(r"giá trị|hiệu lực|hết hạn|thời hạn sử dụng|dùng (?:luôn|được)|đổi thẻ|đổi nữa"),
    Ask.AGE: re.compile(r"\d+ tuổi|tuổi"),
    Ask.AMOUNT: re.compile(r"\d+ ?đồng|lệ phí|miễn|không mất|không thu|mức|phí"),
    Ask.BENEFIT: re.compile(r"\d+ ?đồng|mức (?:trợ cấp|hỗ trợ|chuẩn)"),
    Ask.EXEMPT: re.compile(r"miễn|không mất|không thu|không phải nộp"),
    Ask.COPIES: re.compile(r"bản sao|bản chính|\d+ bản|bản photo|chứng thực|đối chiếu"),
    Ask.PROXY: re.compile(r"ủy quyền|uỷ quyền|đi thay|làm thay|nộp thay|thay cho|người thân|đại diện|"
                          r"người giám hộ|ông bà|ông hoặc bà|người đi|nhờ"),
    Ask.ONLINE: re.compile(r"trực tuyến|vneid|cổng dịch vụ công|dịch vụ công|dvcqg|qua mạng|online"),
    Ask.WHERE: re.compile(r"ubnd|ủy ban|uỷ ban|công an|bộ phận một cửa|trung tâm|phục vụ hành chính|nơi"),
    Ask.CONDITION: re.compile(r"điều kiện|được|phải|không|từ đủ|trở lên|dưới|thuộc"),
    Ask.RESULT: re.compile(r"kết quả|được cấp|trích lục|giấy chứng nhận|bản chính"),
}

OWN_DEADLINE = re.compile(r"trong (?:vòng )?\d+ ngày(?! làm việc)|\d+ ngày trở lên|chậm nhất")
_OWN_DEADLINE = OWN_DEADLINE

_STOP_WORDS = """
à ạ ơi ạ cho tôi cháu bác em anh chị mình hỏi với thì là mà có không được bao nhiêu mấy gì nào sao thế
như làm cần phải của và hay hoặc để đi ở tại này kia đó đây ấy vậy nhỉ nhé nha chứ rồi đã sẽ đang bị
một những các cái con người ai khi nếu xin muốn biết
"""
_STOP = frozenset(_STOP_WORDS.split())

W_PRIOR, W_CUE, W_LEX, W_SEM = 0.40, 0.40, 0.35, 0.20
KEEP_RATIO = 0.9  # a further unit is kept when it scores at least this share of the best
NAME_WORD_SHARE = 0.2  # a title word in at least this share of a record's facts names the record
MAX_FACTS = 2  # spoken facts per answer (the LLM may choose up to 3)
# asks one fact answers: a second one is more often a different rule that sounds alike
ONE_FACT = frozenset({Ask.DEADLINE, Ask.PROCESSING, Ask.VALIDITY, Ask.AGE, Ask.WHERE, Ask.ONLINE, Ask.PROXY})


@dataclass(frozen=True, slots=True)
class Scored:
    unit: FactUnit
    score: float
    cue: bool


def asks(question: str, title: str = "") -> tuple[Ask, ...]:
    """What the question asks, most specific first; ``(GENERAL,)`` when nothing specific.

    ``title``: the procedure's name; a cue made only of its words ("bản sao" in "cấp bản sao trích
    lục", "vneid" in the VNeID procedure) names the procedure, not what is asked about it."""
    q = normalize_vi(question)
    name = set(normalize_vi(title).split())
    patterns = _ASK_PATTERNS
    if fold_diacritics(q) == q:  # typed without diacritics: the same patterns, folded
        patterns, name = _FOLDED_PATTERNS, {fold_diacritics(w) for w in name}
    found: list[Ask] = []
    for ask, rx in patterns:
        if ask in found:
            continue
        if any(not set(m.group(0).split()) <= name for m in rx.finditer(q)):
            found.append(ask)
    if Ask.DEADLINE in found and Ask.PROCESSING in found:
        found.remove(Ask.PROCESSING)
    if Ask.VALIDITY in found:
        found = [a for a in found if a not in (Ask.PROCESSING, Ask.DEADLINE)]
    if Ask.EXEMPT in found and Ask.AMOUNT in found:
        found.remove(Ask.AMOUNT)
    if Ask.BENEFIT in found and Ask.AMOUNT in found:
        found.remove(Ask.AMOUNT)
    if (Ask.AGE in found and not re.search(r"(?:bao nhiêu|mấy) tuổi", q)
            and any(a in found for a in (Ask.AMOUNT, Ask.BENEFIT, Ask.WHERE, Ask.PROCESSING))):
        found.remove(Ask.AGE)  # "con 10 tuổi làm căn cước ở đâu": the age qualifies, the place is asked
        found.append(Ask.AGE)
    return tuple(found) or (Ask.GENERAL,)


def content_words(text: str) -> list[str]:
    return [w for w in normalize_vi(text).split() if w not in _STOP]


def _pairs(words: Sequence[str]) -> set[str]:
    return {f"{a} {b}" for a, b in itertools.pairwise(words)}


def lexical_overlap(question: str, text: str, exclude: frozenset[str] = frozenset()) -> float:
    """Share of the question's content syllables (and syllable pairs, counted double) in ``text``;
    ``exclude``: the procedure's own name words (they name the record, not one of its facts)."""
    qw = [w for w in content_words(question) if w not in exclude]
    if not qw:
        return 0.0
    tw = normalize_vi(text).split()
    tset, tpairs = set(tw), _pairs(tw)
    qpairs = _pairs(qw)
    hits = sum(1 for w in set(qw) if w in tset) + 2 * len(qpairs & tpairs)
    return min(1.0, hits / (len(set(qw)) + 2 * max(1, len(qpairs))))


def score_units(question: str, units: Sequence[FactUnit], ask_list: Sequence[Ask],
                semantic: Mapping[str, float] | None = None,
                exclude: frozenset[str] = frozenset()) -> list[Scored]:
    """Every unit with its score, best first (ties keep record order)."""
    primary = ask_list[0] if ask_list else Ask.GENERAL
    out: list[Scored] = []
    for pos, u in enumerate(units):
        match = normalize_vi(u.match)
        prior = 0.0
        cue = False
        for rank, ask in enumerate(a for a in ask_list if a in SPECIFIC):
            weight = 1.0 if rank == 0 else 0.5
            prior = max(prior, weight * FIELD_PRIOR.get(ask, {}).get(u.field, 0.0))
            rx = CUE.get(ask)
            if FIELD_PRIOR.get(ask, {}).get(u.field, 0.0) >= 1.0 and rank == 0:
                cue = True  # the ask's own field answers it, whatever its wording
            if rx is not None and rx.search(match):
                cue = cue or rank == 0 or ask is primary
                prior = max(prior, weight * 0.3)
        s = (W_PRIOR * prior + (W_CUE if cue else 0.0) + W_LEX * lexical_overlap(question, u.match, exclude)
             + W_SEM * (semantic or {}).get(u.id, 0.0))
        if primary is Ask.DEADLINE and "ngày làm việc" in match and not _OWN_DEADLINE.search(match):
            s -= 0.25  # a processing time is the classic wrong answer to a deadline question
        if "#" not in u.id:
            s += 0.02  # a curated say form (or a one-sentence fact) wins a tie with a raw sentence
        out.append(Scored(u, round(s - pos * 1e-6, 6), cue))
    out.sort(key=lambda sc: -sc.score)
    return out


def select_facts(question: str, units: Sequence[FactUnit], ask_list: Sequence[Ask],
                 semantic: Mapping[str, float] | None = None, max_facts: int = MAX_FACTS,
                 exclude: frozenset[str] = frozenset()) -> tuple[list[Scored], Scored | None]:
    """(units to speak, best first; the best unsourced unit if it outranks them all).

    A unit is never spoken twice for one fact; an unsourced unit is never spoken."""
    ranked = score_units(question, units, ask_list, semantic, exclude)
    primary = ask_list[0] if ask_list else Ask.GENERAL
    if primary in ONE_FACT:
        max_facts = 1
    sourced = [sc for sc in ranked if sc.unit.status is not Status.UNSOURCED]
    own = [sc for sc in sourced if FIELD_PRIOR.get(primary, {}).get(sc.unit.field, 0.0) >= 1.0]
    if sourced and own and own[0] is not sourced[0] and own[0].score >= KEEP_RATIO * sourced[0].score:
        # the ask's own field (the fee line for "bao nhiêu tiền") leads a close race; the other follows
        ranked = [own[0], *(sc for sc in ranked if sc is not own[0])]
    chosen: list[Scored] = []
    unsourced: Scored | None = None
    seen_facts: set[str] = set()
    said: set[str] = set()
    for sc in ranked:
        if sc.unit.status is Status.UNSOURCED:
            if not chosen and unsourced is None and sc.cue:
                unsourced = sc
            continue
        if sc.unit.fact_id in seen_facts:
            continue
        if chosen and (sc.score < KEEP_RATIO * chosen[0].score or not sc.cue or len(chosen) >= max_facts):
            break
        nums = numbers_in(sc.unit.spoken)
        if chosen and nums and nums <= said:
            continue  # says again a number already said ("15 ngày" in the summary and in who)
        said |= nums
        chosen.append(sc)
        seen_facts.add(sc.unit.fact_id)
    if unsourced is not None and chosen and chosen[0].score > unsourced.score:
        unsourced = None
    return chosen, unsourced


def name_words(record: object, units: Sequence[FactUnit] = ()) -> frozenset[str]:
    """The syllables of the procedure's title ("đăng ký khai tử") that do not tell its facts apart:
    with ``units``, a title word found in fewer than ``NAME_WORD_SHARE`` of them is kept for
    matching ("đổi" in "cấp, cấp đổi thẻ căn cước" tells the renewal fee from the first-card one)."""
    words = frozenset(normalize_vi(str(getattr(record, "title", ""))).split())
    if not units:
        return words
    texts = [set(normalize_vi(u.match).split()) for u in units]
    return frozenset(w for w in words if sum(w in t for t in texts) >= NAME_WORD_SHARE * len(texts))
