"""Pages: read through selectors, write through services, decide through access."""
