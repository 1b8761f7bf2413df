"""dlgrade: sandboxed, tamper-proof autograding for deep-learning courses on nbgrader."""

__version__ = "0.1.0"
