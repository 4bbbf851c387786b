"""The CP-SAT placement model: one named constraint family per builder function."""

from advisor.solver.model import SolveResult, solve

__all__ = ["SolveResult", "solve"]
