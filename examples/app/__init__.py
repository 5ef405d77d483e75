"""A small FastAPI service on the repo's committed schemas/: rows, models and enums in use."""
