"""Small pure helpers that several features share: dates, clock times, time zones, parsing."""
