"""Data tables (TSV) read by the pure processors; edit them, not the code."""
