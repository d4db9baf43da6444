"""Guard for LLM replies: a reply may only say what the retrieved record says. Pure: no I/O.

``check_reply(reply, record, question, language)`` returns ``GuardResult(ok, reason, detail)``.
A reply is rejected (and the template answer speaks instead) when it

* is empty, too long (more than ``max_sentences`` sentences or ``max_chars`` characters) or not in
  the expected language (diacritics ratio, English function words, CJK characters);
* contains a number (digits or spelled-out Vietnamese: "năm nghìn", "sáu mươi ngày") that is not in
  the record; reasons ``fee`` / ``time`` / ``number`` by the unit next to it;
* claims the procedure is free, paid or done on the spot when the record does not say so;
* names a document ("giấy xác nhận cư trú") that the record does not name;
* names another procedure (title or alias of another record) that the record does not mention;
* contains a URL, domain or phone number that is not in the record;
* echoes injected instructions ("theo yêu cầu của bạn", "bỏ qua hướng dẫn", words copied from an
  instruction inside the question).

* is not fluent: words that are not Vietnamese syllables ("nhữt", "nghđi"), or a phrase repeated
  three times (a small model looping).

Reasons are stable strings: ``empty too-long not-vietnamese not-english repetitive injection url
phone other-procedure fee time number document``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from knowledge.bundle import Record, Status
from knowledge.normalize import normalize_vi

MAX_SENTENCES = 3
MAX_CHARS = 350


@dataclass(frozen=True, slots=True)
class GuardResult:
    ok: bool
    reason: str = ""  # "" when ok
    detail: str = ""  # what triggered it (for logs/tests; never the question text)


OK = GuardResult(True)


# ---- text helpers -------------------------------------------------------------------------------
_SENT_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+")
_WS = re.compile(r"\s+")


def split_reply_sentences(text: str) -> list[str]:
    """Sentences of a reply: split after . ! ? … followed by space, and at line breaks."""
    return [s.strip(" -*•\t") for s in _SENT_SPLIT.split(text.strip()) if s.strip(" -*•\t")]


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _norm(text: str) -> str:
    """Lowercase words separated by single spaces (punctuation dropped, thousands kept together)."""
    return normalize_vi(text)


def _contains_phrase(haystack_norm: str, phrase_norm: str) -> bool:
    return bool(phrase_norm) and f" {phrase_norm} " in f" {haystack_norm} "


# ---- numbers --------------------------------------------------------------------------------------
_DIGITS = {"không": 0, "một": 1, "mốt": 1, "hai": 2, "ba": 3, "bốn": 4, "tư": 4, "năm": 5, "lăm": 5,
           "nhăm": 5, "sáu": 6, "bảy": 7, "bẩy": 7, "tám": 8, "chín": 9}
_SCALES = {"nghìn": 1000, "ngàn": 1000, "triệu": 1_000_000, "tỷ": 1_000_000_000, "tỉ": 1_000_000_000}
_MONEY_UNITS = {"đồng", "đ", "vnđ", "vnd", "nghìn", "ngàn", "triệu", "tỷ", "tỉ", "k"}
_TIME_UNITS = {"ngày", "tháng", "năm", "tuần", "giờ", "phút", "buổi", "h"}
_COUNT_UNITS = {"bản", "lần", "tuổi", "trang", "người", "bộ", "tờ", "việc", "cái"}
# A single spelled digit is a number only before a unit; "một" only before time/money units
# ("một người thân" is an article), "không" only in "không đồng", "tư"/"mốt"/"lăm" never alone.
_SINGLE_UNITS = _MONEY_UNITS | _TIME_UNITS | _COUNT_UNITS
_MOT_UNITS = _MONEY_UNITS | _TIME_UNITS
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+", re.UNICODE)
_THOUSANDS = re.compile(r"^\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*$")


def _digit_value(tok: str) -> float:
    if _THOUSANDS.match(tok):
        return float(re.sub(r"[.,]", "", tok))
    if re.fullmatch(r"\d+[.,]\d+", tok):
        return float(tok.replace(",", "."))
    return float(re.sub(r"[.,]", "", tok))


def _fmt(v: float) -> str:
    return str(int(v)) if v == int(v) else f"{v:g}"


def _below_1000(toks: Sequence[str], i: int) -> tuple[float, int] | None:
    """Parse a spelled number below 1000 starting at ``toks[i]``: (value, next index)."""
    n = len(toks)

    def digit(j: int, allowed: Iterable[str] = ("một", "hai", "ba", "bốn", "năm", "sáu", "bảy",
                                                 "bẩy", "tám", "chín")) -> int | None:
        return _DIGITS[toks[j]] if j < n and toks[j] in allowed else None

    value = 0.0
    j = i
    hundreds = digit(j)
    if hundreds is not None and j + 1 < n and toks[j + 1] == "trăm":
        value += hundreds * 100
        j += 2
        if j + 1 < n and toks[j] in ("linh", "lẻ") and digit(j + 1) is not None:
            return value + (digit(j + 1) or 0), j + 2
    elif j < n and toks[j] == "trăm":  # "trăm nghìn" = 100 000 in speech
        value += 100
        j += 1
    after_tens = ("một", "hai", "ba", "bốn", "lăm", "nhăm", "sáu", "bảy", "bẩy", "tám", "chín")
    if j < n and toks[j] == "mười":
        value += 10
        j += 1
        u = digit(j, after_tens)
        if u is not None:
            value += u
            j += 1
    else:
        t = digit(j, ("hai", "ba", "bốn", "năm", "sáu", "bảy", "bẩy", "tám", "chín"))
        if t is not None and j + 1 < n and toks[j + 1] in ("mươi", "chục"):
            value += t * 10
            j += 2
            u = digit(j, (*after_tens, "mốt", "tư"))
            if u is not None:
                value += u
                j += 1
        else:  # a lone digit, or the units after "trăm" ("hai trăm năm" is 200 years, not 205)
            u = digit(j) if j == i else digit(j, after_tens)
            if u is not None:
                value += u
                j += 1
    return (value, j) if j > i else None


def _parse_number(toks: Sequence[str], i: int) -> tuple[float, int] | None:
    """A number made of spelled words and/or digits with scales ("5 nghìn", "hai triệu rưỡi")."""
    total = 0.0
    j = i
    n = len(toks)
    while j < n:
        if toks[j][0].isdigit():
            if j > i:  # "năm 2025": the digit group is a separate number
                break
            part, k = _digit_value(toks[j]), j + 1
        else:
            parsed = _below_1000(toks, j)
            if parsed is None:
                break
            part, k = parsed
        if k < n and toks[k] in _SCALES:
            scale = _SCALES[toks[k]]
            k += 1
            if k < n and toks[k] == "rưỡi":
                part += 0.5
                k += 1
            total += part * scale
            j = k
            continue
        total += part
        j = k
        break
    return (total, j) if j > i else None


@dataclass(frozen=True, slots=True)
class NumberMention:
    value: str
    unit: str  # the word after the number ("" if none)


def numbers_mentioned(text: str) -> list[NumberMention]:
    """Numbers in ``text``, written with digits or spelled out in Vietnamese, with the next word."""
    toks = [t.lower() for t in _TOKEN.findall(_nfc(text))]
    out: list[NumberMention] = []
    i = 0
    while i < len(toks):
        tok = toks[i]
        if tok == "không" and i + 1 < len(toks) and toks[i + 1] in ("đồng", "đ"):
            out.append(NumberMention("0", toks[i + 1]))
            i += 2
            continue
        if tok[0].isdigit() or tok in _DIGITS or tok in ("mười", "trăm"):
            parsed = _parse_number(toks, i)
            if parsed is not None:
                value, j = parsed
                unit = toks[j] if j < len(toks) else ""
                if unit not in _SINGLE_UNITS and toks[j - 1] in (*_SCALES, "rưỡi"):
                    unit = "nghìn"  # "năm nghìn", "1,5 triệu": money in practice
                words = j - i
                spelled_single = not tok[0].isdigit() and words == 1
                keep = True
                if spelled_single:
                    if tok == "không":
                        keep = unit in ("đồng", "đ")
                    elif tok in ("tư", "mốt", "lăm", "nhăm"):
                        keep = False
                    elif tok == "một":
                        keep = unit in _MOT_UNITS
                    elif tok == "năm":
                        keep = unit in _SINGLE_UNITS and unit != "năm"
                    elif tok == "trăm":
                        keep = False
                    else:
                        keep = unit in _SINGLE_UNITS
                if keep:
                    out.append(NumberMention(_fmt(value), unit))
                    i = j
                    continue
        i += 1
    return out


def _category(unit: str) -> str:
    return "money" if unit in _MONEY_UNITS else "time" if unit in _TIME_UNITS else "other"


def record_numbers(texts: Iterable[str]) -> dict[str, set[str]]:
    """value -> categories ("money", "time", "other") of the unit it is used with in the record."""
    out: dict[str, set[str]] = {}
    for t in texts:
        for m in numbers_mentioned(t):
            out.setdefault(m.value, set()).add(_category(m.unit))
    return out


# ---- record corpus --------------------------------------------------------------------------------
def record_texts(record: Record) -> list[str]:
    """Every piece of text a reply may draw on: title, aliases, legal basis, URLs and the facts
    that have a source or are marked uncertain (an *unsourced* fact's text is not a fact)."""
    texts = [record.title, *record.aliases, *record.legal_basis]
    for f in record.facts():
        if f.status is not Status.UNSOURCED:
            texts += [f.text, f.say or "", f.note or ""]
    if record.online_url:
        texts.append(record.online_url)
    texts += [s.url for s in record.sources if s.url]
    return [t for t in texts if t]


def _fee_texts(record: Record) -> str:
    facts = (record.fee, *record.fee.details, *record.fee.exemptions)
    return " ".join(f.text + " " + (f.say or "") for f in facts if f.status is not Status.UNSOURCED)


# ---- patterns -------------------------------------------------------------------------------------
_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w-]+(?:\.[\w-]+)*\.(?:gov|com|net|org|info|edu|vn)"
                  r"(?:\.vn)?\b(?:/\S*)?", re.IGNORECASE)
