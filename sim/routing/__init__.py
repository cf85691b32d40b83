"""Travel times on networks too large for all-pairs tables: searches on demand."""
