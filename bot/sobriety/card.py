"""Milestone cards: a small PNG a member can keep or share, drawn headless with Pillow.

Layout (which lines, which font sizes, where their ink lands) is a separate, pure step from
drawing, so tests check that text fits without looking at pixels.

Text is set in DejaVu Sans, which ships inside matplotlib (a dependency), so no system font is
needed. It covers Latin, Greek, Cyrillic, Armenian, Georgian, Hebrew and Arabic letters. With
Pillow's libraqm layout (bundled in Pillow's wheels) right-to-left names are shaped and ordered
properly; without it they are drawn unshaped in logical order (readable letters, wrong order
and no joining) and CardLayout.shaped says so. Characters the font lacks (emoji, CJK,
Devanagari, ...) are dropped, never drawn as boxes; CardLayout.complete then turns False so the
caller can put the full name in the message text instead.

Styles follow the community's program: NA a keytag in its colour (white welcome/24 hours, orange
30 days, green 60, red 90, blue 6 months, yellow 9 months, glow 1 year, grey 18 months, black
for multiple years; colours vary by area), AA a bronze medallion (no AA logo: the circle and
triangle is AA World Services' mark), SMART Recovery and general a calm neutral panel.
"""

from __future__ import annotations

import io
import re
import threading
import unicodedata
from dataclasses import dataclass
from math import ceil, floor
from typing import Literal

from matplotlib import get_data_path
from PIL import Image, ImageDraw, ImageFilter, ImageFont, features

__all__ = [
    "CARD_SIZE",
    "PALETTES",
    "Box",
    "CardLayout",
    "Palette",
    "TextLine",
    "card_colour",
    "draw_card",
    "layout_card",
    "render_card",
    "without_label",
]

CARD_SIZE = (1200, 630)  # the 1.91:1 link-preview shape: shown whole by Telegram and Discord
Box = tuple[int, int, int, int]  # left, top, right, bottom (pixels; right/bottom exclusive)
Style = Literal["keytag", "medallion", "panel"]
Role = Literal["headline", "wording", "name"]
ELLIPSIS = "…"
_DARK_INK = "#1B1F23"
_LIGHT_INK = "#FFFFFF"


@dataclass(frozen=True, slots=True)
class Palette:
    shape: str  # the keytag, medallion face or panel
    background: str
    outline: str


PALETTES: dict[str, Palette] = {
    # NA keytags, on a slate table so the white and glow tags still stand out
    "white": Palette("#F7F6F1", "#2E3A44", "#D9DEE2"),
    "orange": Palette("#F28C28", "#2E3A44", "#FFC58A"),
    "green": Palette("#1F7A4A", "#2E3A44", "#7CC9A0"),
    "red": Palette("#C62828", "#2E3A44", "#F08A8A"),
    "blue": Palette("#1E5AA8", "#2E3A44", "#8DB6EA"),
    "yellow": Palette("#F5D327", "#2E3A44", "#FFF0A0"),
    "glow": Palette("#DDF7A6", "#1D2A22", "#B8F25A"),  # glow-in-the-dark: pale green, haloed
    "grey": Palette("#8A9299", "#2E3A44", "#C7CDD2"),
    "black": Palette("#16181B", "#3A4752", "#A7B0B8"),
    # AA medallion and the neutral panels
    "bronze": Palette("#C8914F", "#1C2541", "#8C5A2B"),
    "calm": Palette("#F4F8F8", "#CFE3E6", "#2A7F8E"),  # general: sea glass
    "sage": Palette("#F5F7F2", "#DCE6D6", "#5B7F5A"),  # SMART: sage
}
_NA_KEYTAGS = {
    "24h": "white", "30d": "orange", "60d": "green", "90d": "red",
    "6m": "blue", "9m": "yellow", "1y": "glow", "18m": "grey",
}  # fmt: skip


def card_colour(program: str, milestone_key: str) -> str:
    """The palette name for a milestone (a bot.sobriety.milestones.Milestone.key)."""
    if program == "NA":
        return _NA_KEYTAGS.get(milestone_key, "black")  # 2y, 3y, ...: multiple years
    if program == "AA":
        return "bronze"
    return "sage" if program == "SMART" else "calm"


@dataclass(frozen=True, slots=True)
class TextLine:
    role: Role
    text: str  # exactly as drawn (cleaned, maybe shortened with an ellipsis)
    font_size: int
    bold: bool
    anchor_xy: tuple[int, int]  # middle of the baseline (Pillow anchor "ms")
    box: Box  # where the ink lands, as Pillow measures it
    ink: str
    language: str | None