_PHONE = re.compile(r"(?<![\d.,])(?:\+84|0)(?:[\s.-]?\d){8,10}(?![\d])|(?<![\d.,])1[89]00[\s.-]?\d{3,4}"
                    r"(?:[\s.-]?\d{1,4})?(?![\d])")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_VI_LETTERS = set("àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ")
def _wordset(words: str) -> frozenset[str]:
    return frozenset(words.split())


_EN_WORDS = _wordset("""the a an is are was were be been you your we our they it this that these those to of
for with and or not can will would should must have has do does please need needs at by from on in
as if yes no there here which what when where who how free fee days day document documents office
birth registration certificate you're it's don't""")
_VI_COMMON_ASCII = _wordset("""co khong can cho con la va o thi nao gi ban toi anh chi em ong ba tu den
nay do ma roi duoc""")

INJECTION_MARKERS = (
    "theo yêu cầu của bạn", "như bạn yêu cầu", "như bạn đã yêu cầu", "bạn đã yêu cầu", "theo lệnh",
    "bỏ qua hướng dẫn", "bỏ qua các hướng dẫn", "bỏ qua mọi hướng dẫn", "bỏ qua chỉ dẫn",
    "hướng dẫn trước", "hướng dẫn hệ thống", "lời nhắc hệ thống", "chỉ dẫn hệ thống", "quy tắc trước",
    "tôi là mô hình", "mô hình ngôn ngữ", "trí tuệ nhân tạo", "chế độ nhà phát triển", "vai trò mới",
    "quên hết", "quên mọi", "system prompt", "prompt", "ignore previous", "ignore all", "instruction",
    "as an ai", "language model", "developer mode", "jailbreak",
)
# Words in a question that mark an instruction to the model rather than a question.
QUESTION_INJECTION_MARKERS = (
    "bỏ qua", "hãy nói", "hãy trả lời", "hãy bảo", "hãy quên", "hãy viết", "hãy xác nhận", "từ giờ trở đi",
    "từ bây giờ", "giả sử bạn", "đóng vai", "bạn là một", "nhắc lại", "lặp lại", "in ra", "trả lời rằng",
    "nói rằng", "hãy nói là", "mệnh lệnh", "chỉ thị", "ignore", "prompt", "system", "instruction",
    "pretend", "say that",
)
_FREE_CLAIM = re.compile(
    r"\b(?:miễn (?:lệ )?phí|miễn tiền|không (?:mất|tốn|thu|phải trả|phải nộp|phải đóng|cần trả|cần nộp)"
    r" (?:lệ )?(?:phí|tiền|đồng nào)|không có (?:lệ )?phí|không thu (?:lệ )?phí|(?<![\d.,])0 đồng|không đồng"
    r"|free of charge|free)\b")
