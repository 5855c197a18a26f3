"""A wrong config stops start-up with one clear line naming the key, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from bot.kernel.config import ConfigError, load_settings

ROOT = Path(__file__).resolve().parent.parent


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[harbor]\ncolour = 'blue'\n", "unknown setting 'harbor.colour'"),
        ("[nonsense]\nx = 1\n", "unknown setting 'nonsense'"),
        ("[scheduler]\nsweep_seconds = 'soon'\n", "'scheduler.sweep_seconds'"),
        ("[community]\ntimezone = 'Mars/Olympus'\n", "unknown time zone 'Mars/Olympus'"),
        ("[community]\ncheckin_time = '25:00'\n", "'community.checkin_time'"),
        ("[community]\ncountry = 'USA'\n", "'community.country'"),
        ("[harbor\n", "not valid TOML"),
    ],
)
def test_bad_config_is_one_clear_line(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        load_settings(write(tmp_path, text), env={})
    assert expected in str(err.value)
    assert "\n" not in str(err.value)


def test_tokens_come_from_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "[telegram]\ntoken = 'from-file'\n")
    assert load_settings(path, env={}).telegram.token == "from-file"
    env = {"HARBOR_TELEGRAM_TOKEN": "from-env", "HARBOR_DISCORD_TOKEN": "d"}
    settings = load_settings(path, env=env)
    assert settings.telegram.token == "from-env"
    assert settings.discord.token == "d"


def test_example_config_is_valid_and_complete() -> None:
    """config.example.toml loads, and names every setting the code knows."""
    from bot.kernel.config import Settings

    example = ROOT / "config.example.toml"
    settings = load_settings(example, env={})
    text = example.read_text(encoding="utf-8")
    assert settings.community.timezone
    for section_name, section in Settings.model_fields.items():
        assert f"[{section_name}]" in text
        assert section.annotation is not None
        for key in section.annotation.model_fields:  # type: ignore[union-attr]
            assert f"\n{key} =" in text or f"\n# {key} =" in text, f"{section_name}.{key}"


def test_cli_reports_bad_config_without_traceback(tmp_path: Path) -> None:
    path = write(tmp_path, "[harbor]\ncolour = 'blue'\n")
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2
    assert out.stderr.strip() == "config: unknown setting 'harbor.colour'"
    assert "Traceback" not in out.stderr
