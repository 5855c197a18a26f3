"""What the meetings feature answers to: its commands live in `commands.py` (schedule,
reminders, RSVPs), `now_commands.py` (/meetings now), `source_commands.py` (feed sources and
the shrink guard's Apply / Keep buttons) and `attendance.py` (the private attendance log)."""

from __future__ import annotations

from bot.kernel.router import ButtonRoute, Command, ConversationRoute, Routes, Where
from bot.meetings.attendance import attendance, attended
from bot.meetings.commands import ASKED_MEETING, add_reply, going, meeting_cmd, meetings_cmd, remind
from bot.meetings.source_commands import held_button
from bot.meetings.sources import HELD_BUTTON
from bot.meetings.suggest import suggest_meetings

ROUTES = Routes(
    commands=[
        Command(
            name="meetings",
            handler=meetings_cmd,
            help_key="meetings.help",
            public=True,
            private_args=frozenset({"now", "ics"}),
        ),
        Command(
            name="meeting",
            handler=meeting_cmd,
            help_key="meeting.help",
            suggest=suggest_meetings,
            takes_file=True,  # /meeting import with a feed file
        ),
        Command(name="remind", handler=remind, help_key="remind.help", suggest=suggest_meetings),
        Command(name="going", handler=going, help_key="going.help", suggest=suggest_meetings),
        Command(
            name="attended",
            handler=attended,
            suggest=suggest_meetings,
            help_key="attend.help_attended",
            where=Where.PRIVATE,
        ),
        Command(
            name="attendance",
            handler=attendance,
            help_key="attend.help_attendance",
            where=Where.PRIVATE,
        ),
    ],
    buttons=[ButtonRoute(HELD_BUTTON, held_button)],
    conversations=[ConversationRoute(ASKED_MEETING, add_reply)],
)
