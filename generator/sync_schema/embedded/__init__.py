"""The embedded stage: a throwaway PostgreSQL server built from the migrations folder."""
