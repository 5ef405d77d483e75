"""The source stage: where the schema comes from and how its catalog is read into the IR."""
