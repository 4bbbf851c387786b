"""First-order prices of the rules from the LP relaxation's duals (HiGHS).

Re-solving a large fleet once per rule is what exact constraint prices cost. The LP
relaxation of the same model (integer units made continuous) is solved once, and each rule's
row dual says how much the plan's cost would fall per unit of slack in that rule: per $1 of
budget, per $1 of spend a share cap lets through, per provider fewer required. It is a
first-order price of the relaxation, not a proven saving: reports label it as such.

The LP is read from the CP-SAT model itself (every linear constraint becomes a row, every
variable a column within its domain), so there is no second formulation to keep in step.
Constraints behind a literal other than a family's enforcement literal are left out, which only
loosens the relaxation.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import highspy

from advisor.candidates import CandidateSet
from advisor.solver.families import family_of
from advisor.solver.lagrange import LagrangeBound
from advisor.solver.model import _build, add_own_cuts, own_lower_bounds
from advisor.solver.variables import MILLI
from advisor.workload.models import Policy

INF = highspy.kHighsInf
LP_TIME_LIMIT_S = 60.0
"""Wall-clock limit of the LP (HiGHS); past it no first-order prices are given."""


@dataclass(frozen=True)
class FirstOrder:
    """A rule's LP dual price: dollars a month saved per `unit` of slack."""

    usd_per_unit: float
    unit: str


@dataclass(frozen=True)
class LpPrices:
    """The relaxation's optimum (milli-cents; None when HiGHS did not solve it) and each family's price."""

    objective_millicents: float | None
    prices: dict[str, FirstOrder]
    source: str = "the LP relaxation's duals"
    """Where the prices come from, as reports name it."""
    relaxation: str = "the relaxation (fractional instances)"
    """What `objective_millicents` is the optimum of, as reports name it."""


def lagrange_prices(lag: LagrangeBound, known_bound_millicents: int = 0) -> LpPrices:
    """The joint solve's Lagrangian prices of the rows over spend (budgets, share caps) as
    first-order prices: the duals of its master LP over whole ways to carry each workload, which
    the plan's solve has already computed (advisor.solver.lagrange). Rules that are no such row
    (min_providers) get none. The objective is the best bound known (the Lagrangian one, or the
    plan's own when stronger: workloads the exact search does not cover weaken the former)."""
    return LpPrices(float(max(lag.bound, known_bound_millicents)), _per_unit(lag.prices()),
                    source="the joint solve's Lagrangian prices (its master LP's duals)",
                    relaxation="the best bound known")


def first_order_prices(candidates: CandidateSet, policy: Policy, names: list[str],
                       time_limit_s: float = 10.0) -> LpPrices:
    """Each family's LP dual price (families with no single row, such as region losses, are left out).

    The LP carries the solver's cuts (no workload below its own optimum), without which the
    relaxation of integer units is loose and its duals say little.
    """
    workloads = sorted(candidates.options)
    mm, _ = _build(policy, candidates, workloads, {}, names)
    add_own_cuts(mm, own_lower_bounds(candidates, policy, workloads, names, {}, time_limit_s))
    by_literal = {lit.index: name for name, lit in mm.enforce.items()}
    proto = mm.m.proto
    h = silent_highs()
    h.setOptionValue("time_limit", LP_TIME_LIMIT_S)
    h.setOptionValue("threads", 1)
    for var in proto.variables:
        low, high = var.domain[0], var.domain[len(var.domain) - 1]  # the proto lists take no negative index
        h.addVar(float(low), float(high))
    enforced = set(by_literal)
    for index, c in enumerate(proto.objective.vars):
        h.changeColCost(c, float(proto.objective.coeffs[index]))
    rows: list[str | None] = []
    for c in proto.constraints:
        if not c.has_linear():
            continue
        literals = list(c.enforcement_literal)
        if any(lit not in enforced for lit in literals):
            continue  # optional in the model: leaving it out only loosens the relaxation
        low, high = c.linear.domain[0], c.linear.domain[len(c.linear.domain) - 1]
        h.addRow(_bound(low), _bound(high), len(c.linear.vars), list(c.linear.vars),
                 [float(x) for x in c.linear.coeffs])
        rows.append(by_literal[literals[0]] if literals else None)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return LpPrices(None, {})
    duals = h.getSolution().row_dual
    total: dict[str, float] = {}
    for name, dual in zip(rows, duals, strict=True):
        if name is not None:
            total[name] = total.get(name, 0.0) + abs(dual)
    return LpPrices(h.getInfo().objective_function_value, _per_unit(total))


def _per_unit(prices: dict[str, float]) -> dict[str, FirstOrder]:
    """Prices per model unit of each family's row (milli-cents) as dollars per the family's `lp_unit`;
    families without one are left out."""
    out = {}
    for name, price in prices.items():
        family = family_of(name)
        if family is not None and family.lp_scale:
            out[name] = FirstOrder(usd_per_unit=price * family.lp_scale / (100 * MILLI), unit=family.lp_unit)
    return out


def silent_highs() -> highspy.Highs:
    """A HiGHS instance that prints nothing: its constructor writes a banner to file descriptor 1,
    which is where the report goes when it is written to stdout."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)
    h.setOptionValue("output_flag", False)
    return h


def _bound(value: int) -> float:
    """A CP-SAT domain end as an LP bound (the int64 extremes stand for no bound)."""
    if value <= -(2**62):
        return -INF
    if value >= 2**62:
        return INF
    return float(value)
