"""Personal data redaction: e-mail addresses, IBANs, card numbers, IP addresses, phone numbers.

Matches are replaced with placeholders (``<EMAIL>``...) and counted in ``record["pii"]``; a
document is never dropped for containing them. Numbers are checked before they are redacted
(IBAN mod-97, card Luhn, IP octets, phone digit counts), so years, article numbers and
prices stay.
"""
from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Callable

import regex
from pydantic import Field

from muri_gen.component import Context
from muri_gen.stages.base import FilterStage, StageConfig

KINDS = ("email", "iban", "credit_card", "ip_address", "phone")


def _iban_ok(match: str) -> bool:
    compact = match.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    digits = "".join(str(int(ch, 36)) for ch in compact[4:] + compact[:4])
    return int(digits) % 97 == 1


def _luhn_ok(match: str) -> bool:
    digits = [int(d) for d in match if d.isdigit()]
    if not 13 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def _ip_ok(match: str) -> bool:
    try:
        ipaddress.ip_address(match)
    except ValueError:
        return False
    return True


def _phone_ok(match: str) -> bool:
    digits = sum(ch.isdigit() for ch in match)
    # an international prefix, or a grouped number with at least two separators: not a bare quantity
    separators = sum(ch in " -.()/" for ch in match.strip())
    return 9 <= digits <= 15 and (match.lstrip().startswith(("+", "00", "(")) or separators >= 2)


_NOT_WORD = r"(?<![\p{L}\p{N}_])"
_NOT_WORD_AFTER = r"(?![\p{L}\p{N}_])"
PATTERNS: dict[str, tuple[regex.Pattern, Callable[[str], bool] | None]] = {
    "email": (regex.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.\p{L}{2,}(?![\w-])"), None),
    "iban": (regex.compile(_NOT_WORD + r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}" + _NOT_WORD_AFTER), _iban_ok),
    "credit_card": (regex.compile(_NOT_WORD + r"\d(?:[ -]?\d){12,18}" + _NOT_WORD_AFTER), _luhn_ok),
    "ip_address": (regex.compile(
        _NOT_WORD + r"(?:(?:\d{1,3}\.){3}\d{1,3}|(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4})" + r"(?![\p{L}\p{N}_:]|\.\d)"),
        _ip_ok),
    "phone": (regex.compile(r"(?<![\p{L}\p{N}_+])(?:\+|00)?\(?\d[\d ().\-/]{6,18}\d" + _NOT_WORD_AFTER), _phone_ok),
}

_HAS_DIGIT = regex.compile(r"\d").search
# what a text must hold for a kind's pattern to match anywhere in it: most texts skip most scans
# (the IP pattern's IPv6 branch is the costly one: ~70% of the stage's time on UDHR documents)
_CAN_MATCH: dict[str, Callable[[str], object]] = {
    "email": lambda text: "@" in text,
    "iban": _HAS_DIGIT, "credit_card": _HAS_DIGIT, "phone": _HAS_DIGIT,
    "ip_address": lambda text: ":" in text or _HAS_DIGIT(text),
}


class PIIConfig(StageConfig):
    kinds: list[str] = Field(default_factory=lambda: list(KINDS), description="which kinds to redact, in this order")
    placeholder: str = Field(default="<{KIND}>",
                             description="{KIND} becomes EMAIL, IBAN, CREDIT_CARD, IP_ADDRESS, PHONE")


def redact(text: str, kinds: list[str], placeholder: str = "<{KIND}>") -> tuple[str, Counter]:
    counts: Counter = Counter()
    for kind in kinds:
        if not _CAN_MATCH[kind](text):
            continue
        pattern, valid = PATTERNS[kind]
        token = placeholder.replace("{KIND}", kind.upper())

        def replace(match: regex.Match, kind=kind, valid=valid, token=token) -> str:
            if valid is not None and not valid(match.group()):
                return match.group()
            counts[kind] += 1
            return token

        text = pattern.sub(replace, text)
    return text, counts


class RedactPII(FilterStage):
    name = "pii"
    reads = ("text",)
    writes = ("text", "pii")
    Config = PIIConfig

    @classmethod
    def check(cls, config: PIIConfig, context: Context | None) -> list[str]:
        unknown = [k for k in config.kinds if k not in PATTERNS]
        return [f"unknown PII kinds {unknown}; known: {', '.join(KINDS)}"] if unknown else []

    def keep(self, record: dict) -> bool:
        record["text"], counts = redact(record["text"], self.config.kinds, self.config.placeholder)
        record["pii"] = dict(counts)
        return True
