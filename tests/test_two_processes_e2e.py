"""Two `harbor run` processes on one PostgreSQL database, driven by the fake Telegram and
Discord servers: Telegram in webhook mode with both processes as gateways behind a "proxy"
that delivers every update to both; Discord's two shards split between the processes; both
processes sweep and send. Every event is answered once and every scheduled message is sent
once (counted in the fake servers' call logs)."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import time
from collections import Counter
from pathlib import Path

import aiohttp

from storage import open_store
from tests.fakes import discord_api as fd
from tests.fakes.discord_api import FakeDiscord
from tests.fakes.telegram_api import FakeTelegramAPI, private_chat, user
from tests.pg import fresh_database

ROOT = Path(__file__).resolve().parent.parent
SECRET = "e2e-webhook-secret"
PROMPT = "Time for your daily check-in"
CALLBACK = r"^/interactions/\d+/[^/]+/callback$"
TELEGRAM_USERS = [user(11 + i, f"Member{i}") for i in range(6)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def seed(url: str) -> None:
    """Members with a check-in prompt due now, on both platforms."""
    store = await open_store(url)
    now = int(time.time())
    people = [("telegram", str(u["id"]), u["first_name"]) for u in TELEGRAM_USERS[:3]]
    people.append(("discord", fd.MEMBER_ID, "Member"))
    for platform, user_id, name in people:
        m = await store.members.touch(platform, user_id, name, now - 60, True)
        await store.checkins.save_plan(m.id, enabled=True, local_time="09:00", tz="UTC",
                                       next_at=now - 30, last_day=None)
    await store.close()


async def wait_until(check: object, within: float = 60.0) -> None:
    deadline = time.monotonic() + within
    while not check():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_two_processes_answer_every_event_and_send_every_message_once(
    tmp_path: Path, telegram_fake: FakeTelegramAPI, discord_fake: FakeDiscord
) -> None:
    with fresh_database() as url:
        await seed(url)
        ports = [free_port(), free_port()]
        procs: list[asyncio.subprocess.Process] = []
        env = {**os.environ, "HARBOR_TELEGRAM_TOKEN": telegram_fake.token,
               "HARBOR_DISCORD_TOKEN": fd.TOKEN, "PTB_TIMEDELTA": "1",
               "HARBOR_TEST_DISCORD_API": discord_fake.api_base,
               "HARBOR_TEST_DISCORD_GATEWAY": discord_fake.gateway_url}
        for i, port in enumerate(ports):
            config = tmp_path / f"harbor{i}.toml"
            config.write_text(
                f'[storage]\nurl = "{url}"\n'
                f'[telegram]\napi_base_url = "{telegram_fake.root_url}"\n'
                f'webhook_url = "http://127.0.0.1:{port}/telegram"\n'
                f'webhook_port = {port}\nwebhook_secret = "{SECRET}"\n'
                f'[discord]\nshard_ids = [{i}]\nshard_count = 2\n'
                '[scheduler]\nsweep_seconds = 1\n')
            procs.append(await asyncio.create_subprocess_exec(
                sys.executable, "-m", "tests.helpers.run_harbor", "run", "--config", str(config),
                cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE))
        try:
            await wait_until(lambda: len(telegram_fake.calls_to("setWebhook")) == 2)
            await wait_until(lambda: len(discord_fake.identifies) == 2)
            await discord_fake.wait_connected(within=30)
            assert sorted(d["shard"][0] for d in discord_fake.identifies) == [0, 1]

            # Telegram: every update reaches both gateways (a proxy retrying on both).
            async with aiohttp.ClientSession() as http:
                for n, who in enumerate(TELEGRAM_USERS):
                    update = telegram_fake.push_message(
                        private_chat(who), who, f"/sober 2026-10-{n + 1:02d} alcohol")
                    for port in ports:
                        async with http.post(
                            f"http://127.0.0.1:{port}/telegram", json=update,
                            headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                        ) as resp:
                            assert resp.status == 200
                # A forged update (wrong secret) is refused.
                async with http.post(f"http://127.0.0.1:{ports[0]}/telegram", json=update,
                                     headers={"X-Telegram-Bot-Api-Secret-Token": "x"}) as resp:
                    assert resp.status == 403

            # Discord: interactions go to whichever process holds their shard.
            for n in range(3):
                await discord_fake.dispatch("INTERACTION_CREATE", fd.slash_command(
                    discord_fake, "sober", f"2026-11-0{n + 1} nicotine"))
            await discord_fake.dispatch("INTERACTION_CREATE", fd.slash_command(
                discord_fake, "sober", "2026-11-05 caffeine", guild=False))
            # A server on shard 1: only the second process is connected to it.
            other = fd.slash_command(discord_fake, "sober", "2026-11-06 sugar")
            other["guild_id"] = str(int(fd.GUILD_ID) + (1 << 22))
            await discord_fake.dispatch("INTERACTION_CREATE", other)

            def answered() -> Counter[str]:
                return Counter(str(c.params.get("chat_id")) for c in
                               telegram_fake.calls_to("sendMessage")
                               if "alcohol:" in str(c.params.get("text")))

            def prompted() -> Counter[str]:
                return Counter(str(c.params.get("chat_id")) for c in
                               telegram_fake.calls_to("sendMessage")
                               if PROMPT in str(c.params.get("text")))

            def discord_prompts() -> int:
                return sum(1 for r in discord_fake.requests if r.method == "POST"
                           and PROMPT in str(r.body))

            await wait_until(lambda: len(answered()) == len(TELEGRAM_USERS))
            await wait_until(lambda: len(prompted()) == 3 and discord_prompts() == 1)
            await discord_fake.wait_for_request("POST", CALLBACK, count=5, within=30)
            store = await open_store(url)
            try:
                deadline = time.monotonic() + 30
                while await store.outbox.count(status="pending"):
                    assert time.monotonic() < deadline
                    await asyncio.sleep(0.1)
            finally:
                await store.close()
        finally:
            for proc in procs:
                if proc.returncode is None:
                    proc.send_signal(signal.SIGTERM)
            codes = [await asyncio.wait_for(p.wait(), 30) for p in procs]
            errors = [(await p.stderr.read()).decode() if p.stderr else "" for p in procs]
        assert codes == [0, 0], errors
        assert all("Traceback" not in e for e in errors), errors
        # Each Telegram update answered once, each due prompt sent once.
        assert set(answered().values()) == {1}, answered()
        assert prompted() == Counter({str(u["id"]): 1 for u in TELEGRAM_USERS[:3]})
        assert discord_prompts() == 1
        callbacks = discord_fake.requests_to("POST", CALLBACK)
        ids = Counter(r.path.split("/")[2] for r in callbacks)
        assert len(ids) == 5 and set(ids.values()) == {1}, ids
        assert all("running as all" in e for e in errors)
