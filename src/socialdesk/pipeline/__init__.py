"""The ingest path: raw event → dedupe → contact → threading → persist → notify."""
