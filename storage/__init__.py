"""Persistence: engine and sessions, SQLModel tables, keyword-only queries, Alembic migrations."""
