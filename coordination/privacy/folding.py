"""Text folded for matching, with the way back to what was written.

Folding, per character: invisible characters (zero-width spaces and joiners, soft
hyphens, bidi marks, variation selectors: Unicode's format and combining classes)
are dropped; compatibility forms are unfolded (NFKD: fullwidth and mathematical
letters, ligatures); diacritics are dropped ("Müller" reads "muller"); a letter that
looks like a Latin one (Cyrillic "о", Greek "Β") becomes that Latin letter, after the
Unicode confusables data (UTS #39) that ``confusable_homoglyphs`` ships; what is left
is case-folded. Digits of any script become ASCII digits.

Written by hand on top of that data because no library does this part: the
confusables' skeleton (UTS #39) is case-sensitive and maps "m" to "rn" and capital
"I" to "l", while a name must match whatever its case, and the reports must point at
the characters as the author typed them. So folding goes character by character and
remembers where each folded character came from.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from confusable_homoglyphs.confusables import confusables_data

# Default-ignorable characters that are neither format (Cf) nor combining (Mn):
# Hangul fillers, which render as nothing.
IGNORABLE = frozenset("\u115f\u1160\u3164\uffa0")
DROPPED_CATEGORIES = frozenset({"Cf", "Mn", "Me", "Cc"})
ASCII_DROPPED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _strip_marks(text: str) -> str:
    return "".join(
        c
        for c in unicodedata.normalize("NFKD", text)
        if unicodedata.category(c) not in {"Mn", "Me"}
    )


def _latin(char: str) -> str:
    """A non-ASCII character as the ASCII letter or digit it looks like (confusables
    data), else itself case-folded."""
    if char.isdecimal():
        return str(unicodedata.decimal(char))
    looks_like = [_strip_marks(e["c"]) for e in confusables_data.get(char, ())]
    if char.isalnum():
        ascii_forms = sorted(
            (form for form in looks_like if form and form.isascii() and form.isalnum()),
            key=lambda form: (len(form), not form.isalpha(), form),
        )
    else:  # punctuation: a look-alike comma or full stop is one
        ascii_forms = sorted(
            f for f in looks_like if len(f) == 1 and f.isascii() and f.isprintable()
        )
    if not ascii_forms or (char.isalpha() and not ascii_forms[0].isalpha()):
        return char.casefold()
    form = ascii_forms[0]
    if form == "l" and char.isupper():
        # UTS #39 folds capital I into l; compared without case, a capital I look-alike
        # (Cyrillic "І", Greek "Ι") is an i.
        return "i"
    return form.lower()


@functools.cache
def fold_char(char: str) -> str:
    if char.isascii():
        return char.lower() if char.isprintable() or char.isspace() else ""
    category = unicodedata.category(char)
    if category in DROPPED_CATEGORIES or char in IGNORABLE:
        return ""
    if category.startswith("Z"):
        return " "
    folded = []
    for part in unicodedata.normalize("NFKD", char):
        if unicodedata.category(part) in DROPPED_CATEGORIES:
            continue
        folded.append(part.lower() if part.isascii() else _latin(part))
    return "".join(folded)


def fold(text: str) -> str:
    return "".join(fold_char(c) for c in text)


def visible(text: str) -> str:
    """The text without its invisible characters (for saying what was found)."""
    return "".join(
        c
        for c in text
        if c.isascii() or (unicodedata.category(c) not in DROPPED_CATEGORIES and c not in IGNORABLE)
    )


class Folded:
    """A text and its folded form; ``written(start, end)`` maps a span of the folded
    form back to the characters the author typed."""

    __slots__ = ("folded", "origin", "text")

    origin: range | list[int]

    def __init__(self, text: str):
        self.text = text
        if text.isascii() and not ASCII_DROPPED.search(text):
            # Most texts: folding is lower case, one character for one.
            self.folded = text.lower()
            self.origin = range(len(text))
            return
        parts: list[str] = []
        origin: list[int] = []
        for index, char in enumerate(text):
            folded = fold_char(char)
            parts.append(folded)
            origin.extend([index] * len(folded))
        self.folded = "".join(parts)
        self.origin = origin

    def start_of(self, start: int) -> int:
        return self.origin[start]

    def written(self, start: int, end: int) -> str:
        if start >= end:
            return ""
        return visible(self.text[self.origin[start] : self.origin[end - 1] + 1]).strip()
