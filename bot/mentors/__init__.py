"""Mentorship: volunteers past the community's threshold, requests, pairing with consent from both
sides, item-by-item sharing, weekly nudges and the temporary-mentor list."""
