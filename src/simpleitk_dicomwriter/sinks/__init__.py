"""Where a finished series goes: a directory (atomic publish)."""
