"""The representation-learning competition (docs/COMPETITION.md)."""
