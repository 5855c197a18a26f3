"""Meetings: the community's schedule, reminders, RSVPs, attendance, feed import and
calendar export."""