@dataclass(frozen=True, slots=True)
class CardLayout:
    size: tuple[int, int]
    style: Style
    palette: Palette
    lines: tuple[TextLine, ...]
    text_areas: tuple[Box, ...]  # every line's box lies inside one of these
    shaped: bool  # complex scripts shaped and ordered by libraqm
    complete: bool  # False when characters were dropped or text shortened


# ---- fonts -----------------------------------------------------------------------------------

_FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}
_local = threading.local()  # FreeType faces are not safe to share between threads


def _shaping() -> bool:
    return bool(features.check_feature("raqm"))


def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    shaped = _shaping()
    cache: dict[tuple[int, bool, bool], ImageFont.FreeTypeFont]
    cache = _local.__dict__.setdefault("fonts", {})
    if (size, bold, shaped) not in cache:
        path = f"{get_data_path()}/fonts/ttf/{_FONT_FILES[bold]}"
        engine = ImageFont.Layout.RAQM if shaped else ImageFont.Layout.BASIC
        cache[size, bold, shaped] = ImageFont.truetype(path, size, layout_engine=engine)
    return cache[size, bold, shaped]


def _coverage(bold: bool) -> frozenset[int]:
    cached: dict[bool, frozenset[int]] = _local.__dict__.setdefault("coverage", {})
    if bold not in cached:
        from matplotlib.ft2font import FT2Font  # only its character map is needed

        face = FT2Font(f"{get_data_path()}/fonts/ttf/{_FONT_FILES[bold]}")
        cached[bold] = frozenset(int(c) for c in face.get_charmap())
    return cached[bold]


# ---- text ------------------------------------------------------------------------------------

_ZWNJ = "\u200c"  # keeps Persian word parts apart: meaningful, and in the font


def _drawable(text: str, bold: bool) -> str:
    """`text` with what the font can't draw removed: emoji, unsupported scripts, control and
    bidi-override characters, and combining marks left without their base."""
    covered = _coverage(bold)
    kept: list[str] = []
    base_kept = False
    for c in unicodedata.normalize("NFC", text):
        category = unicodedata.category(c)
        if c.isspace():
            kept.append(" ")
            base_kept = False
        elif category.startswith("M"):
            if base_kept and ord(c) in covered and not 0xFE00 <= ord(c) <= 0xFE0F:
                kept.append(c)
        elif category in ("Cc", "Cf", "Co", "Cs", "Cn") and c != _ZWNJ:
            base_kept = False
        else:
            base_kept = ord(c) in covered
            if base_kept:
                kept.append(c)
    return " ".join("".join(kept).split())


