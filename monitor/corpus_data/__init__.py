"""Package data: the labelled Semax demo corpus (see monitor.corpus)."""
