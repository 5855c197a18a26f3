"""Moderators' scheduled posts."""
