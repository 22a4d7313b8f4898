"""The internal app's building blocks: connection, queries, charts, locale strings."""
