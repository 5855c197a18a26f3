"""Issue #16, check-ins and buddies (items 10, 11 and the wording list): a hard day is met
gently, buddies can end one pairing or cancel one invite and the other person is told, and
the words fit what happened."""

from __future__ import annotations

from datetime import date, timedelta

from adapters.console import ConsoleAdapter, Said
from bot.checkins.model import CheckinPoint
from storage.sql.store import SQLStore


def texts(said: list[Said]) -> str:
    return "\n".join(s.text for s in said)


async def checkin(console: ConsoleAdapter, mood: str, cravings: str, sober: str) -> list[Said]:
    await console.push("/checkin")
    await console.push(f":press {mood}")
    await console.push(f":press {cravings}")
    return await console.push(f":press {sober}")


# -- 10. "No" to "Sober today?" -----------------------------------------------------------------


async def test_not_sober_today_offers_slip_and_reset_gently(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/sober 2026-10-01 alcohol")
    said = await checkin(console, "2", "6", "No")
    text = said[0].text
    assert "/slip" in text and "/reset" in text
    assert "courage" in text  # the kind words stay
    said = await console.push("/slip")  # and the offer works
    assert "doesn't erase" in said[0].text


async def test_a_hard_check_in_offers_an_online_meeting_starting_soon(
    console: ConsoleAdapter,
) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    await console.push("/meeting add Lunch Online | wed | 12:30 | UTC | 60 | https://zoom.us/j/1")
    await console.push(":dm")
    (easy,) = await checkin(console, "4", "1", "Yes")
    assert "Lunch Online" not in easy.text  # only on a hard day
    (hard,) = await checkin(console, "2", "9", "Yes")
    assert "Lunch Online" in hard.text and "https://zoom.us/j/1" in hard.text


async def test_not_sober_today_without_a_counter_mentions_no_reset(
    console: ConsoleAdapter,
) -> None:
    said = await checkin(console, "2", "6", "No")
    assert "/reset" not in said[0].text


# -- 11. buddies: one pairing, one invite, and the other person hears ---------------------------


async def join(console: ConsoleAdapter, *names: str) -> None:
    for name in names:
        await console.push(f":as {name}")
        await console.push(":group recovery")
        await console.push("hello")
        await console.push(":dm")


async def pair(console: ConsoleAdapter, inviter: str, invitee: str) -> None:
    await console.push(f":as {inviter}")
    await console.push(f"/buddy {invitee}")
    await console.push(f":as {invitee}")
    await console.push(f"/buddy {inviter}")  # accepting by inviting back


async def test_end_one_of_several_buddies_and_the_other_is_told(
    console: ConsoleAdapter,
) -> None:
    await join(console, "Alex", "Sam", "Kim")
    await pair(console, "Alex", "Sam")
    await pair(console, "Alex", "Kim")
    await console.push(":as Alex")
    said = await console.push("/buddy off Sam")
    assert "Sam" in said[0].text
    said = await console.push("/buddy")
    assert "Kim: buddies" in said[0].text and "Sam" not in said[0].text
    said = await console.push(":advance 1m")
    told = [s for s in said if s.to == "Sam (private)" and "ended" in s.text]
    assert told and "Alex" in told[0].text and "ended" in told[0].text
    assert not any(s.to == "Kim (private)" and "ended" in s.text for s in said)


async def test_cancel_one_pending_invite(console: ConsoleAdapter) -> None:
    await join(console, "Alex", "Sam", "Kim")
    await console.push(":as Alex")
    await console.push("/buddy Sam")
    await console.push("/buddy Kim")
    said = await console.push("/buddy cancel Sam")
    assert "Sam" in said[0].text
    said = await console.push("/buddy")
    assert "Kim: invited" in said[0].text and "Sam" not in said[0].text
    await console.push(":advance 1m")  # Sam's invite had already been delivered
    await console.push(":as Sam")
    said = await console.push(":press Accept")
    assert "now buddies" not in texts(said)


async def test_buddy_off_without_a_name_ends_all_and_tells_each(console: ConsoleAdapter) -> None:
    await join(console, "Alex", "Sam", "Kim")
    await pair(console, "Alex", "Sam")
    await pair(console, "Alex", "Kim")
    await console.push(":as Alex")
    await console.push("/buddy off")
    said = await console.push(":advance 1m")
    assert {s.to for s in said if "ended" in s.text} == {"Sam (private)", "Kim (private)"}


async def test_ending_a_pairing_that_does_not_exist(console: ConsoleAdapter) -> None:
    await join(console, "Alex", "Sam")
    await console.push(":as Alex")
    said = await console.push("/buddy off Sam")
    assert "Sam" in said[0].text and "Sorry" not in said[0].text


# -- wording -----------------------------------------------------------------------------


async def test_the_prompt_does_not_greet_as_if_the_member_wrote(console: ConsoleAdapter) -> None:
    await console.push("/settings tz America/Chicago")
    await console.push("/checkin on")
    said = await console.push(":time 2026-11-25T09:00-06:00")
    prompt = next(s for s in said if "daily check-in" in s.text)
    assert "Good to see you" not in prompt.text


async def test_one_checkin_is_singular(console: ConsoleAdapter) -> None:
    await checkin(console, "4", "2", "Yes")
    said = await console.push("/progress text")
    assert "(1 check-in)" in said[0].text


async def test_thirty_day_summary_does_not_say_this_week(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    from storage.rows import CheckinValues

    await console.push("/settings tz UTC")
    member = await store.members.find("console", "alex")
    assert member is not None
    today = date(2026, 11, 25)
    for back in range(30):
        day = today - timedelta(days=back)
        mood = 1 + (29 - back) // 8  # rising over the month
        await store.checkins.record(
            member.id, day.isoformat(), 0, CheckinValues(mood=mood, cravings=3)
        )
    said = await console.push("/progress 30 text")
    assert "this week" not in said[0].text
    assert "30 days" in said[0].text


def test_chart_legend_covers_no_point() -> None:
    from bot.checkins.chart import chart_figure

    today = date(2026, 11, 25)
    points = [
        CheckinPoint(today - timedelta(days=6 - i), mood, cravings)
        for i, (mood, cravings) in enumerate(
            [(5, 10), (5, 9), (4, 8), (3, 5), (2, 4), (4, 2), (5, 0)]
        )
    ]
    fig = chart_figure(points, 7, "Mood and cravings, last 7 days", end=today)
    renderer = fig.canvas.get_renderer()  # type: ignore[attr-defined]
    legends = [leg for ax in fig.axes for leg in ([ax.get_legend()] if ax.get_legend() else [])]
    legends += list(fig.legends)
    assert legends
    box = legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        for line in ax.get_lines():
            for x, y in line.get_xydata():
                px, py = ax.transData.transform((x, y))
                assert not box.contains(px, py), (x, y)
