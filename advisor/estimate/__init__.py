"""Performance estimates: does a model fit an offering, how many devices, how fast.

Each workload kind has its own sizing function; all return a `Sizing` or raise `Unfit` with
the rule that failed, so the candidates stage can explain every option it rules out.
"""

from advisor.estimate.sizing import Sizing, Unfit, size

__all__ = ["Sizing", "Unfit", "size"]
