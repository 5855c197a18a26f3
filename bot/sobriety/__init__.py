"""Clean-time counters: dates, milestones, setbacks kept kindly in history, celebrations."""