def _plain(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def _is_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


def _cut_points(text: str) -> list[int]:
    """Where text may be cut without splitting a letter from its marks."""
    return [i for i in range(1, len(text)) if not unicodedata.category(text[i]).startswith("M")]


def _width(text: str, font: ImageFont.FreeTypeFont, language: str | None) -> float:
    return font.getlength(text, language=language) if _shaping() else font.getlength(text)


def _shorten(text: str, font: ImageFont.FreeTypeFont, max_width: int, lang: str | None) -> str:
    """The longest prefix of `text` plus an ellipsis that fits `max_width` (binary search)."""
    points = _cut_points(text)
    lo, hi, best = 0, len(points) - 1, ELLIPSIS
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = text[: points[mid]].rstrip() + ELLIPSIS
        if _width(candidate, font, lang) <= max_width:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


def _wrap(
    text: str, font: ImageFont.FreeTypeFont, max_width: int, max_lines: int, lang: str | None
) -> tuple[list[str], bool]:
    """Greedy word wrap into at most `max_lines`; (lines, whether everything fitted)."""
    lines: list[str] = []
    current = ""
    words = text.split(" ")
    for index, word in enumerate(words):
        trial = f"{current} {word}" if current else word
        if _width(trial, font, lang) <= max_width:
            current = trial
            continue
        if current:
            lines.append(current)
        current = word
        if len(lines) == max_lines - 1:  # last line: the rest, shortened if need be
            rest = " ".join([current, *words[index + 1 :]])
            if _width(rest, font, lang) <= max_width:
                return [*lines, rest], True
            return [*lines, _shorten(rest, font, max_width, lang)], False
    if current:
        lines.append(current)
    if any(_width(line, font, lang) > max_width for line in lines):  # one very long word
        return [_fit_one(line, font, max_width, lang) for line in lines], False
    return lines, True


def _fit_one(text: str, font: ImageFont.FreeTypeFont, max_width: int, lang: str | None) -> str:
    return text if _width(text, font, lang) <= max_width else _shorten(text, font, max_width, lang)


def without_label(wording: str, label: str) -> str:
    """milestones.toml lines start "30 days. ..."; the card already shows the label big."""
    stripped = wording.strip()
    if stripped[: len(label)].casefold() == label.casefold():
        rest = stripped[len(label) :]
        if rest[:1] in (".", ":", "!", "—", "-"):
            return rest[1:].strip()
    return stripped


# ---- layout ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Spec:
    role: Role
    text: str
    size: int  # the largest size; shrunk to fit
    min_size: int
    bold: bool
    max_lines: int
    ink: str
    language: str | None


def _style(program: str) -> Style:
    return "keytag" if program == "NA" else "medallion" if program == "AA" else "panel"


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a #RRGGBB colour."""

    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def _ink_on(colour: str) -> str:
    """Dark or white text, whichever contrasts more with `colour`."""
    lum = _luminance(colour)
    dark = (lum + 0.05) / (_luminance(_DARK_INK) + 0.05)
    light = (_luminance(_LIGHT_INK) + 0.05) / (lum + 0.05)
    return _DARK_INK if dark >= light else _LIGHT_INK


def _palette(colour: str) -> Palette:
    if colour in PALETTES:
        return PALETTES[colour]
    if re.fullmatch(r"#[0-9A-Fa-f]{6}", colour):
        return Palette(colour, "#2E3A44", "#D9DEE2")
    raise ValueError(f"unknown card colour {colour!r}; use a PALETTES name or #RRGGBB")


def _language(locale: str) -> str:
    return locale.replace("_", "-").split("-")[0].lower() or "en"


def _areas(style: Style) -> tuple[Box, ...]:
    """Text areas per style: inside the tag (clear of its hole), beside the medallion, or on
    the panel. The medallion's own area is the square inscribed in its face."""
    if style == "keytag":
        return ((250, 125, 1090, 505),)
    if style == "medallion":
        return ((178, 163, 482, 467), (600, 95, 1140, 535))
    return ((120, 120, 1080, 520),)


def layout_card(
    milestone_label: str,
    program: str,
    wording: str,
    colour: str,
    name: str | None,
    *,
    locale: str,
) -> CardLayout:
    """Which lines the card shows, in which font sizes, and where each line's ink lands."""
    style = _style(program)
    palette = _palette(colour)
    lang = _language(locale)
    on_shape = _ink_on(palette.shape)
    beside = _ink_on(palette.background)  # medallion: body text sits on the background
    headline = _drawable(milestone_label, bold=True)
    if not headline:
        raise ValueError("the milestone label has no character the card font can draw")
    body_text = _drawable(without_label(wording, milestone_label), bold=False)
    shown_name = _drawable(name, bold=True) if name else ""
    complete = body_text == _plain(without_label(wording, milestone_label))
    complete &= headline == _plain(milestone_label)
    complete &= shown_name == _plain(name or "")

    if not _shaping():  # unshaped right-to-left text is legible but not right
        complete &= not any(_is_rtl(t) for t in (headline, body_text, shown_name))

    body_ink = beside if style == "medallion" else on_shape
    specs_by_area: list[list[_Spec]]
    head = _Spec("headline", headline, 112, 40, True, 1, on_shape, lang)
    body = [
        _Spec("wording", body_text, 38, 24, False, 3, body_ink, lang),
        _Spec("name", shown_name, 46, 28, True, 1, body_ink, None),  # any script: auto
    ]
    body = [s for s in body if s.text]
    if style == "medallion":
        head = _Spec("headline", headline, 84, 32, True, 1, on_shape, lang)
        specs_by_area = [[head], body]
    else:
        specs_by_area = [[head, *body]]

    areas = _areas(style)
    lines: list[TextLine] = []
    for area, specs in zip(areas, specs_by_area, strict=True):
        placed, fitted = _place(specs, area)
        lines.extend(placed)
        complete &= fitted
    return CardLayout(CARD_SIZE, style, palette, tuple(lines), areas, _shaping(), complete)


def _place(specs: list[_Spec], area: Box) -> tuple[list[TextLine], bool]:
    """Lines for `specs`, centred in `area`. Each text takes the largest size (down to its
    minimum) at which it fits the width; if the lines are then too tall together, every
    size shrinks a step and we try again. Only text that fits at no size is shortened."""
    left, top, right, bottom = area
    width, height = right - left, bottom - top
    gap = 18
    rows: list[tuple[_Spec, str, int]] = []
    fitted = True
    total = 0
    for scale in (1.0, 0.9, 0.8, 0.7, 0.6, 0.5):
        rows, fitted = [], True
        for spec in specs:
            size, lines, ok = _fit(spec, max(spec.min_size, round(spec.size * scale)), width)
            fitted &= ok
            rows.extend((spec, line, size) for line in lines)
        total = sum(_line_height(size, spec.bold) for spec, _, size in rows)
        total += gap * (len(rows) - 1)
        if total <= height:
            break
    y = top + max(0, (height - total) // 2)
    placed: list[TextLine] = []
    centre = (left + right) // 2
    for spec, text, size in rows:
        font = _font(size, spec.bold)
        baseline = y + font.getmetrics()[0]
        box = _ink_box(text, font, (centre, baseline), spec.language)
        placed.append(
            TextLine(spec.role, text, size, spec.bold, (centre, baseline), box, spec.ink,
                     spec.language)
        )  # fmt: skip
        y += _line_height(size, spec.bold) + gap
    return placed, fitted and total <= height


def _fit(spec: _Spec, start: int, width: int) -> tuple[int, list[str], bool]:
    """(size, lines, whole text shown) for the largest size from `start` down that fits."""
    size = start
    while True:
        font = _font(size, spec.bold)
        if spec.max_lines == 1:
            line = _fit_one(spec.text, font, width, spec.language)
            lines, ok = [line], line == spec.text
        else:
            lines, ok = _wrap(spec.text, font, width, spec.max_lines, spec.language)
        if ok or size <= spec.min_size:
            return size, lines, ok
        size = max(spec.min_size, size - 4)


def _line_height(size: int, bold: bool) -> int:
    ascent, descent = _font(size, bold).getmetrics()
    return ascent + descent


def _ink_box(text: str, font: ImageFont.FreeTypeFont, xy: tuple[int, int], lang: str | None) -> Box:
    if _shaping():
        left, top, right, bottom = font.getbbox(text, anchor="ms", language=lang)
    else:
        left, top, right, bottom = font.getbbox(text, anchor="ms")
    x, y = xy  # rounded outwards, so the box never under-reports the ink
    return (x + floor(left), y + floor(top), x + ceil(right), y + ceil(bottom))


# ---- drawing ---------------------------------------------------------------------------------


def draw_card(layout: CardLayout) -> bytes:
    """The PNG for a layout."""
    palette = layout.palette
    image = Image.new("RGB", layout.size, palette.background)
    if layout.style == "keytag":
        _draw_keytag(image, palette)
    elif layout.style == "medallion":
        _draw_medallion(image, palette)
    else:
        _draw_panel(image, palette)
    draw = ImageDraw.Draw(image)
    for line in layout.lines:
        font = _font(line.font_size, line.bold)
        if layout.shaped:
            draw.text(line.anchor_xy, line.text, fill=line.ink, font=font, anchor="ms",
                      language=line.language)  # fmt: skip
        else:
            draw.text(line.anchor_xy, line.text, fill=line.ink, font=font, anchor="ms")
    out = io.BytesIO()
    # zlib's default level: optimize=True made a card 2.6x slower to encode for 5% fewer bytes
    # (46 ms against 18 ms, 30 KB against 32 KB), and the milestone sweep draws them in bulk.
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()


def _draw_keytag(image: Image.Image, palette: Palette) -> None:
    tag: Box = (60, 95, 1140, 535)
    if palette is PALETTES["glow"]:  # a soft halo, the glow-in-the-dark tag's whole point
        halo = Image.new("L", image.size, 0)
        ImageDraw.Draw(halo).rounded_rectangle(tag, radius=70, fill=255)
        halo = halo.filter(ImageFilter.GaussianBlur(22))
        image.paste(Image.new("RGB", image.size, palette.outline), mask=halo)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(tag, radius=70, fill=palette.shape, outline=palette.outline, width=6)
    hole = (115, 270, 205, 360)  # the key-ring hole, left of the text area
    draw.ellipse(hole, fill=palette.background, outline=palette.outline, width=6)


def _draw_medallion(image: Image.Image, palette: Palette) -> None:
    draw = ImageDraw.Draw(image)
    cx, cy = 330, 315
    for radius, fill in ((245, palette.outline), (228, palette.shape), (206, palette.outline),
                         (200, palette.shape)):  # fmt: skip
        draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), fill=fill)


def _draw_panel(image: Image.Image, palette: Palette) -> None:
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((50, 50, 1150, 580), radius=36, fill=palette.outline)
    draw.rounded_rectangle((50, 66, 1150, 580), radius=36, fill=palette.shape)  # accent band


def render_card(
    milestone_label: str,
    program: str,
    wording: str,
    colour: str,
    name: str | None,
    *,
    locale: str,
) -> bytes:
    """A CARD_SIZE PNG for a milestone. `colour` is a PALETTES name (see card_colour) or a
    #RRGGBB; `name` only when the member chose to share it."""
    layout = layout_card(milestone_label, program, wording, colour, name, locale=locale)
    return draw_card(layout)
