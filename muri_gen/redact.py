"""One redaction for every way a secret could leave muri-gen: log lines (ours and every library's),
error messages, the saved recipe, errored records and the report.

A secret is: the password of a URL (``http://user:pass@host``), a bearer or basic credential,
a token in a known format (``sk-...``, ``hf_...``), the value of a field or header whose name
says it holds one (``api_key``, ``Authorization``, ``HF_TOKEN``), and the value of any such
environment variable, wherever it appears (a server that echoes the key in its error body).
"""
from __future__ import annotations

import os
import re

MASK = "<redacted>"
# a name that holds a secret: ends with one of these words (max_tokens, tokenizer and api_key_env do not)
SECRET_NAME = re.compile(r"(?i)(^|[_-])(key|token|secret|password|passwd|credentials?|authorization|cookie)$")
_PATTERNS = (
    (re.compile(r"(?<=://)[^/@\s]+@"), f"{MASK}@"),  # a URL's user:password@ (or token@)
    (re.compile(r"(?i)\b(bearer|basic|token)\s+[A-Za-z0-9._~+/=-]{8,}"), rf"\1 {MASK}"),
    (re.compile(r"\b(sk|hf|ghp|gho|xox[bp])[-_][A-Za-z0-9_-]{16,}"), MASK),
    (re.compile(r"(?i)(--?(?:api[-_]?key|token|password)[= ])\S+"), rf"\1{MASK}"),  # a server's command line
)
_MIN_SECRET = 6  # shorter environment values ("1", "true") are settings, not secrets
_SECRET_ENV: set[str] = set()  # variables a recipe names as holding a key (api_key_env), whatever their name


def secret_env(name: str) -> str | None:
    """The value of environment variable ``name``, which holds a secret: redacted from now on."""
    _SECRET_ENV.add(name)
    return os.environ.get(name)


def _secret_values() -> list[str]:
    values = {v for k, v in os.environ.items()
              if (k in _SECRET_ENV or SECRET_NAME.search(k)) and len(v) >= _MIN_SECRET}
    return sorted(values, key=len, reverse=True)  # a longer secret first: it may contain a shorter one


def redact(value):
    """``value`` with every secret replaced by ***: a string, or a mapping/list of them (recursively)."""
    if isinstance(value, str):
        for pattern, replacement in _PATTERNS:
            value = pattern.sub(replacement, value)
        for secret in _secret_values():
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: MASK if isinstance(k, str) and SECRET_NAME.search(k) and isinstance(v, str) and v
                else redact(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact(v) for v in value)
    return value