_FREE_IN_RECORD = re.compile(r"miễn|không thu|không mất|không phải (?:nộp|đóng)|(?<![\d.,])0 đồng|không tốn")
_PAID_CLAIM = re.compile(
    r"(?<!không )(?<!chẳng )\b(?:(?:phải|cần) (?:nộp|trả|đóng) (?:lệ )?(?:phí|tiền)"
    r"|có (?:thu|mất|tốn) (?:lệ )?(?:phí|tiền)|mất (?:lệ )?phí|tốn (?:lệ )?phí|có lệ phí|thu (?:lệ )?phí)\b")
_SAME_DAY_CLAIM = re.compile(r"\b(?:ngay trong ngày|trong ngày|lấy ngay|làm ngay|ngay lập tức|ngay tại chỗ"
                             r"|có ngay|xong ngay)\b")
_SAME_DAY_IN_RECORD = re.compile(r"trong ngày|ngay")

# Document names: a head word plus the words after it must be a phrase of the record.
_DOC_HEADS = (
    "giấy tờ", "giấy", "sổ", "thẻ", "tờ khai", "hộ chiếu", "căn cước", "cccd", "cmnd", "chứng minh nhân dân",
    "văn bản", "hợp đồng", "bản sao", "bản chính", "trích lục", "đơn", "ảnh", "bằng lái", "bằng cấp",
    "bằng tốt nghiệp", "chứng chỉ", "biên lai", "hóa đơn", "học bạ", "lý lịch", "quyết định", "sơ yếu",
    "phiếu",
)
_DOC_GENERIC = frozenset({"giấy tờ", "đơn giản", "đơn vị", "ảnh hưởng", "bằng cách", "bằng nhau",
                          "bằng không", "thẻ này", "mẫu này", "sổ này", "đơn này", "giấy này", "văn bản này",
                          "bản sao", "bản chính", "hợp đồng", "văn bản", "quyết định", "phiếu"})
