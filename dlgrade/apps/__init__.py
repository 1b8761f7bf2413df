"""Command-line apps: one traitlets Application per phase, all under `dlgrade`."""
