"""Tasks of the imports."""
