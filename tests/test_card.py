from __future__ import annotations

import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image, features

from bot.sobriety import card
from bot.sobriety.card import (
    CARD_SIZE,
    PALETTES,
    Box,
    CardLayout,
    card_colour,
    draw_card,
    layout_card,
    render_card,
)
from bot.sobriety.milestones import PROGRAMS, get_milestone, milestone_meaning

KEYS = ["24h", "30d", "60d", "90d", "6m", "9m", "1y", "18m", "2y", "25y"]
MAX_PNG_BYTES = 200_000


def make(program: str, key: str, name: str | None, locale: str = "en_US") -> CardLayout:
    m = get_milestone(key)
    return layout_card(
        m.label, program, milestone_meaning(m, program), card_colour(program, key), name,
        locale=locale,
    )  # fmt: skip


def inside(inner: Box, outer: Box) -> bool:
    return (
        outer[0] <= inner[0] < inner[2] <= outer[2] and outer[1] <= inner[1] < inner[3] <= outer[3]
    )


def assert_fits(layout: CardLayout) -> None:
    whole: Box = (0, 0, *layout.size)
    assert layout.lines, "a card shows at least its milestone"
    for line in layout.lines:
        assert inside(line.box, whole), line
        assert any(inside(line.box, area) for area in layout.text_areas), line
    # Lines never overlap one another.
    for i, a in enumerate(layout.lines):
        for b in layout.lines[i + 1 :]:
            apart = a.box[2] <= b.box[0] or b.box[2] <= a.box[0]
            assert apart or a.box[3] <= b.box[1] or b.box[3] <= a.box[1], (a, b)


def assert_png(data: bytes) -> Image.Image:
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < MAX_PNG_BYTES
    image = Image.open(io.BytesIO(data))
    image.verify()  # a complete, uncorrupted PNG
    image = Image.open(io.BytesIO(data))
    assert (image.format, image.size, image.mode) == ("PNG", CARD_SIZE, "RGB")
    return image


def shape_pixel(layout: CardLayout) -> tuple[int, int]:
    """A point on the keytag, medallion face or panel, clear of any text."""
    return {"keytag": (1120, 315), "medallion": (330, 135), "panel": (80, 300)}[layout.style]


def hex_rgb(colour: str) -> tuple[int, int, int]:
    return int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16)


# ---- every program's card --------------------------------------------------------------------


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("key", KEYS)
def test_every_programs_card_fits_and_is_a_valid_png(program: str, key: str) -> None:
    layout = make(program, key, "Sam")
    assert_fits(layout)
    assert layout.complete
    assert layout.lines[0].role == "headline"
    assert layout.lines[0].text == get_milestone(key).label
    assert layout.lines[-1].role == "name" and layout.lines[-1].text == "Sam"
    image = assert_png(draw_card(layout))
    # The program's colour is really there: the tag, medallion or panel.
    assert image.getpixel(shape_pixel(layout)) == hex_rgb(layout.palette.shape)


@pytest.mark.parametrize(
    ("key", "colour"),
    [
        ("24h", "white"), ("30d", "orange"), ("60d", "green"), ("90d", "red"), ("6m", "blue"),
        ("9m", "yellow"), ("1y", "glow"), ("18m", "grey"), ("2y", "black"), ("30y", "black"),
    ],
)  # fmt: skip
def test_na_keytag_colours(key: str, colour: str) -> None:
    assert card_colour("NA", key) == colour
    assert "keytag" in milestone_meaning(get_milestone(key), "NA")  # wording and colour agree
    if colour not in ("white", "black", "glow"):  # those are worded differently
        assert colour in milestone_meaning(get_milestone(key), "NA")


def test_other_programs_colours_and_styles() -> None:
    assert {card_colour("AA", k) for k in KEYS} == {"bronze"}
    assert {card_colour("SMART", k) for k in KEYS} == {"sage"}
    assert {card_colour("general", k) for k in KEYS} == {"calm"}
    assert make("AA", "1y", None).style == "medallion"
    assert make("NA", "1y", None).style == "keytag"
    assert make("SMART", "1y", None).style == make("general", "1y", None).style == "panel"


def test_wording_does_not_repeat_the_headline() -> None:
    layout = make("NA", "30d", None)
    wording = " ".join(line.text for line in layout.lines if line.role == "wording")
    assert wording == "In many NA areas that's the orange keytag. Keep coming back."


def contrast(a: str, b: str) -> float:
    la, lb = card._luminance(a), card._luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("key", KEYS)
def test_text_is_readable_on_its_colour(program: str, key: str) -> None:
    layout = make(program, key, "Sam")
    for line in layout.lines:
        on_background = layout.style == "medallion" and line.role != "headline"
        under = layout.palette.background if on_background else layout.palette.shape
        assert contrast(line.ink, under) >= 4.5, (line.role, layout.palette)  # WCAG AA


# ---- names -----------------------------------------------------------------------------------


def name_line(layout: CardLayout) -> str | None:
    return next((line.text for line in layout.lines if line.role == "name"), None)


