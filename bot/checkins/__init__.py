"""Daily check-ins: the prompt at each member's local time, mood, cravings, notes, streaks,
progress charts and buddies."""
