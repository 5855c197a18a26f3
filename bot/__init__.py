"""Harbor's platform-neutral core: it never imports telegram or discord."""
