"""Language and fluency of an LLM reply, for the reply guard. Pure: no I/O.

Owns the text helpers the guard shares (sentence splitting, NFC, normalised phrase containment)
and the checks that do not depend on what the record says: is the reply in the expected language
(Vietnamese diacritics ratio, English function words, CJK characters), are its words Vietnamese
syllables ("nhữt", "nghđi" are not), and does it loop (a sentence or a phrase said again and again).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

from knowledge.normalize import normalize_vi

_SENT_SPLIT = re.compile(r"(?<=[.!?…])\s+|\n+")


def split_reply_sentences(text: str) -> list[str]:
    """Sentences of a reply: split after . ! ? … followed by space, and at line breaks."""
    return [s.strip(" -*•\t") for s in _SENT_SPLIT.split(text.strip()) if s.strip(" -*•\t")]


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def norm(text: str) -> str:
    """Lowercase words separated by single spaces (punctuation dropped, thousands kept together)."""
    return normalize_vi(text)


def contains_phrase(haystack_norm: str, phrase_norm: str) -> bool:
    return bool(phrase_norm) and f" {phrase_norm} " in f" {haystack_norm} "


def ngrams(words: Sequence[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


# ---- language -------------------------------------------------------------------------------------
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_VI_LETTERS = set("àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ")


def wordset(words: str) -> frozenset[str]:
    """The whitespace-separated words of ``words``."""
    return frozenset(words.split())


_EN_WORDS = wordset("""the a an is are was were be been you your we our they it this that these those to of
for with and or not can will would should must have has do does please need needs at by from on in
as if yes no there here which what when where who how free fee days day document documents office
birth registration certificate you're it's don't""")
_VI_COMMON_ASCII = wordset("""co khong can cho con la va o thi nao gi ban toi anh chi em ong ba tu den
nay do ma roi duoc""")


def language_problem(reply: str, language: str) -> str:
    """"not-vietnamese" / "not-english" when ``reply`` is not in ``language``, else ""."""
    if _CJK.search(reply):
        return "not-vietnamese" if language == "vi" else "not-english"
    words = [w for w in re.findall(r"[^\W\d_]+", nfc(reply).lower())]
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


# ---- fluency: Vietnamese syllable shape and repetition --------------------------------------------
_TONE_MARKS = {"\u0300": "huyền", "\u0301": "sắc", "\u0303": "ngã", "\u0309": "hỏi", "\u0323": "nặng"}
_ONSETS = ("ngh", "ng", "gh", "gi", "kh", "nh", "ph", "th", "tr", "ch", "qu", "b", "c", "d", "đ", "g", "h",
           "k", "l", "m", "n", "p", "r", "s", "t", "v", "x")
_RHYMES = frozenset(wordset("""
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


def malformed_words(reply: str) -> list[str]:
    """Words with Vietnamese letters that are not Vietnamese syllables (abbreviations are skipped)."""
    bad = []
    for w in re.findall(r"[^\W\d_]+", nfc(reply)):
        if not any(c in _VI_LETTERS for c in w.lower()) or any(c.isupper() for c in w[1:]):
            continue
        if not valid_syllable(w.lower()):
            bad.append(w)
    return bad


def repetition(reply: str, corpus_norm: str) -> str:
    """A looping reply: a sentence said twice, or words repeated that are not a phrase of the record
    (procedure and document names legitimately recur): 6 words twice or 3 words four times."""
    seen: set[str] = set()
    for sentence in split_reply_sentences(reply):
        key = norm(sentence)
        if len(key.split()) >= 3 and key in seen:
            return key
        seen.add(key)
    words = norm(reply).split()
    for n, limit in ((6, 2), (3, 4)):
        counts: dict[tuple[str, ...], int] = {}
        for gram in (tuple(words[i:i + n]) for i in range(len(words) - n + 1)):
            counts[gram] = counts.get(gram, 0) + 1
            if counts[gram] >= limit and not contains_phrase(corpus_norm, " ".join(gram)):
                return " ".join(gram)
    return ""

