"""`harbor` for the end-to-end tests: the real CLI, with discord.py pointed at the fake
Discord server named by HARBOR_TEST_DISCORD_API / HARBOR_TEST_DISCORD_GATEWAY."""

from __future__ import annotations

import os
import sys

import discord.gateway
import discord.http
import yarl

from bot.cli import main

if __name__ == "__main__":
    if os.environ.get("HARBOR_TEST_DISCORD_API"):
        discord.http.Route.BASE = os.environ["HARBOR_TEST_DISCORD_API"]
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(
            os.environ["HARBOR_TEST_DISCORD_GATEWAY"]
        )
    sys.exit(main(sys.argv[1:]))
