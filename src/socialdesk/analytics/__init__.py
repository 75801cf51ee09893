"""Measures computed from stored messages and events (definitions in design.md)."""
