"""Guided questions in the private chat, one answer at a time: the step-by-step forms of
/mentor volunteer, /resources add, /event add. Each step checks its answer (a bad one is
explained and asked again, nothing is kept); "-" skips an optional step; "cancel" ends the
form with nothing saved. Answers live in the member's conversation state until the last
step, when the form's `finish` gets them all."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bot.common.dates import InputError

if TYPE_CHECKING:  # the kernel's context; only for types, so common stays import-light
    from bot.kernel.context import Context

CANCEL_WORDS = frozenset({"cancel", "stop", "quit"})
SKIP = "-"

# (answer, the form's data) -> the value to keep; raises InputError(key) for a bad answer.
Parse = Callable[[str, Mapping[str, Any]], str]
Finish = Callable[["Context", dict[str, Any], dict[str, str]], Awaitable[None]]


def keep(text: str, data: Mapping[str, Any]) -> str:
    return text


def limited(most: int) -> Parse:
    """Any text up to `most` characters."""

    def parse(text: str, data: Mapping[str, Any]) -> str:
        if len(text) > most:
            raise InputError("guided.too_long", text)
        return text

    return parse


class LineError(ValueError):
    """A one-line form that doesn't fit: `key` names the problem with the field `value`
    ("" when the number of fields is wrong: show the form's usage)."""

    def __init__(self, key: str = "", value: str = "") -> None:
        super().__init__(key)
        self.key = key
        self.value = value


@dataclass(frozen=True, slots=True)
class Step:
    name: str
    question: str  # catalog key; formatted with the form's data["ask"]
    parse: Parse = keep
    optional: bool = False


class Form:
    def __init__(
        self,
        state: str,
        steps: Sequence[Step],
        finish: Finish,
        *,
        ttl_seconds: int = 30 * 60,
    ) -> None:
        self.state = state
        self.steps = tuple(steps)
        self.finish = finish
        self.ttl_seconds = ttl_seconds

    def from_line(self, text: str, data: Mapping[str, Any]) -> dict[str, str]:
        """The same answers typed on one line, 'a | b | c': optional fields at the end may
        be left out, and "-" or nothing skips an optional one. Raises LineError."""
        parts = [p.strip() for p in text.split("|")]
        if len(parts) > len(self.steps):
            raise LineError()
        parts += [""] * (len(self.steps) - len(parts))
        answers: dict[str, str] = {}
        for step, part in zip(self.steps, parts, strict=True):
            if part in ("", SKIP):
                if not step.optional:
                    raise LineError() if not part else LineError("guided.required", part)
                answers[step.name] = ""
                continue
            try:
                answers[step.name] = step.parse(part, data)
            except InputError as exc:
                raise LineError(exc.key, part) from None
        return answers

    async def start(self, ctx: Context, data: dict[str, Any], intro: str = "") -> None:
        await ctx.store.conversations.set(
            ctx.member.id,
            self.state,
            {"data": data, "answers": {}},
            ctx.now_ts() + self.ttl_seconds,
        )
        question = self._question(ctx, self.steps[0], data)
        ctx.whisper(f"{intro}\n\n{question}" if intro else question)

    def _question(self, ctx: Context, step: Step, data: Mapping[str, Any]) -> str:
        text = ctx.text(step.question, **data.get("ask", {}))
        return text + ("\n" + ctx.text("guided.skip") if step.optional else "")

    async def reply(self, ctx: Context) -> bool:
        """The answer to the current step (a ConversationFn)."""
        convo = await ctx.store.conversations.get(ctx.member.id, ctx.now_ts())
        if convo is None or convo.state != self.state:
            return False
        data: dict[str, Any] = dict(convo.data.get("data", {}))
        answers: dict[str, str] = dict(convo.data.get("answers", {}))
        text = ctx.event.text.strip()
        if text.casefold() in CANCEL_WORDS:
            await ctx.store.conversations.clear(ctx.member.id)
            ctx.whisper(ctx.text("guided.cancelled"))
            return True
        step = self.steps[len(answers)]
        if text == SKIP and step.optional:
            answers[step.name] = ""
        elif text == SKIP:
            ctx.whisper(ctx.text("guided.required") + "\n\n" + self._question(ctx, step, data))
            return True
        else:
            try:
                answers[step.name] = step.parse(text, data)
            except InputError as exc:
                ask = data.get("ask", {})
                problem = ctx.text(exc.key, value=text[:40], **ask)
                ctx.whisper(problem + "\n\n" + self._question(ctx, step, data))
                return True
        if len(answers) < len(self.steps):
            await ctx.store.conversations.set(
                ctx.member.id,
                self.state,
                {"data": data, "answers": answers},
                ctx.now_ts() + self.ttl_seconds,
            )
            ctx.whisper(self._question(ctx, self.steps[len(answers)], data))
            return True
        await ctx.store.conversations.clear(ctx.member.id)
        await self.finish(ctx, data, answers)
        return True
