"""Durable sandbox state: SQLite (WAL) in the data directory. Never imports starlette."""
