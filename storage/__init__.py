"""Storage: the only package that speaks SQL. The core sees the typed interface in
`storage.base`; `storage.sqlite` is the embedded default."""
