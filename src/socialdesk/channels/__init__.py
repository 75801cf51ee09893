"""One module per platform: verify and parse webhooks, send messages. No business logic."""
