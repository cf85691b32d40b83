"""Run directories (the source of truth) and DuckDB queries across them."""
