"""The CP-SAT placement model: integer units of options per workload, one family object per rule."""

from advisor.solver.model import solve
from advisor.solver.result import Placement, SolveResult

__all__ = ["Placement", "SolveResult", "solve"]
