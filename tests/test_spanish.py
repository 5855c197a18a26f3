"""A member who chooses Spanish hears Harbor in Spanish everywhere, through the console
adapter: the answer to the choice itself, /help, a check-in with its buttons, a counter, the
milestone (and its card) that arrives on its own later, and /urge's coping step."""

from __future__ import annotations

from datetime import date

from adapters.console import ConsoleAdapter, Said
from bot.kernel.i18n import catalog, translator
from bot.kernel.runtime import Harbor
from bot.meetings.attendance import _split_day
from bot.urges.coping import coping_steps
from storage.sql.store import SQLStore


def private(said: list[Said]) -> list[str]:
    return [s.text for s in said if s.to == "Alex (private)"]


async def test_a_member_chooses_spanish_and_hears_it_everywhere(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    said = await console.push("/settings language español")
    assert said[0].text.startswith("Listo: desde ahora te hablo en español.")
    member = await store.members.find("console", "alex")
    assert member is not None and member.lang == "es"

    (help_text,) = private(await console.push("/help"))
    assert help_text.startswith("Esto es lo que puedo hacer:")
    assert "/checkin — Check-in diario" in help_text
    assert "/sober — Tus contadores de recuperación" in help_text
    assert "Here's what I can do" not in help_text

    await console.push("/settings tz America/Mexico_City")
    said = await console.push("/checkin")
    assert "¿Cómo está tu ánimo hoy?" in said[0].text
    said = await console.push(":press 4")
    assert "¿Qué tan fuertes son tus ganas" in said[0].text
    said = await console.push(":press 2")
    assert said[0].text == "¿Sobrio/a hoy?"
    assert [b.label for row in said[0].buttons for b in row][:2] == ["Sí", "No"]
    said = await console.push(":press Sí")
    assert said[0].text.startswith("Gracias por hacer tu check-in. Un día más, bien hecho.")
    said = await console.push("Fui a una reunión.")
    assert said[0].text == "Tu nota quedó guardada. Solo tú puedes verla."

    said = await console.push("/sober 2026-10-27")  # 30 days on 2026-11-26
    assert "Guardado. Cada día cuenta." in said[0].text
    assert "Próximo logro: 30 días" in said[0].text
    said = await console.push(":time 2026-11-26T09:30-06:00")
    (note,) = [s for s in said if s.to == "Alex (private)" and "¡Felicidades!" in s.text]
    assert note.text.startswith(
        "🎉 ¡Felicidades! 30 días. Un mes entero eligiendo tu recuperación, un día a la vez."
    )
    assert note.text.endswith('(Tu contador "recuperación".)')  # its default name, in Spanish
    assert note.image is not None
    assert note.image_alt == (
        "Una tarjeta de logro: 30 días. Un mes entero eligiendo tu recuperación, un día a la vez."
    )

    (urge,) = private(await console.push("/urge"))
    assert urge.startswith("Te acercaste, y eso importa.")
    step = urge.split("Algo que puedes probar ahora:\n", 1)[1]
    assert step in {str(catalog("es")[s.text_key]) for s in coping_steps()}


async def test_spanish_words_are_read_where_spanish_is_shown(console: ConsoleAdapter) -> None:
    """The Spanish examples work as typed: "ayer" for a counter's start, a language by name."""
    await console.push("/settings language es")
    said = await console.push("/sober ayer alcohol")
    assert "Guardado. Cada día cuenta." in said[0].text
    said = await console.push("/sober")
    assert "alcohol: 1 día" in said[0].text
    said = await console.push("/settings")
    assert "• Idioma: español" in said[0].text


async def test_language_choices_and_the_way_back(console: ConsoleAdapter, store: SQLStore) -> None:
    said = await console.push("/settings language")
    assert "Languages I speak: en (English) and es (español)" in said[0].text
    said = await console.push("/settings language klingon")
    assert 'I don\'t speak "klingon" yet' in said[0].text
    member = await store.members.find("console", "alex")
    assert member is not None and member.lang is None  # nothing chosen, nothing changed
    await console.push("/settings language Spanish")
    said = await console.push("/settings language")
    assert "Ahora mismo uso español" in said[0].text
    said = await console.push("/settings language inglés")  # a name in the member's language
    assert said[0].text.startswith("Okay: from now on I'll talk with you in English.")
    (help_text,) = private(await console.push("/help"))
    assert help_text.startswith("Here's what I can do:")


async def test_crisis_lines_in_spanish_for_a_member_who_chose_it(console: ConsoleAdapter) -> None:
    """Never a lecture: not alone, and a number to call or text now."""
    await console.push("/settings language es")
    await console.push("/settings country MX")
    (reply,) = private(await console.push("/crisis"))
    assert reply.startswith("No estás solo/a.")
    assert "Líneas de crisis (" in reply
    assert any(ch.isdigit() for ch in reply.split("Líneas de crisis (", 1)[1])


def test_command_menus_fit_where_english_fits(harbor: Harbor) -> None:
    """Discord cuts a command's description at 100 characters: a Spanish one is never cut
    where the English one is whole."""
    en, es = translator("en"), translator("es")
    for cmd in harbor.core.router.commands:
        if len(en(cmd.help_key)) <= 100:
            assert len(es(cmd.help_key)) <= 100, (cmd.name, es(cmd.help_key))


def test_attended_reads_hoy_and_ayer() -> None:
    today = date(2026, 11, 25)
    assert _split_day("Grupo del domingo ayer", today) == ("Grupo del domingo", date(2026, 11, 24))
    assert _split_day("3 hoy", today) == ("3", today)
    assert _split_day("3 yesterday", today) == ("3", date(2026, 11, 24))
