"""The console adapter: try Harbor in a terminal, and drive it from tests and scripts.

Each input line is a message from the current member in the current chat; lines starting
with ":" control the console (see HELP). Like errbot's test backend, `push()` sends a line and
returns what the bot said, so tests read as conversations.

By default the console behaves like a forgiving platform (the bot may write to anyone
privately). `telegram_like=True` makes it behave like Telegram (a member must open the
private chat first; deep links continue there) and `discord_like=True` like Discord
(commands are interactions answered so only the member sees them), so the kernel's
delivery rules can be seen, and tested, without a network.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TextIO

from bot.kernel.clock import ManualClock
from bot.kernel.ports import Capabilities, Inbox, Limits
from bot.kernel.text import clean_text
from bot.kernel.types import (
    Buttons,
    ChatRef,
    Document,
    EventKind,
    Form,
    Incoming,
    Member,
    Reply,
    SendResult,
    SendStatus,
)

PLATFORM = "console"
MENTION = "@harbor"
LINK = "console://start/"
HELP = """Console commands:
  :as NAME            speak as another member
  :dm                 the private chat with the bot
  :group NAME         a group chat (the bot joins it the first time)
  :mod on|off         the current member moderates the current group
  :press LABEL        press a button of the last message that had buttons
  :attach FILE        attach a file to the next message
  :form TEXT          type TEXT into the private form the bot just opened, and send it
  :time 2026-12-01T08:00-06:00   set the clock and run the scheduled work due by then
                      (also :time tomorrow 08:00, :time 18:30)
  :advance 90m|6h|2d  the same, relative
  :block on|off       the current member blocks the bot (private sends fail)
  :quit               leave"""

_DURATION = re.compile(r"^(\d+)\s*(m|min|h|d)$")


@dataclass
class Said:
    """One message the bot sent, as the console shows it."""

    to: str  # "Alex (private)", "group recovery" or "Alex (only you, in recovery)"
    text: str
    buttons: Buttons = ()
    image: bytes | None = None
    document: Document | None = None
    form: Form | None = None  # a private form opened (only the member sees it)
    image_alt: str = ""

    def render(self) -> str:
        if self.form is not None:
            head = f"── to {self.to} " + "─" * max(0, 50 - len(self.to))
            return f"{head}\n[form: {self.form.title} | {self.form.label}] (answer with :form TEXT)"
        lines = [f"── to {self.to} " + "─" * max(0, 50 - len(self.to)), self.text]
        if self.image is not None:
            alt = f": {self.image_alt}" if self.image_alt else ""
            lines.append(f"[image: {len(self.image)} bytes PNG{alt}]")
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


def parse_when(text: str, now: datetime) -> datetime:
    """An ISO time with its offset, or a friendly form in the clock's zone: "tomorrow",
    "tomorrow 08:00", "18:30" (today)."""
    words = text.strip().casefold().split()
    if (words and words[0] in ("today", "tomorrow")) or (
        len(words) == 1 and ":" in words[0] and "-" not in words[0]
    ):
        day = now.date() + timedelta(days=1 if words and words[0] == "tomorrow" else 0)
        clock = next((w for w in words if ":" in w), "00:00" if words[0] == "tomorrow" else "")
        hours, _, minutes = clock.partition(":")
        if not (hours.isdigit() and minutes.isdigit()):
            raise ValueError("use 2026-12-01T08:00-06:00, tomorrow 08:00 or 18:30")
        return now.replace(
            year=day.year,
            month=day.month,
            day=day.day,
            hour=int(hours),
            minute=int(minutes),
            second=0,
            microsecond=0,
        )
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError("use 2026-12-01T08:00-06:00, tomorrow 08:00 or 18:30") from None
    if when.tzinfo is None:
        raise ValueError("give a UTC offset, e.g. 2026-12-01T08:00-06:00")
    return when


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
    opened_private: set[str] = field(default_factory=set)  # telegram_like: who started the bot
    attachment: Document | None = None
    last_buttons: Buttons = ()
    # Whose private chat the last buttons were shown in (None: a group's): a press comes
    # from the chat that showed the button, as on a real platform.
    last_buttons_private_to: str | None = None
    last_buttons_message_id: str | None = None
    # What each member's private chat last showed, (buttons, message id): a member can
    # still press a button in their private chat after others were written to.
    private_buttons: dict[str, tuple[Buttons, str | None]] = field(default_factory=dict)
    last_message_id: str | None = None
    # discord_like: the private form each member has open, and the chat it was opened from.
    open_forms: dict[str, tuple[Form, ChatRef]] = field(default_factory=dict)


class ConsoleAdapter:
    platform = PLATFORM
    limits = Limits(per_second=0.0, max_text=100_000)

    def __init__(
        self,
        out: TextIO | None = None,
        clock: ManualClock | None = None,
        on_time: Callable[[], Awaitable[None]] | None = None,
        *,
        telegram_like: bool = False,
        discord_like: bool = False,
    ) -> None:
        self.out = out
        self.clock = clock
        self.on_time = on_time  # runs the scheduled work after :time / :advance
        self.telegram_like = telegram_like
        self.capabilities = Capabilities(
            ephemeral=discord_like, dm_first=not telegram_like, forms=discord_like
        )
        self.state = ConsoleState()
        self.said: list[Said] = []
        self._inbox: Inbox | None = None
        self._next_id = 0

    # -- the Adapter verbs -------------------------------------------------------------------
    async def start(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def stop(self) -> None:
        self._inbox = None

    async def send(self, reply: Reply) -> SendResult:
        if reply.private:
            name = reply.member.display_name if reply.member else "?"
            user = reply.member.user_id if reply.member else ""
            if user in self.state.blocked:
                return SendResult(SendStatus.BLOCKED, detail="blocked by the member")
            if not self.capabilities.dm_first and user not in self.state.opened_private:
                return SendResult(SendStatus.NO_PRIVATE_CHAT, detail="no private chat yet")
            return self._say(f"{name} (private)", reply, user)
        if reply.chat.private:
            return self._say(
                f"{reply.chat.title or reply.chat.chat_id.removeprefix('dm:')} (private)",
                reply,
                reply.chat.chat_id.removeprefix("dm:"),
            )
        return self._say(f"group {reply.chat.title or reply.chat.chat_id}", reply)

    async def answer(self, event: Incoming, reply: Reply, *, ephemeral: bool) -> SendResult:
        if reply.form is not None:
            if event.kind is EventKind.FORM:  # a form's answer can't open another form
                return SendResult(SendStatus.REJECTED, detail="a form cannot open a form")
            self.state.open_forms[event.member.user_id] = (reply.form, event.chat)
            return self._say(f"{event.member.display_name} (only you)", reply)
        if ephemeral:
            where = event.chat.title or event.chat.chat_id
            return self._say(f"{event.member.display_name} (only you, in {where})", reply)
        return await self.send(reply)

    async def is_moderator(self, community_id: str, user_id: str) -> bool:
        return (user_id, community_id) in self.state.moderators

    def private_link(self, payload: str) -> str | None:
        return f"{LINK}{payload}" if self.telegram_like else None

    def _say(self, to: str, reply: Reply, private_to: str | None = None) -> SendResult:
        said = Said(
            to, reply.text, reply.buttons, reply.image, reply.document, reply.form, reply.image_alt
        )
        self.said.append(said)
        self._next_id += 1
        self.state.last_message_id = str(self._next_id)
        if reply.buttons:
            self.state.last_buttons = reply.buttons
            self.state.last_buttons_message_id = self.state.last_message_id
            self.state.last_buttons_private_to = private_to
            if private_to is not None:
                shown = (reply.buttons, self.state.last_message_id)
                self.state.private_buttons[private_to] = shown
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

    def _is_mod(self) -> bool:
        chat = self._chat()
        return (
            not chat.private
            and (self.state.member.casefold(), chat.chat_id) in self.state.moderators
        )

    async def push(self, line: str) -> list[Said]:
        """Feed one input line; return what the bot said in answer (and any scheduled sends)."""
        mark = len(self.said)
        line = line.rstrip("\n")
        if line.startswith(":"):
            await self._control(line[1:].strip())
        elif line.strip():
            await self._message(clean_text(line.strip()))
        return self.said[mark:]

    async def _deliver(self, event: Incoming) -> None:
        if self._inbox is None:
            raise RuntimeError("the console adapter has not been started")
        await self._inbox.handle(event)

    async def _message(self, text: str) -> None:
        command, args = split_command(text)
        chat = self._chat()
        if chat.private:
            self.state.opened_private.add(self.state.member.casefold())
        attachment, self.state.attachment = self.state.attachment, None
        interactive = self.capabilities.ephemeral and command is not None
        self._next_id += 1
        await self._deliver(
            Incoming(
                member=self._member(),
                chat=chat,
                text=text,
                command=command,
                args=args,
                is_moderator=self._is_mod(),
                message_id=self.state.last_message_id,
                attachment=attachment,
                interaction=f"i{self._next_id}" if interactive else None,
                # "/cmd@harbor" or "@harbor" in the text: the bot is addressed directly.
                mentioned=MENTION in text.casefold(),
            )
        )

    def _note(self, text: str) -> None:
        if self.out is not None:
            print(f"· {text}", file=self.out, flush=True)

    async def _control(self, line: str) -> None:
        verb, _, arg = line.partition(" ")
        verb, arg = verb.casefold(), arg.strip()
        if verb != "attach":  # a file's path is the file system's, whatever its bytes
            # What a terminal or a script hands over may hold lone surrogates (Python reads
            # undecodable bytes as them): names and texts are cleaned like any platform's.
            arg = clean_text(arg)
        needs_arg = {
            "as": "a name: :as Sam",
            "group": "a name: :group recovery",
            "press": "a button label: :press Yes",
            "attach": "a file: :attach feed.json",
            "form": "the text to send: :form my reason",
            "time": "a time: :time 2026-12-01T08:00-06:00 or :time tomorrow 08:00",
            "advance": "a duration: :advance 90m, 6h or 2d",
        }
        if verb in needs_arg and not arg:
            self._note(f":{verb} needs {needs_arg[verb]}")
        elif verb == "as":
            self.state.member = arg
            self._note(f"you are {arg}")
        elif verb == "dm":
            self.state.group = None
            self._note(f"private chat of {self.state.member} with the bot")
        elif verb == "group":
            await self._join(arg)
        elif verb == "mod":
            self._mod(arg)
        elif verb == "press":
            await self._press(arg)
        elif verb == "attach":
            self._attach(Path(arg))
        elif verb == "form":
            await self._submit_form(arg)
        elif verb == "block" and arg in ("on", "off"):
            await self._block(arg == "on")
        elif verb in ("time", "advance"):
            await self._move_time(verb, arg)
        elif verb in ("help", "?"):
            self._note(HELP)
        elif verb not in ("quit", "q", "exit"):
            self._note(f"unknown console command ':{verb}'. :help lists them.")

    async def _join(self, name: str) -> None:
        self.state.group = name
        self._note(f"group {name}")
        if name not in self.state.joined:
            self.state.joined.add(name)
            await self._deliver(
                Incoming(member=self._member(), chat=self._chat(), kind=EventKind.JOINED_GROUP)
            )

    def _mod(self, arg: str) -> None:
        if self.state.group is None:
            self._note(":mod works in a group: :group NAME first")
            return
        if arg not in ("on", "off"):
            self._note(":mod needs on or off")
            return
        key = (self.state.member.casefold(), self.state.group)
        (self.state.moderators.add if arg == "on" else self.state.moderators.discard)(key)
        self._note(f"{self.state.member} moderator of {self.state.group}: {arg}")

    async def _block(self, on: bool) -> None:
        user = self.state.member.casefold()
        (self.state.blocked.add if on else self.state.blocked.discard)(user)
        self._note(f"{self.state.member} has {'blocked' if on else 'unblocked'} the bot")
        chat = ChatRef(PLATFORM, f"dm:{user}", private=True, title=self.state.member)
        kind = EventKind.BLOCKED if on else EventKind.UNBLOCKED
        await self._deliver(Incoming(member=self._member(), chat=chat, kind=kind))

    async def _press(self, label: str) -> None:
        wanted = label.casefold()
        me = self.state.member.casefold()
        if self.state.group is None and me in self.state.private_buttons:
            # In the private chat: the buttons that chat last showed, whatever came since.
            shown, shown_id = self.state.private_buttons[me]
            self.state.last_buttons, self.state.last_buttons_private_to = shown, me
            self.state.last_buttons_message_id = shown_id
        buttons = [b for row in self.state.last_buttons for b in row]
        match = next((b for b in buttons if b.label.casefold() == wanted), None) or next(
            (b for b in buttons if b.label.casefold().startswith(wanted)), None
        )
        if match is not None and match.url and match.url.startswith(LINK):
            # A deep link: it opens the private chat and sends /start with its payload.
            self.state.group = None
            self._note(f"opened the private chat of {self.state.member} with the bot")
            await self._message(f"/start {match.url.removeprefix(LINK)}")
            return
        if match is None or not match.data:
            labels = ", ".join(b.label for b in buttons) or "none"
            self._note(f"no button '{label}' (buttons: {labels})")
            return
        self._next_id += 1
        chat = self._chat()
        if self.state.last_buttons_private_to == me and not chat.private:
            # The buttons were in the member's private chat: that is where they press them.
            chat = ChatRef(PLATFORM, f"dm:{me}", private=True, title=self.state.member)
        await self._deliver(
            Incoming(
                member=self._member(),
                chat=chat,
                kind=EventKind.BUTTON,
                button=match.data,
                message_id=self.state.last_buttons_message_id or self.state.last_message_id,
                is_moderator=self._is_mod() and not chat.private,
                interaction=f"i{self._next_id}" if self.capabilities.ephemeral else None,
            )
        )

    async def _submit_form(self, text: str) -> None:
        """Send the member's open private form, as Discord does when they press Submit."""
        opened = self.state.open_forms.pop(self.state.member.casefold(), None)
        if opened is None:
            self._note("no form is open: a form opens from a command or button")
            return
        form, chat = opened
        if len(text) > form.max_length:
            self._note(f"the form takes at most {form.max_length} characters")
            self.state.open_forms[self.state.member.casefold()] = opened
            return
        self._next_id += 1
        await self._deliver(
            Incoming(
                member=self._member(),
                chat=chat,
                kind=EventKind.FORM,
                button=form.data,
                text=text,
                is_moderator=self._is_mod() and not chat.private,
                interaction=f"i{self._next_id}",
            )
        )

    def _attach(self, path: Path) -> None:
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._note(f"cannot read {path}: {exc.strerror}")
            return
        self.state.attachment = Document(clean_text(path.name), data)
        self._note(f"attached {path.name} ({len(data)} bytes) to the next message")

    async def _move_time(self, verb: str, arg: str) -> None:
        if self.clock is None:
            self._note("this console runs on the real clock; :time needs the console's clock")
            return
        try:
            if verb == "time":
                when = parse_when(arg, self.clock.now())
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
