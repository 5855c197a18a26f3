"""Service: roles with a weekly rota, sign-ups, reminders before a turn, and service shown in
a member's history when they choose."""
