"""Pure rules and types: no I/O, no database, no HTTP."""
