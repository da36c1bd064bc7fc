"""What a person should be told when a file muri-gen reads as UTF-8 is not UTF-8."""
from __future__ import annotations

_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),  # before UTF-16: same first bytes
    (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"),
)


def guess_encoding(head: bytes) -> str | None:
    """UTF-16/32 by their byte-order mark, or UTF-16 without one by its NUL byte in every other place."""
    for bom, name in _BOMS:
        if head.startswith(bom):
            return name
    even, odd = head[:4096:2], head[1:4096:2]
    if len(odd) < 4:
        return None
    zeros_even, zeros_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    # UTF-16 puts the NUL of every ASCII character (spaces, JSON punctuation) on one side only
    if max(zeros_even, zeros_odd) > 0.1 and min(zeros_even, zeros_odd) < 0.01:
        return "UTF-16"
    return None


def encoding_hint(head: bytes) -> str:
    """'' or a sentence to append to a "not UTF-8" message, saying how to convert the file."""
    found = guess_encoding(head)
    if found is None:
        return ""
    return f"; it looks {found}-encoded: convert it to UTF-8 first (e.g. iconv -f {found} -t UTF-8)"


class NotUTF8(ValueError):
    """A text file that is not UTF-8; the message names it, the byte and, when it can tell, its encoding."""


def decode_utf8(raw: bytes, source: str) -> str:
    """``raw`` as text (a leading byte-order mark dropped), or NotUTF8 naming ``source``."""
    try:
        return raw.decode("utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise NotUTF8(f"{source}: not UTF-8 text (byte {exc.start}){encoding_hint(raw[:4096])}") from None
