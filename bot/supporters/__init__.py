"""Family and friends: one-time invitations, item-by-item consent, gentle heads-ups read from
the store by a sweep of their own, and family resources from packaged, sourced data."""