@pytest.mark.parametrize("program", PROGRAMS)
@pytest.mark.parametrize("name", ["نور", "שרה כהן", "Anna (نور)", "Ζωή", "Олександра"])
def test_rtl_and_other_script_names(program: str, name: str) -> None:
    layout = make(program, "1y", name)
    assert name_line(layout) == name
    assert layout.shaped is bool(features.check_feature("raqm"))
    assert layout.complete is layout.shaped or not card._is_rtl(name)
    assert_fits(layout)
    assert_png(draw_card(layout))


def test_rtl_name_is_shaped_when_libraqm_is_there() -> None:
    if not features.check_feature("raqm"):
        pytest.skip("Pillow without libraqm: names are drawn unshaped (tested below)")
    font = card._font(46, True)
    # Joined Arabic letters are narrower than the same letters drawn one by one.
    assert font.getlength("نور") < sum(font.getlength(c) for c in "نور")


def test_without_libraqm_rtl_names_still_render_safely(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(card, "_shaping", lambda: False)
    layout = make("NA", "30d", "نور")
    assert not layout.shaped and not layout.complete  # the caller adds the name as text
    assert name_line(layout) == "نور"
    assert_fits(layout)
    assert_png(draw_card(layout))


def test_emoji_are_dropped_not_drawn_as_boxes() -> None:
    layout = make("NA", "30d", "Sam 🌊✨")
    assert name_line(layout) == "Sam"
    assert not layout.complete
    for family in ("👨\u200d👩\u200d👧 Jo", "Jo 👍🏽", "❤️ Kim", "🏳️\u200d🌈Lee"):
        got = name_line(make("AA", "1y", family))
        assert got is not None and got.strip() in ("Jo", "❤ Kim", "Lee"), got


@pytest.mark.parametrize("name", [None, "", "   ", "🌊✨", "小明", "\u202e\u200b"])
def test_nothing_drawable_means_no_name_line(name: str | None) -> None:
    layout = make("SMART", "90d", name)
    assert name_line(layout) is None
    assert_fits(layout)


def test_bidi_overrides_are_removed_from_names() -> None:
    assert name_line(make("general", "30d", "\u202eSam\u202c")) == "Sam"


def test_decomposed_accents_count_as_complete() -> None:
    layout = make("general", "30d", "Jose\u0301")  # "José" typed with a combining accent
    assert name_line(layout) == "José" and layout.complete


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_200_character_name_is_shortened_with_an_ellipsis(program: str) -> None:
    for name in ("W" * 200, "Maximiliane " * 17, "نور " * 50):
        layout = make(program, "18m", name)
        shown = name_line(layout)
        assert shown is not None and shown.endswith("…") and len(shown) < len(name)
        assert not layout.complete
        assert_fits(layout)


def test_long_translated_wording_and_label_still_fit() -> None:
    layout = layout_card(
        "Achtzehn Monate voller Genesung, Geduld und Gemeinschaft, Tag für Tag",
        "AA",
        "Achtzehn Monate. " + "Ein Tag nach dem anderen, mit Geduld und Zuversicht. " * 6,
        "bronze",
        "Anna",
        locale="de_DE",
    )
    assert_fits(layout)
    assert len([line for line in layout.lines if line.role == "wording"]) <= 3
    assert not layout.complete
    assert_png(draw_card(layout))


def test_arabic_locale_card() -> None:
    layout = layout_card("٣٠ يومًا", "NA", "٣٠ يومًا. واصل المجيء.", "orange", "نور", locale="ar_EG")
    assert [line.language for line in layout.lines] == ["ar", "ar", None]
    assert_fits(layout)


# ---- inputs ----------------------------------------------------------------------------------


def test_hex_colours_and_bad_colours() -> None:
    layout = layout_card("30 days", "general", "x", "#123456", None, locale="en")
    assert layout.palette.shape == "#123456"
    assert layout.lines[0].ink == "#FFFFFF"  # light ink on a dark colour
    for bad in ("purple", "#12345", "#GGGGGG", "#-12345", "#+1234a"):
        with pytest.raises(ValueError):
            layout_card("30 days", "general", "x", bad, None, locale="en")


def test_label_with_nothing_drawable_is_refused() -> None:
    with pytest.raises(ValueError):
        layout_card("三十天", "general", "x", "calm", None, locale="zh")


def test_rendering_is_deterministic() -> None:
    args = ("1 year", "NA", "1 year. A year of light.", "glow", "Sam")
    assert render_card(*args, locale="en_US") == render_card(*args, locale="en_US")
    assert_png(render_card(*args, locale="en_US"))


def test_every_palette_draws() -> None:
    for colour in PALETTES:
        assert_png(render_card("9 months", "NA", "", colour, None, locale="en"))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    name=st.one_of(st.none(), st.text(max_size=300)),
    program=st.sampled_from(PROGRAMS),
    key=st.sampled_from(KEYS),
)
def test_any_name_fits(name: str | None, program: str, key: str) -> None:
    assert_fits(make(program, key, name))
