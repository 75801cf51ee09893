"""Use-cases that agents, the API and the CLI call; each writes its rows and events together."""
