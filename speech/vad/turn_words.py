"""Turn-taking word lists, per language: DATA for ``speech.vad.turn`` (no logic here).

Entries are matched against the END of a transcript as the recogniser writes it (viet-asr: lowercase,
no punctuation, numbers spelled out), as whole words; a phrase of several words matches its words in
order. The longest matching entry wins; on equal length ``hanging`` beats ``finished`` (waiting
longer costs a few hundred ms, cutting a resident off costs the question).

- ``finished``: a question that sounds complete ends here (question words and final particles):
  the turn ends after the short wait.
- ``hanging``: fillers and connectives: the speaker is looking for the next word ("cho bác hỏi…
  ờ… cái giấy khai sinh…"): the turn waits the long wait.
"""

from __future__ import annotations

TURN_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "vi": {
        "finished": (
            # question words
            "gì", "nào", "đâu", "ai", "mấy", "bao nhiêu", "bao lâu", "bao giờ", "khi nào", "ở đâu",
            "thế nào", "như thế nào", "làm sao", "tại sao", "vì sao", "sao", "bao xa",
            # question word + the unit asked about ("mất bao nhiêu tiền", "mấy ngày")
            "bao nhiêu tiền", "bao nhiêu ngày", "bao nhiêu lâu", "mấy ngày", "mấy giờ", "mấy tuần",
            # final particles
            "không", "chưa", "ạ", "nhỉ", "nhé", "hả", "hở", "thế", "vậy", "chứ", "được không",
            "phải không", "đúng không", "có không", "không ạ", "chưa ạ",
            # a final particle, then the person addressed ("… hả cháu", "… không em")
            "hả cháu", "không cháu", "chưa cháu", "rồi cháu", "gì cháu", "đâu cháu", "nào cháu",
            "vậy cháu", "thế cháu", "hả em", "không em", "chưa em", "gì em", "hả con", "không con",
            "đấy", "cháu nhé", "em nhé",
            # polite closings
            "cảm ơn", "xin cảm ơn",
        ),
        "hanging": (
            # fillers and hesitations
            "ờ", "à", "ừ", "ừm", "ơ", "ư", "hừm", "thì", "là", "mà", "kiểu", "kiểu như", "cái", "này",
            # connectives, prepositions, classifiers: the phrase is not over
            "và", "với", "với cả", "của", "để", "cho", "về", "nếu", "nên", "hay", "hoặc", "hoặc là", "nhưng",
            "rồi", "rồi thì", "tức là", "như là", "ví dụ", "bởi vì", "vì", "tại", "ở", "các", "những",
            "một", "muốn", "cần", "xin", "hỏi", "cho hỏi", "cho bác hỏi", "cho cháu hỏi",
            "cho tôi hỏi", "cho em hỏi", "cho con hỏi", "tôi muốn", "bác muốn", "làm", "làm cái",
            "thủ tục", "giấy", "giấy tờ", "còn", "thế còn", "với lại", "sau đó", "trước khi", "khi",
        ),
    },
    "en": {
        "finished": (
            "please", "thanks", "thank you", "right", "okay", "ok", "is it", "isn't it", "do i",
            "can i", "should i", "does it", "cost", "take", "open", "close", "needed", "need",
        ),
        "hanging": (
            "uh", "um", "er", "erm", "hmm", "like", "and", "or", "but", "so", "the", "a", "an", "of",
            "to", "for", "with", "about", "is", "are", "i", "my", "in", "on", "at", "if", "that",
            "can", "could", "would", "how", "what", "where", "when", "which", "get", "want to",
            "i want", "i need", "need to", "do", "does", "you know", "i mean", "then", "because",
        ),
    },
}
