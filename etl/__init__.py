"""ETL: channel exports in the landing zone -> a checked DuckDB warehouse, swapped in atomically."""
