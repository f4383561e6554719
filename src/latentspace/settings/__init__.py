"""The pipeline's settings: each declared once, and the schema, options and checks derived from it."""
