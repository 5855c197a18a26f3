"""The core never imports a chat platform library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_no_bot_module_imports_telegram_or_discord() -> None:
    modules = sorted(
        ".".join(p.relative_to(ROOT).with_suffix("").parts)
        for p in (ROOT / "bot").rglob("*.py")
        if p.name != "__main__.py"
    )
    assert "bot.kernel.core" in modules and "bot.app" in modules
    code = (
        "import importlib, sys\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('telegram', 'discord'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "", f"bot/ imported: {out.stdout}"


def _imports(path: Path) -> set[str]:
    import ast

    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_the_layers_point_one_way() -> None:
    """Adapters translate and never touch storage (the kernel remembers for them); the
    kernel knows no feature; storage knows nothing of the bot."""
    for path in (ROOT / "adapters").rglob("*.py"):
        assert not any(m.split(".")[0] == "storage" for m in _imports(path)), path
    features = {"checkins", "sobriety", "meetings", "crisis", "community", "members"}
    for path in (ROOT / "bot" / "kernel").rglob("*.py"):
        for module in _imports(path):
            parts = module.split(".")
            assert not (parts[0] == "bot" and parts[1:2] and parts[1] in features), (path, module)
    for path in (ROOT / "storage").rglob("*.py"):
        assert not any(m.split(".")[0] in ("bot", "adapters") for m in _imports(path)), path


def test_no_private_attribute_of_a_dependency_is_used() -> None:
    """aiosqlite, discord.py and python-telegram-bot only through their public API."""
    import re

    private = re.compile(
        r"\.(?:_conn|_execute|_connection|_tx|_http|_state|_handlers)\b|discord\.Interaction\("
    )
    for folder in ("bot", "adapters", "storage"):
        for path in (ROOT / folder).rglob("*.py"):
            for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
                code = line.split("#", 1)[0].replace("self._", "self.")
                assert not private.search(code), f"{path}:{number}: {line.strip()}"
