"""Storage: SQLAlchemy models, engine set-up, migrations and full-text search."""
