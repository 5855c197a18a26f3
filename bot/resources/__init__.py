"""The community's own resources: a directory moderators keep, members search and report,
old entries brought back for a check, CSV import and export."""
