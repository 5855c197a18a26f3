"""Issue #16, groups, bad input, the CLI and the console (items 17-20, 22, 23 and the
/community wording): checked the way a moderator or a newcomer meets them."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest

from adapters.console import ConsoleAdapter
from bot.kernel.config import ConfigError, load_settings
from storage.sql.store import SQLStore

ROOT = Path(__file__).resolve().parent.parent
LONG_SHARE = "Today was a good day at the meeting and I want to share it. " * 80  # > 4,000
LONG_CRISIS = "I have been thinking a lot. " * 150 + "I want to kill myself tonight."


def harbor(*args: str, stdin: str = "", cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120,
    )  # fmt: skip


# -- 17. commands meant for other bots ------------------------------------------------------------


async def test_unknown_commands_in_a_group_are_ignored(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    for line in ("/kick @spammer", "/roll 1d20", "/ban"):
        assert await console.push(line) == []


async def test_an_unknown_command_addressed_to_harbor_is_answered(
    console: ConsoleAdapter,
) -> None:
    await console.push(":group recovery")
    said = await console.push("/setings@harbor")
    assert said and said[0].to == "Alex (private)" and "/settings" in said[0].text


async def test_an_unknown_command_in_private_is_answered(console: ConsoleAdapter) -> None:
    said = await console.push("/kick")
    assert "I don't know /kick" in said[0].text


# -- 18. long messages ----------------------------------------------------------------------------


async def test_a_long_share_in_a_group_is_ignored_quietly(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    assert await console.push(LONG_SHARE) == []


async def test_a_long_message_in_private_gets_a_polite_note(console: ConsoleAdapter) -> None:
    said = await console.push(LONG_SHARE)
    assert len(said) == 1 and "a bit long" in said[0].text


async def test_a_long_crisis_message_gets_the_lines_and_nothing_else(
    console: ConsoleAdapter,
) -> None:
    said = await console.push(LONG_CRISIS)
    assert any("not alone" in s.text for s in said)
    assert not any("a bit long" in s.text for s in said)
    await console.push(":as Sam")  # a first crisis message for Sam, in a group
    await console.push(":group recovery")
    said = await console.push(LONG_CRISIS)
    assert any(s.to == "Sam (private)" and "not alone" in s.text for s in said)
    assert not any(s.to.startswith("group") and "long" in s.text for s in said)


# -- /community wording -------------------------------------------------------------------------


async def test_community_confirms_what_it_saved(console: ConsoleAdapter) -> None:
    await console.push(":group recovery")
    await console.push(":mod on")
    said = await console.push("/community tz new york")
    assert "America/New_York" in said[0].text and "new york" not in said[0].text
    said = await console.push("/community checkin 7pm")
    assert "19:00" in said[0].text
    said = await console.push("/community celebrations yes")
    assert "celebrations = on" in said[0].text
    said = await console.push("/community nudge 1")
    assert "1 day." in said[0].text
    said = await console.push("/community country spain")
    assert "Spain" in said[0].text
    said = await console.push("/community")
    assert "Nudge after missed check-ins: 1 day" in said[0].text


# -- 19. configuration ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[community]\ncountry = 'ZZ'\n", "'community.country'"),
        ("[community]\nlanguage = 'fr'\n", "'community.language'"),
        ("[community]\ndate_locale = 'xx'\n", "'community.date_locale'"),
        ("[crisis]\ndetection = 'no'\n", "'crisis.detection'"),
    ],
)
def test_doubtful_settings_are_refused(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(path, env={})
    assert expected in str(err.value) and "\n" not in str(err.value)


def test_a_config_that_is_not_utf8_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[community]\ntimezone = '\xff\xfe'\n")
    out = harbor("run", "--config", str(path))
    assert out.returncode == 2
    assert out.stderr.strip().count("\n") == 0 and "not UTF-8" in out.stderr
    assert "Traceback" not in out.stderr


def test_crisis_detection_off_warns_at_start_up(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[crisis]\ndetection = false\n", encoding="utf-8")
    out = harbor("console", "--config", str(path), "--db", str(tmp_path / "h.db"), stdin="/help\n")
    assert out.returncode == 0
    assert "WARNING" in out.stderr and "crisis detection is off" in out.stderr
    on = harbor("console", "--db", str(tmp_path / "h2.db"), stdin="/help\n")
    assert "crisis detection is off" not in on.stderr


# -- 20. a missing database directory ------------------------------------------------------------


def test_missing_database_directory_is_one_clean_line(tmp_path: Path) -> None:
    for _ in range(5):
        out = harbor("console", "--db", str(tmp_path / "nowhere" / "harbor.db"))
        assert out.returncode == 3
        assert out.stderr.strip().startswith("storage:") and out.stderr.strip().count("\n") == 0
        assert "Exception in thread" not in out.stderr and "Event loop is closed" not in out.stderr


# -- 22. the CLI ----------------------------------------------------------------------------


def test_version() -> None:
    out = harbor("--version")
    assert out.returncode == 0 and out.stdout.startswith("harbor ")


def test_no_internal_names_in_cli_errors() -> None:
    for args in ((), ("meetings",)):
        out = harbor(*args)
        assert out.returncode == 2
        assert "required: cmd" not in out.stderr and "meetings_cmd" not in out.stderr
        assert "choose" in out.stderr


def test_communities_are_listed_for_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    script = ":group Sunrise Group\n:mod on\n/community tz Europe/London\n:group NA Tuesday\nhi\n"
    assert harbor("console", "--db", str(db), stdin=script).returncode == 0
    out = harbor("communities", "--db", str(db))
    assert out.returncode == 0, out.stderr
    assert "console:Sunrise Group" in out.stdout and "console:NA Tuesday" in out.stdout
    assert "Europe/London" in out.stdout


# -- 23. the console ----------------------------------------------------------------------------


async def test_console_controls_without_arguments_are_explained(
    console: ConsoleAdapter,
) -> None:
    out = io.StringIO()
    console.out = out
    for line in (":group", ":as", ":press", ":mod on"):
        await console.push(line)
    text = out.getvalue()
    assert "unknown console command" not in text
    assert ":group needs a name" in text and ":as needs a name" in text
    assert ":press needs a button label" in text and ":mod works in a group" in text


async def test_console_time_tomorrow(console: ConsoleAdapter) -> None:
    out = io.StringIO()
    console.out = out
    await console.push(":time tomorrow 08:00")
    assert "Invalid isoformat" not in out.getvalue()
    assert "2026-11-26T08:00" in out.getvalue()


async def test_pressing_a_private_button_from_a_group_posts_nothing_there(
    console: ConsoleAdapter,
) -> None:
    await console.push("/sober 2026-10-01 alcohol")
    await console.push(":group recovery")
    await console.push("/reset")
    said = await console.push(":press Not now")
    assert said and all(not s.to.startswith("group") for s in said)


def test_a_long_time_jump_sends_what_is_due_at_once(tmp_path: Path) -> None:
    script = "\n".join([
        ":group recovery", ":mod on", "/community tz America/New_York", "/community announce",
        "/meeting add Tuesday Night | tue | 19:00 | | 90 | https://zoom.us/j/123 | O,D |",
        ":time 2026-12-15T18:31-05:00",
    ]) + "\n"  # fmt: skip
    out = harbor("console", "--db", str(tmp_path / "h.db"), "--clock", "2026-11-25T12:00+00:00",
                 stdin=script)
    assert out.returncode == 0, out.stderr
    after = out.stdout.split(":time 2026-12-15T18:31-05:00", 1)[1]
    assert "Tuesday Night starts in" in after


async def test_store_is_untouched_by_ignored_commands(
    console: ConsoleAdapter, store: SQLStore
) -> None:
    await console.push(":group recovery")
    await console.push("/roll 1d20")
    assert await store.outbox.count() == 0
