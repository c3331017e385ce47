"""Status badges as SVG images, in the flat style of shields.io.

Two boxes: a grey label ("build", or a job's name) and a coloured status
word. Each box is as wide as its text, measured with a table of Verdana 11px
advance widths (the font the badge asks for), and the text is drawn with
``textLength`` at that width: whatever font the viewer substitutes, the words
fit their boxes. Text is escaped and stripped of what XML cannot hold.
"""

from __future__ import annotations

import math
import unicodedata
from typing import Final, NamedTuple
from xml.sax.saxutils import escape

# Advance widths of Verdana's printable ASCII glyphs, in font units (2048 to the em).
_UNITS_PER_EM: Final = 2048
_VERDANA: Final[dict[str, int]] = {
    " ": 720, "!": 806, '"': 940, "#": 1716, "$": 1302, "%": 2205, "&": 1492, "'": 550,
    "(": 909, ")": 909, "*": 1302, "+": 1716, ",": 745, "-": 909, ".": 745, "/": 909,
    "0": 1302, "1": 1302, "2": 1302, "3": 1302, "4": 1302, "5": 1302, "6": 1302, "7": 1302,
    "8": 1302, "9": 1302, ":": 909, ";": 909, "<": 1716, "=": 1716, ">": 1716, "?": 1117,
    "@": 2048, "A": 1401, "B": 1405, "C": 1430, "D": 1577, "E": 1294, "F": 1178, "G": 1587,
    "H": 1540, "I": 862, "J": 931, "K": 1432, "L": 1141, "M": 1736, "N": 1532, "O": 1612,
    "P": 1235, "Q": 1612, "R": 1423, "S": 1401, "T": 1235, "U": 1509, "V": 1401, "W": 2027,
    "X": 1405, "Y": 1237, "Z": 1407, "[": 909, "\\": 909, "]": 909, "^": 1716, "_": 1302,
    "`": 1302, "a": 1229, "b": 1272, "c": 1066, "d": 1272, "e": 1219, "f": 720, "g": 1272,
    "h": 1292, "i": 561, "j": 692, "k": 1178, "l": 561, "m": 1985, "n": 1292, "o": 1237,
    "p": 1272, "q": 1272, "r": 874, "s": 1046, "t": 807, "u": 1292, "v": 1178, "w": 1667,
    "x": 1178, "y": 1178, "z": 1051, "{": 1302, "|": 909, "}": 1302, "~": 1716,
}  # fmt: skip
# Anything else: a digit's width; a full em for wide (East Asian) characters; nothing
# for combining marks, which sit on the character before them.
_DEFAULT: Final = 1302
_WIDE: Final = _UNITS_PER_EM
FONT_SIZE: Final = 11
PADDING: Final = 10  # pixels around the text in each box (5 on each side)
MAX_CHARS: Final = 64  # a label is cut to this many characters (with an ellipsis)

PASSING, FAILING, RUNNING, UNKNOWN = "passing", "failing", "running", "unknown"
COLOURS: Final[dict[str, str]] = {
    PASSING: "#4c1",
    FAILING: "#e05d44",
    RUNNING: "#dfb317",
    UNKNOWN: "#9f9f9f",
}
LABEL_COLOUR: Final = "#555"


def _units(char: str) -> int:
    found = _VERDANA.get(char)
    if found is not None:
        return found
    if unicodedata.combining(char):
        return 0
    return _WIDE if unicodedata.east_asian_width(char) in ("W", "F") else _DEFAULT


def text_width(text: str) -> int:
    """The width of ``text`` in Verdana 11px, in whole pixels (rounded up)."""
    units = sum(_units(char) for char in text)
    return math.ceil(units * FONT_SIZE / _UNITS_PER_EM)


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """``text`` as a badge shows it: one line of characters XML can hold, at most
    ``limit`` characters (cut with an ellipsis)."""
    kept = "".join(
        " " if char.isspace() else char
        for char in text
        if char.isspace() or unicodedata.category(char) not in ("Cc", "Cs", "Cn", "Co")
    )
    kept = " ".join(kept.split())
    if len(kept) > limit:
        kept = kept[: limit - 1].rstrip() + "…"
    return kept


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;", "'": "&apos;"})


class Box(NamedTuple):
    text: str
    x: int  # where the box starts
    width: int
    colour: str

    @property
    def middle(self) -> float:
        return self.x + self.width / 2


def _texts(box: Box) -> str:
    # Drawn at ten times the size and scaled down, as shields.io does: positions in
    # tenths of a pixel without fractions in the document.
    x, length, text = round(box.middle * 10), (box.width - PADDING) * 10, escape(box.text)
    return (
        f'<text aria-hidden="true" x="{x}" y="150" fill="#010101" fill-opacity=".3" '
        f'transform="scale(.1)" textLength="{length}">{text}</text>'
        f'<text x="{x}" y="140" transform="scale(.1)" fill="#fff" '
        f'textLength="{length}">{text}</text>'
    )


def render(label: str, status: str) -> str:
    """The badge: ``label`` (cleaned) beside the ``status`` word in its colour."""
    label = clean(label) or "build"
    colour = COLOURS.get(status, COLOURS[UNKNOWN])
    left = Box(label, 0, text_width(label) + PADDING, LABEL_COLOUR)
    right = Box(status, left.width, text_width(status) + PADDING, colour)
    total = left.width + right.width
    title = _attr(f"{label}: {status}")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="20" '
        f'role="img" aria-label="{title}"><title>{escape(label)}: {escape(status)}</title>'
        '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" '
        'stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/></linearGradient>'
        f'<clipPath id="r"><rect width="{total}" height="20" rx="3" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left.width}" height="20" fill="{left.colour}"/>'
        f'<rect x="{right.x}" width="{right.width}" height="20" fill="{right.colour}"/>'
        f'<rect width="{total}" height="20" fill="url(#s)"/></g>'
        '<g fill="#fff" text-anchor="middle" '
        'font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'text-rendering="geometricPrecision" font-size="110">'
        f"{_texts(left)}{_texts(right)}</g></svg>"
    )
