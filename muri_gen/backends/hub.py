"""A Hugging Face model and its tokenizer, by Hub id or local folder, for the backends that load one."""
from __future__ import annotations

from pathlib import Path

from huggingface_hub import constants

# Tokenizing a 5 MB line to keep 512 tokens takes seconds; no real tokenizer averages 16 characters a
# token, so cutting the text there first changes nothing the model sees.
CHARS_PER_TOKEN = 16


def load_tokenizer(name_or_path: str, what: str):
    """A Hugging Face tokenizer by Hub id or local folder; one that cannot load is a ValueError naming it."""
    from transformers import AutoTokenizer

    if name_or_path.startswith(("/", ".", "~")) and not Path(name_or_path).expanduser().is_dir():
        raise ValueError(f"{what} {name_or_path}: no such folder (give a tokenizer folder or a Hub id)")
    try:
        return AutoTokenizer.from_pretrained(name_or_path)
    except (OSError, ValueError) as exc:  # not on the Hub, offline, or a folder without a tokenizer
        raise ValueError(f"{what} {name_or_path}: cannot load it ({exc})") from None


def load_pretrained(model_class, model: str, revision: str | None, local_files_only: bool, what: str):
    """(tokenizer, model) through ``model_class.from_pretrained``; offline (the local cache only) when
    ``local_files_only`` or HF_HUB_OFFLINE is set; a missing model is an error that says where it looked."""
    from transformers import AutoTokenizer

    options = {"revision": revision, "local_files_only": local_files_only or constants.is_offline_mode()}
    try:
        return AutoTokenizer.from_pretrained(model, **options), model_class.from_pretrained(model, **options)
    except OSError as exc:
        where = " (offline: it must be in the local Hugging Face cache)" if options["local_files_only"] else ""
        raise OSError(f"cannot load the {what} model {model!r}{where}: {exc}") from None
