"""Crisis support: detection, helplines by country, and the reply that reaches every person."""
