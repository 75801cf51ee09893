"""Importers: history from files, through the same ingest pipeline as live traffic."""
