"""The durable job queue kept in the database, its worker loop and its timers."""