_FUNCTION_WORDS = _wordset("""của và hoặc hay thì cho để là này đó không nếu khi với tại ở trong ra vào
đã đang sẽ được bị có cũng mà nhưng nên vì do bởi theo từ đến lên xuống rồi nhé ạ nữa luôn thôi các những
một hai ba bản chính sao cần gì nào khác như sau trên dưới""")
# "bản"/"chính"/"sao" end a document name: "giấy chứng sinh bản chính" is checked as "giấy chứng sinh".


_CLAUSE = re.compile(r"[.,;:!?()\[\]\n/]+")


def _doc_mentions(reply: str) -> list[str]:
    """Document names in ``reply``: a head word and up to two content words after it, per clause."""
    found: list[str] = []
    for clause in _CLAUSE.split(reply):
        found += _doc_mentions_clause(_norm(clause))
    return found


def _doc_mentions_clause(clause_norm: str) -> list[str]:
    words = clause_norm.split()
    found: list[str] = []
    heads = sorted(((h.split(), h) for h in _DOC_HEADS), key=lambda x: -len(x[0]))
    i = 0
    while i < len(words):
        for hw, _h in heads:
            if words[i:i + len(hw)] == hw:
                j = i + len(hw)
                tail: list[str] = []
                while j < len(words) and len(tail) < 2 and words[j] not in _FUNCTION_WORDS:
                    tail.append(words[j])
                    j += 1
                found.append(" ".join(hw + tail))
                i = j
                break
        else:
            i += 1
    return found


def _language_problem(reply: str, language: str) -> str:
    if _CJK.search(reply):
        return "not-vietnamese" if language == "vi" else "not-english"
    words = [w for w in re.findall(r"[^\W\d_]+", _nfc(reply).lower())]
    if not words:
        return ""
    vi = sum(1 for w in words if any(c in _VI_LETTERS for c in w))
    en = sum(1 for w in words if w in _EN_WORDS and w not in _VI_COMMON_ASCII)
    if language == "vi":
        if len(words) >= 3 and (vi / len(words) < 0.25 or en / len(words) > 0.2):
            return "not-vietnamese"
        if len(words) < 3 and vi == 0 and not all(w in _VI_COMMON_ASCII for w in words):
            return "not-vietnamese"
        return ""
    if len(words) >= 3 and vi / len(words) > 0.2:
        return "not-english"
    return ""


