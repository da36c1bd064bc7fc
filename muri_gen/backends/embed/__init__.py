"""Sentence embedders: the multilingual vectors behind the alignment signal of pair curation."""
