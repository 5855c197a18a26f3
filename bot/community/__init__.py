"""Community settings that moderators change."""
