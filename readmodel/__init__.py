"""The analysts' read model: what lands in DuckDB (`schema.sql`), how it is read and exported.

Both sides depend on it and it depends on neither: the sink (`processors/store/`) writes the
tables `schema.sql` declares; the CLI and the ingest API read them through `read`.
"""

from pathlib import Path

SCHEMA_SQL = (Path(__file__).parent / "schema.sql").read_text(encoding="utf-8")
