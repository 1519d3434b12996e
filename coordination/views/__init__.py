"""The coordination pages, one module per feature: residents, notes, handover, search."""
