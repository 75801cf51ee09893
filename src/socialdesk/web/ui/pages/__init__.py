"""Pages of the agent workspace."""
