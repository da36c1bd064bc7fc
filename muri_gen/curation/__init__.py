"""Pair curation: signals that say whether a native speaker would publish an instruction pair,
an overall score, and the thresholds fitted to human ratings.

    ngrams.py        word n-grams: copying (echo) and repetition
    purity.py        language purity: the share of the instruction's words in its language
    degeneration.py  loops, truncation at max_tokens, restating the prompt
    length.py        length demands ("Respond in 3 sentences") against the native output
    alignment.py     does the document answer the instruction: embedding ranks within a batch
    grounding.py     how much of what the instruction names is in its document (rare words weigh most)
    judge.py         an LLM rates the pair on MURI's criteria with a rubric prompt (optional)
    score.py         signals -> overall score and reasons; calibration files
    calibrate.py     fit weights and thresholds to rated sheets

The ``curate`` stage (muri_gen/stages/curate.py) runs them in a pipeline; ``muri-gen curate``
runs DEFAULT_RECIPE (that stage, then the pair_scores and hub_dataset sinks) over any instruction dataset.
"""
from muri_gen.resources import bundled

DEFAULT_RECIPE = bundled("data", "curate.yaml")  # pipelines/curate.yaml, shipped in the wheel