def _ngrams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


# ---- fluency: Vietnamese syllable shape and repetition --------------------------------------------
_TONE_MARKS = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}
_ONSETS = ("ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu", "b", "c", "d", "đ", "g", "h",
           "k", "l", "m", "n", "p", "r", "s", "t", "v", "x")
_RHYMES = frozenset(_wordset("""
a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iu oa oai oao oay oe oi ôi ơi ua uây uê ui uơ uôi
ưa ưi ươi ươu ưu uy uya uyu iêu yêu ya oo
ac ach am an ang anh ap at ăc ăm ăn ăng ăp ăt âc âm ân âng âp ât ec em en eng ep et êch êm ên ênh êp êt
ich im in inh ip it oc om on ong op ot ooc oong ôc ôm ôn ông ôp ôt ơm ơn ơp ơt uc um un ung up ut ưc ưng
ưt ưn ưm iêc iêm iên iêng iêp iêt yêm yên yêt oac oach oan oang oanh oap oat oăc oăm oăn oăng oăt oen oet
uân uâng uât uêch uênh uyên uyêt uyn uynh uyt uych uôc uôm uôn uông uôt ươc ươm ươn ương ươp ươt oem
"""))
_STOP_CODAS = ("c", "ch", "p", "t")


def valid_syllable(word: str) -> bool:
    """True if ``word`` (lowercase) has the shape of a Vietnamese syllable: onset + rhyme, and a
    syllable ending in c/ch/p/t carries the sắc or nặng tone ("nhữt", "nghđi" are not Vietnamese)."""
    decomposed = unicodedata.normalize("NFD", word)
    tones = [_TONE_MARKS[c] for c in decomposed if c in _TONE_MARKS]
    if len(tones) > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONE_MARKS))
    onset = next((o for o in _ONSETS if bare.startswith(o)), "")
    rhyme = bare[len(onset):]
    if onset == "gi" and rhyme not in _RHYMES:
        rhyme = "i" + rhyme  # "gì", "gìn", "giếng": the i of "gi" is also the rhyme's
    if not rhyme or rhyme not in _RHYMES:
        return False
    return not (rhyme.endswith(_STOP_CODAS) and tones and tones[0] not in ("sắc", "nặng"))


def _malformed_words(reply: str) -> list[str]:
    """Words with Vietnamese letters that are not Vietnamese syllables (abbreviations are skipped)."""
    bad = []
    for w in re.findall(r"[^\W\d_]+", _nfc(reply)):
        if not any(c in _VI_LETTERS for c in w.lower()) or any(c.isupper() for c in w[1:]):
            continue
        if not valid_syllable(w.lower()):
            bad.append(w)
    return bad


def _repetition(reply: str, corpus_norm: str) -> str:
    """A looping reply: a sentence said twice, or words repeated that are not a phrase of the record
    (procedure and document names legitimately recur): 6 words twice or 3 words four times."""
    seen: set[str] = set()
    for sentence in split_reply_sentences(reply):
        key = _norm(sentence)
        if len(key.split()) >= 3 and key in seen:
            return key
        seen.add(key)
    words = _norm(reply).split()
    for n, limit in ((6, 2), (3, 4)):
        counts: dict[tuple[str, ...], int] = {}
        for gram in (tuple(words[i:i + n]) for i in range(len(words) - n + 1)):
            counts[gram] = counts.get(gram, 0) + 1
            if counts[gram] >= limit and not _contains_phrase(corpus_norm, " ".join(gram)):
                return " ".join(gram)
    return ""


