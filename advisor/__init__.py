"""advisor: explained placement plans for AI workloads."""

__version__ = "0.1.0"
