"""Ready-made search spaces. Copy one, change it, and pass it as `path/to/file.py:space`."""