# ---- the check ------------------------------------------------------------------------------------
def check_reply(reply: str, record: Record, question: str = "", language: str = "vi", *,
                others: Sequence[Record] = (), max_sentences: int = MAX_SENTENCES,
                max_chars: int = MAX_CHARS) -> GuardResult:
    """Accept ``reply`` only if everything it states can be found in ``record`` (see module doc)."""
    reply = _nfc(reply or "").strip()
    if not reply or not re.search(r"\w", reply):
        return GuardResult(False, "empty")
    texts = record_texts(record)
    corpus = _nfc("\n".join(texts))
    corpus_low = corpus.lower()
    corpus_norm = _norm(corpus)
    reply_low = reply.lower()
    reply_norm = _norm(reply)

    # instructions echoed back
    for marker in INJECTION_MARKERS:
        if _contains_phrase(reply_norm, _norm(marker)) and not _contains_phrase(corpus_norm, _norm(marker)):
            return GuardResult(False, "injection", marker)
    q_norm = _norm(question)
    if q_norm and any(_contains_phrase(q_norm, _norm(m)) for m in QUESTION_INJECTION_MARKERS):
        q_words, r_words = q_norm.split(), reply_norm.split()
        for gram in _ngrams(r_words, 4) & _ngrams(q_words, 4):
            if not _contains_phrase(corpus_norm, " ".join(gram)):
                return GuardResult(False, "injection", " ".join(gram))

    # links and phone numbers
    for m in _URL.finditer(reply):
        url = m.group(0).rstrip(".,;:)!?").lower()
        bare = re.sub(r"^(?:https?://)?(?:www\.)?", "", url).rstrip("/")  # "https://x.gov.vn/" = "x.gov.vn"
        if bare not in corpus_low:
            return GuardResult(False, "url", url)
    corpus_digits = re.sub(r"\D", "", corpus)
    for m in _PHONE.finditer(reply):
        digits = re.sub(r"\D", "", m.group(0))
        if digits not in corpus_digits:
            return GuardResult(False, "phone", m.group(0))

    problem = _language_problem(reply, language)
    if problem:
        return GuardResult(False, problem)
    if language == "vi":
        bad = _malformed_words(reply)
        if len(bad) >= 2 or (bad and len(bad) * 10 > len(reply.split())):
            return GuardResult(False, "not-vietnamese", " ".join(bad[:3]))
    sentences = split_reply_sentences(reply)
    if len(sentences) > max_sentences or len(reply) > max_chars:
        return GuardResult(False, "too-long", f"{len(sentences)} sentences, {len(reply)} chars")
    repeated = _repetition(reply, corpus_norm)
    if repeated:
        return GuardResult(False, "repetitive", repeated)

    # other procedures
    for other in others:
        if other.id == record.id:
            continue
        for phrase in (other.title, *other.aliases):
            p = _norm(phrase)
            if len(p.split()) < 2 or len(p) < 8:
                continue
            if _contains_phrase(reply_norm, p) and not _contains_phrase(corpus_norm, p):
                return GuardResult(False, "other-procedure", other.id)

    # numbers (digits and spelled-out), classified by the unit after them
    # A fee or time amount must be in the record as a fee or time amount ("07" of "Nghị định 07/2025"
    # does not allow "7 ngày").
    allowed = record_numbers(texts)
    for mention in numbers_mentioned(reply):
        cat = _category(mention.unit)
        known = allowed.get(mention.value, set())
        if not known or (cat != "other" and cat not in known):
            reason = {"money": "fee", "time": "time"}.get(cat, "number")
            return GuardResult(False, reason, f"{mention.value} {mention.unit}".strip())

    # fee and time claims without numbers
    fee_low = _nfc(_fee_texts(record)).lower()
    if _FREE_CLAIM.search(reply_low) and not _FREE_IN_RECORD.search(fee_low):
        return GuardResult(False, "fee", "free")
    if _PAID_CLAIM.search(reply_low) and _FREE_IN_RECORD.search(fee_low) and not re.search(r"\d", fee_low):
        return GuardResult(False, "fee", "paid")
    if _SAME_DAY_CLAIM.search(reply_low) and not _SAME_DAY_IN_RECORD.search(corpus_low):
        return GuardResult(False, "time", "same-day")

    # document names
    for doc in _doc_mentions(reply):
        if doc in _DOC_GENERIC or _contains_phrase(corpus_norm, doc):
            continue
        words = doc.split()
        # "giấy chứng sinh bản" etc.: accept when the longest prefix of >= 3 words is in the record
        if len(words) >= 3 and _contains_phrase(corpus_norm, " ".join(words[:3])):
            continue
        if words[:2] == ["giấy", "tờ"]:  # "giấy tờ ..." is generic ("giấy tờ cần mang")
            continue
        return GuardResult(False, "document", doc)
    return OK
