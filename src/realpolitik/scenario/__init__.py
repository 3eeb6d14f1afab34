"""Crisis scenarios: the file format, its validation, and its expression language."""
