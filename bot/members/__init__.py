"""A member's own set-up: welcome, help, settings, privacy, their data."""
