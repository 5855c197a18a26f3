"""The console adapter: try Harbor in a terminal, and drive it from tests and scripts.

Each input line is a message from the current member in the current chat; lines starting
with ":" control the console (see HELP). Like errbot's test backend, `push()` sends a line and
returns what the bot said, so tests read as conversations.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.kernel.clock import ManualClock
from bot.kernel.ports import Handler
from bot.kernel.types import (
    Button,
    ChatRef,
    Document,
    EventKind,
    Incoming,
    Member,
    Reply,
    SendResult,
    SendStatus,
)

PLATFORM = "console"
HELP = """Console commands:
  :as NAME            speak as another member
  :dm                 the private chat with the bot
  :group NAME         a group chat (the bot joins it the first time)
  :mod on|off         the current member moderates the current group
  :press LABEL        press a button of the last message that had buttons
  :attach FILE        attach a file to the next message
  :time 2026-12-01T08:00-06:00   set the clock and run the scheduled work due by then
  :advance 90m|6h|2d  the same, relative
  :block on|off       the current member blocks the bot (private sends fail)
  :quit               leave"""

_DURATION = re.compile(r"^(\d+)\s*(m|min|h|d)$")


@dataclass
class Said:
    """One message the bot sent, as the console shows it."""

    to: str  # "Alex (private)" or "group recovery"
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    image: bytes | None = None
    document: Document | None = None

    def render(self) -> str:
        lines = [f"── to {self.to} " + "─" * max(0, 50 - len(self.to)), self.text]
        if self.image is not None:
            lines.append(f"[image: {len(self.image)} bytes PNG]")
        if self.document is not None:
            lines.append(f"[file: {self.document.filename}, {len(self.document.content)} bytes]")
        for row in self.buttons:
            lines.append("  " + "  ".join(f"[{b.label}]" for b in row))
        return "\n".join(lines)


def parse_duration(text: str) -> timedelta:
    m = _DURATION.match(text.strip().casefold())
    if not m:
        raise ValueError("use a duration such as 90m, 6h or 2d")
    n, unit = int(m.group(1)), m.group(2)
    return {
        "m": timedelta(minutes=n),
        "min": timedelta(minutes=n),
        "h": timedelta(hours=n),
        "d": timedelta(days=n),
    }[unit]


def split_command(text: str) -> tuple[str | None, str]:
    if not text.startswith("/") or len(text) < 2:
        return None, ""
    head, _, args = text[1:].partition(" ")
    return head.split("@", 1)[0].casefold(), args.strip()


@dataclass
class ConsoleState:
    member: str = "Alex"
    group: str | None = None  # None: the private chat
    moderators: set[tuple[str, str]] = field(default_factory=set)
    joined: set[str] = field(default_factory=set)
    blocked: set[str] = field(default_factory=set)
    attachment: Document | None = None
    last_buttons: tuple[tuple[Button, ...], ...] = ()
    last_message_id: str | None = None


class ConsoleAdapter:
    platform = PLATFORM

    def __init__(
        self,
        out: TextIO | None = None,
        clock: ManualClock | None = None,
        on_time: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.out = out
        self.clock = clock
        self.on_time = on_time  # runs the scheduled work after :time / :advance
        self.state = ConsoleState()
        self.said: list[Said] = []
        self._handler: Handler | None = None
        self._next_id = 0

    # -- the Adapter protocol ----------------------------------------------------------------
    async def start(self, handler: Handler) -> None:
        self._handler = handler

    async def stop(self) -> None:
        self._handler = None

    async def send(self, reply: Reply) -> SendResult:
        if reply.private:
            name = reply.member.display_name if reply.member else "?"
            user = reply.member.user_id if reply.member else ""
            if user in self.state.blocked:
                return SendResult(SendStatus.BLOCKED, detail="blocked by the member")
            to = f"{name} (private)"
        elif reply.chat.private:
            to = f"{reply.chat.title or reply.chat.chat_id.removeprefix('dm:')} (private)"
        else:
            to = f"group {reply.chat.title or reply.chat.chat_id}"
        said = Said(to, reply.text, reply.buttons, reply.image, reply.document)
        self.said.append(said)
        if reply.buttons:
            self.state.last_buttons = reply.buttons
        self._next_id += 1
        self.state.last_message_id = str(self._next_id)
        if self.out is not None:
            print(said.render(), file=self.out, flush=True)
        return SendResult(SendStatus.SENT, message_id=str(self._next_id))

    # -- driving it ----------------------------------------------------------------------------
    def _member(self) -> Member:
        name = self.state.member
        return Member(PLATFORM, name.casefold(), name)

    def _chat(self) -> ChatRef:
        if self.state.group is None:
            return ChatRef(
                PLATFORM,
                f"dm:{self.state.member.casefold()}",
                private=True,
                title=self.state.member,
            )
        return ChatRef(PLATFORM, self.state.group, private=False, title=self.state.group)

    async def push(self, line: str) -> list[Said]:
        """Feed one input line; return what the bot said in answer (and any scheduled sends)."""
        mark = len(self.said)
        line = line.rstrip("\n")
        if line.startswith(":"):
            await self._control(line[1:].strip())
        elif line.strip():
            await self._message(line.strip())
        return self.said[mark:]

    async def _deliver(self, event: Incoming) -> None:
        if self._handler is None:
            raise RuntimeError("the console adapter has not been started")
        private_failed = False
        for reply in await self._handler(event):
            if reply.notice and private_failed:
                continue
            if (
                reply.moderator_of is not None
                and reply.member is not None
                and (reply.member.user_id, reply.moderator_of) not in self.state.moderators
            ):
                continue  # not a moderator of that group (any more)
            result = await self.send(reply)
            private_failed = private_failed or (reply.private and not result.ok)

    async def _message(self, text: str) -> None:
        command, args = split_command(text)
        chat = self._chat()
        is_mod = (self.state.member.casefold(), chat.chat_id) in self.state.moderators
        attachment, self.state.attachment = self.state.attachment, None
        await self._deliver(
            Incoming(
                member=self._member(),
                chat=chat,
                text=text,
                command=command,
                args=args,
                is_moderator=is_mod and not chat.private,
                message_id=self.state.last_message_id,
                attachment=attachment,
            )
        )

    def _note(self, text: str) -> None:
        if self.out is not None:
            print(f"· {text}", file=self.out, flush=True)

    async def _control(self, line: str) -> None:
        verb, _, arg = line.partition(" ")
        verb, arg = verb.casefold(), arg.strip()
        if verb == "as" and arg:
            self.state.member = arg
            self._note(f"you are {arg}")
        elif verb == "dm":
            self.state.group = None
            self._note(f"private chat of {self.state.member} with the bot")
        elif verb == "group" and arg:
            self.state.group = arg
            self._note(f"group {arg}")
            if arg not in self.state.joined:
                self.state.joined.add(arg)
                await self._deliver(
                    Incoming(member=self._member(), chat=self._chat(), kind=EventKind.JOINED_GROUP)
                )
        elif verb == "mod" and arg in ("on", "off") and self.state.group is not None:
            key = (self.state.member.casefold(), self.state.group)
            (self.state.moderators.add if arg == "on" else self.state.moderators.discard)(key)
            self._note(f"{self.state.member} moderator of {self.state.group}: {arg}")
        elif verb == "press" and arg:
            await self._press(arg)
        elif verb == "attach" and arg:
            self._attach(Path(arg))
        elif verb == "block" and arg in ("on", "off"):
            user = self.state.member.casefold()
            (self.state.blocked.add if arg == "on" else self.state.blocked.discard)(user)
            self._note(
                f"{self.state.member} has {'blocked' if arg == 'on' else 'unblocked'} the bot"
            )
        elif verb in ("time", "advance") and arg:
            await self._move_time(verb, arg)
        elif verb in ("help", "?"):
            self._note(HELP)
        elif verb not in ("quit", "q", "exit"):
            self._note(f"unknown console command ':{verb}'. :help lists them.")

    async def _press(self, label: str) -> None:
        wanted = label.casefold()
        buttons = [b for row in self.state.last_buttons for b in row]
        match = next((b for b in buttons if b.label.casefold() == wanted), None) or next(
            (b for b in buttons if b.label.casefold().startswith(wanted)), None
        )
        if match is None or not match.data:
            labels = ", ".join(b.label for b in buttons) or "none"
            self._note(f"no button '{label}' (buttons: {labels})")
            return
        await self._deliver(
            Incoming(
                member=self._member(),
                chat=self._chat(),
                kind=EventKind.BUTTON,
                button=match.data,
                message_id=self.state.last_message_id,
                is_moderator=(self.state.member.casefold(), self._chat().chat_id)
                in self.state.moderators,
            )
        )

    def _attach(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._note(f"cannot read {path}: {exc.strerror}")
            return
        self.state.attachment = Document(path.name, data)
        self._note(f"attached {path.name} ({len(data)} bytes) to the next message")

    async def _move_time(self, verb: str, arg: str) -> None:
        if self.clock is None:
            self._note("this console runs on the real clock; :time needs the console's clock")
            return
        try:
            if verb == "time":
                when = datetime.fromisoformat(arg)
                if when.tzinfo is None:
                    raise ValueError("give a UTC offset, e.g. 2026-12-01T08:00-06:00")
                if when < self.clock.now():
                    raise ValueError("the clock only moves forward")
                self.clock.set(when)
            else:
                self.clock.advance(parse_duration(arg))
        except ValueError as exc:
            self._note(f"cannot set the time: {exc}")
            return
        self._note(f"time is now {self.clock.now().isoformat()}")
        if self.on_time is not None:
            await self.on_time()

    async def run_lines(self, lines: TextIO, echo: bool) -> None:
        """Read lines until EOF or :quit (a script when echo is True)."""
        for line in lines:
            if echo and self.out is not None and line.strip() and not line.startswith("#"):
                print(f"{self.state.member}> {line.rstrip()}", file=self.out, flush=True)
            if line.strip().startswith("#"):
                continue
            if line.strip().casefold() in (":quit", ":q", ":exit"):
                break
            await self.push(line)
