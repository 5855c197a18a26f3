"""Sober events: one-off community events with RSVPs, reminders and a calendar file."""
