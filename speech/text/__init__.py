"""Text as the voices should say it: Vietnamese and English normalisation for speech.

``normalize_vi`` applies the ordered rules of ``vi_rules`` with the tables of ``vi_numbers`` and
``vi_abbreviations``; ``normalize_en`` drops the Vietnamese asides of English answers. Pure, no I/O.
"""
