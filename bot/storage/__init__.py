"""The database: the SQLAlchemy models, sessions and engines, and the Alembic migrations."""
