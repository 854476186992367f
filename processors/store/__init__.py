"""The DuckDB side: the analysts' schema, the changelog sink, and the read queries."""
