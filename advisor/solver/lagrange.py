"""Lagrangian bounds for fleets that coupling rules tie together: proofs the LP relaxation cannot give.

CP-SAT's relaxation of the placement model makes integer units continuous, so it prices moving a
workload to another provider at that provider's fractional rate. With the cuts "no workload
below its own optimum" its bound stops at the sum of the own optima, while binding share caps
make the optimum dearer: large fleets ended with a gap of a few percent and no proof. Here the
rules that are rows over spend (budgets and share caps, `Family.spend_row`:
sum_o a_r(o) cost(o) <= rhs_r) move into the objective with prices lambda_r >= 0, and each
workload is solved alone, with integer units, at those prices:

    L(lambda) = sum_w L_w - sum_r lambda_r rhs_r
    L_w       = min over workload w's plans of sum_o W(o) cost(o),   W(o) = 1 + sum_r lambda_r a_r(o)

Every plan that meets the rows costs at least L(lambda): for it the added terms are <= 0.
The prices come from column generation. A master LP (HiGHS) mixes whole ways to carry each
workload (columns) under the rows; its row duals are the prices, and each workload's cheapest
way at those prices (an exact search, so each round also gives a valid bound) is the next
column, until none improves or the bound meets the master's optimum.
The bound is then used three ways (advisor.solver.model):
- as a proof: a known plan that costs no more than L(lambda) is optimal without a search;
- as an exact reduction (reduced-cost fixing): in a plan no dearer than a known one, workload w's
  weighted cost is at most L_w + slack, slack = S x known cost + sum_r m_r rhs_r - sum_v L_v,
  so options whose cheapest use costs more are in no such plan;
- as cuts, sum_o W(o) cost(o) >= L_w per workload, which carry the bound into CP-SAT.

Arithmetic is exact: prices are scaled by S and rounded down to integers m_r, so the weights
W(o) = S + sum_r m_r a_r(o) are integers, each L_w is the integer optimum of an exact search
(advisor.solver.alone), and S x cost >= sum_w L_w - sum_r m_r rhs_r holds for every plan that
meets the rows. Rounding the prices only weakens the bound; it never makes it wrong. A workload
with rules of its own that the exact search does not cover (regions, region loss, a replica
ceiling) gets the weaker L_w = (least weight of its options) x (its own optimum).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

import highspy

from advisor.candidates import CandidateSet, Option
from advisor.solver.alone import Chosen, solve_alone, within_reach
from advisor.solver.dominance import reduce_options
from advisor.solver.families import SpendRow
from advisor.solver.patterns import Pattern, option_costs, options_by_key

SCALE = 1 << 24
"""S: weights are S + sum_r m_r a_r(o); prices are resolved to 1/S of a cost unit."""
ROUNDS = 30
"""Column generation rounds at most (each solves every workload alone once, at that round's prices)."""
GAP_STOP = 1e-5
"""Rounds stop when the bound is this close (relative) to the master LP."""
PENALTY = 1e4
"""Master LP cost of one unit of a row's slack (dollars per scaled row unit): keeps it feasible."""
COST_SCALE = 1e-5
"""Master LP costs in dollars (the model's milli-cents are too large for well-scaled rows)."""

Group = tuple[str, str, str]
"""What a row's coefficient may read of an option: provider, vendor, team."""


def group_of(o: Option) -> Group:
    return (o.provider, o.vendor, o.team)


@dataclass(frozen=True)
class Column:
    """One way to carry one workload whole: its cost (milli-cents) and spend per group."""

    cost: int
    spend: tuple[tuple[Group, int], ...]
    pattern: Pattern = field(compare=False, hash=False)


@dataclass
class LagrangeBound:
    """Integer prices m_r of the rows (scaled by SCALE) and each workload's least weighted cost."""

    coefficients: _Coefficients
    multipliers: list[int]
    least: dict[str, int]
    columns: dict[str, list[Column]]
    searchable: dict[str, int | None] = field(default_factory=dict)
    """Per workload its min_replicas where the exact search covers it, else None."""
    favoured: dict[str, Pattern] = field(default_factory=dict)
    fractional: frozenset[str] = frozenset()  # workloads the master LP splits between columns
    """Per workload the column the master LP gives the largest share (a start for the search)."""
    row_names: list[str] = field(default_factory=list)
    """The family of each row, in the multipliers' order."""
    _weights: dict[Group, int] = field(default_factory=dict, repr=False)

    def prices(self) -> dict[str, float]:
        """Each row's price, m_r / S: model cost units (milli-cents) per unit of the row's slack."""
        return {name: m / SCALE for name, m in zip(self.row_names, self.multipliers, strict=True)}

    def weight(self, o: Option) -> int:
        """W(o) x S: the option's integer weight (by its provider, vendor and team)."""
        g = group_of(o)
        if g not in self._weights:
            self._weights[g] = _weight(self.multipliers, self.coefficients.of(o))
        return self._weights[g]

    def group_weight(self, g: Group) -> int:
        """The weight of the options of group `g` (one the coefficient table has read)."""
        if g not in self._weights:
            self._weights[g] = _weight(self.multipliers, self.coefficients.memo[g])
        return self._weights[g]

    @property
    def offset(self) -> int:
        return sum(m * row.rhs for m, row in zip(self.multipliers, self.coefficients.rows, strict=True))

    @property
    def bound(self) -> int:
        """Milli-cents every plan that meets the rows costs at least."""
        return -(-(sum(self.least.values()) - self.offset) // SCALE)

    def slack(self, known_cost: int) -> int:
        """How far above its L_w a workload's weighted cost may be in a plan costing at most `known_cost`."""
        return max(0, SCALE * known_cost + self.offset - sum(self.least.values()))


def lagrange_bound(candidates: CandidateSet, workloads: list[str], rows: list[SpendRow],
                   starts: dict[str, list[Pattern]], own_lower: dict[str, int],
                   searchable: dict[str, int | None]) -> LagrangeBound | None:
    """Prices for `rows` by column generation and the best exact bound found on the way.

    `starts` are ways to carry each workload whole (the first columns), `own_lower` each
    workload's own optimum, `searchable` its min_replicas where the exact search covers it
    (None: it has rules of its own the search does not cover). None when there is no row.
    Each round prices every workload exactly at the master's duals (rounded to integers), which
    gives a valid bound that round, and adds the ways that beat the master as columns.
    """
    if not rows:
        return None
    coefficient = _Coefficients(rows)
    for w in workloads:  # every group's coefficients, before the master scales its rows by them
        for o in candidates.options[w]:
            coefficient.of(o)
    # a way cheaper than the workload's own optimum breaks a rule of its own (a whole pattern
    # that ignores min_regions, say): as a column it would only weaken the prices
    columns = {w: [c for c in _unique(_column(candidates, w, p) for p in starts[w]) if c.cost >= own_lower[w]]
               for w in workloads}
    master = _Master(workloads, rows, coefficient)
    for w in workloads:
        for c in columns[w]:
            master.add(w, c)
    best: LagrangeBound | None = None
    favoured: dict[str, Pattern] = {}
    fractional: frozenset[str] = frozenset()
    for _ in range(ROUNDS):
        solved = master.solve()
        if solved is None:
            break
        lambdas, sigma, objective = solved
        favoured, fractional = master.favoured(columns)  # before this round's columns join the LP
        bound = LagrangeBound(coefficients=coefficient, multipliers=_integer_prices(lambdas, coefficient), least={},
                              columns=columns, searchable=searchable)
        added = 0
        for w in workloads:
            bound.least[w], way = _least(candidates, w, bound, own_lower[w], searchable[w], columns[w])
            if way is not None and way not in columns[w] and \
                    COST_SCALE * bound.least[w] / SCALE < sigma[w] - 1e-9 * max(1.0, abs(sigma[w])):
                columns[w].append(way)
                master.add(w, way)
                added += 1
        if best is None or bound.bound > best.bound:
            best = bound
        if not added or objective - COST_SCALE * best.bound <= GAP_STOP * abs(objective):
            break
    if best is not None:
        best.favoured, best.fractional = favoured, fractional
    return best


class _Coefficients:
    """Row coefficients per group, read once per group."""

    def __init__(self, rows: list[SpendRow]):
        self.rows = rows
        self.memo: dict[Group, tuple[int, ...]] = {}

    def of(self, o: Option) -> tuple[int, ...]:
        g = group_of(o)
        if g not in self.memo:
            self.memo[g] = tuple(row.coefficient(o) for row in self.rows)
        return self.memo[g]

    def activity(self, c: Column) -> list[int]:
        """Each row's left-hand side for the column."""
        out = [0] * len(self.rows)
        for g, spent in c.spend:
            for r, a in enumerate(self.memo[g]):
                out[r] += a * spent
        return out


def _unique(columns: Iterable[Column]) -> list[Column]:
    out: list[Column] = []
    for c in columns:
        if c not in out:
            out.append(c)
    return out


def _column(candidates: CandidateSet, w: str, pattern: Pattern) -> Column:
    """The column of a pattern; under a traffic profile its hourly units at the quieter levels are
    patterns.pattern_running's (without them a burst fleet would cost its peak hours only)."""
    by_key = options_by_key(candidates, w)
    spend: dict[Group, int] = {}
    for key, cost in option_costs(candidates, w, pattern).items():
        g = group_of(by_key[key])
        spend[g] = spend.get(g, 0) + cost
    return Column(cost=sum(spend.values()), spend=tuple(sorted(spend.items())), pattern=pattern)


def _search(options: list[Option], demand: dict[str, int], min_units: int, weights: list[int],
            budget: float | None) -> tuple[Chosen | None, list[Option]]:
    """The exact search of advisor.solver.alone on the options that can matter (within reach of
    the budget, undominated at fixed prices), and those options; None when it finds nothing."""
    weight = dict(zip(map(id, options), weights, strict=True))
    near = within_reach(options, demand, budget, min_units=min_units, weights=weights)
    near = reduce_options(near, frozenset({"provider_share", "vendor_share"}), priced=True)
    chosen = solve_alone(near, demand, min_units, [weight[id(o)] for o in near])
    return (chosen if chosen is not None and chosen.feasible else None), near


def _from_chosen(candidates: CandidateSet, w: str, options: list[Option], units: dict[int, int],
                 load: dict[tuple[int, str], int]) -> Column:
    pattern: Pattern = {}
    for i, o in enumerate(options):
        carried = {s: v for (j, s), v in load.items() if j == i and v}
        if units.get(i) or carried:
            pattern[o.key] = (units.get(i, 0), carried)
    return _column(candidates, w, pattern)


def _weight(multipliers: list[int], coefficients: tuple[int, ...]) -> int:
    """S + sum_r m_r a_r: the integer weight of a group with these row coefficients."""
    return SCALE + sum(m * a for m, a in zip(multipliers, coefficients, strict=True) if m)


def _integer_prices(lambdas: list[float], coefficient: _Coefficients) -> list[int]:
    """m_r = floor(S lambda_r), shrunk until every group's weight is positive (a negative weight
    would make buying idle units pay in the subproblem)."""
    multipliers = [max(0, math.floor(SCALE * lam)) for lam in lambdas]
    for _ in range(64):
        if all(_weight(multipliers, coefficients) > 0 for coefficients in coefficient.memo.values()):
            return multipliers
        multipliers = [m // 2 for m in multipliers]
    return [0] * len(lambdas)


def _least(candidates: CandidateSet, w: str, bound: LagrangeBound, own_lower: int, min_units: int | None,
           known: list[Column]) -> tuple[int, Column | None]:
    """L_w, workload w's least weighted cost (exact where the search covers it), and the way to
    carry w that attains it."""
    options = _undominated(candidates, w, min_units)
    weights = [bound.weight(o) for o in options]
    fallback = min(weights) * own_lower if weights else 0
    if min_units is None:
        return fallback, None
    # a known way to carry w is a plan of w: its weighted cost bounds the search
    costs = [sum(bound.group_weight(g) * spent for g, spent in c.spend) for c in known]
    chosen, near = _search(options, candidates.demands[w], min_units, weights, min(costs) if costs else None)
    if chosen is None:
        return fallback, None
    return max(fallback, chosen.cost), _from_chosen(candidates, w, near, chosen.units, chosen.load)


def _undominated(candidates: CandidateSet, w: str, min_units: int | None) -> list[Option]:
    """Workload w's options that no cheaper one of the same provider and vendor dominates: at
    prices per provider and vendor the others are never needed (computed once per workload)."""
    if min_units is None:
        return candidates.options[w]
    memo = ("undominated", w, min_units)
    if memo not in candidates.solved:
        near = within_reach(candidates.options[w], candidates.demands[w], math.inf, min_units=min_units)
        candidates.solved[memo] = reduce_options(near, frozenset({"provider_share", "vendor_share"}), priced=True)
    options: list[Option] = candidates.solved[memo]
    return options


class _Master:
    """The master LP: per workload a convex mix of its columns, under the rows (with penalised slack)."""

    def __init__(self, workloads: list[str], rows: list[SpendRow], coefficient: _Coefficients):
        from advisor.solver.lp import silent_highs

        self.h = silent_highs()
        self.h.setOptionValue("threads", 1)
        self.coefficient = coefficient
        self.rows = rows
        self.workloads = workloads
        self.row_scale: list[float] = []
        self.index = {w: len(rows) + k for k, w in enumerate(workloads)}
        self.columns: dict[str, list[int]] = {w: [] for w in workloads}  # LP column indices, in add order
        self.count = 0
        for r, row in enumerate(rows):
            biggest = max((abs(v[r]) for v in coefficient.memo.values()), default=1) or 1
            self.row_scale.append(COST_SCALE / biggest)
            self.h.addRow(-highspy.kHighsInf, row.rhs * self.row_scale[r], 0, [], [])
            self.h.addCol(PENALTY, 0.0, highspy.kHighsInf, 1, [r], [-1.0])  # slack of the row
            self.count += 1
        for _ in workloads:
            self.h.addRow(1.0, 1.0, 0, [], [])

    def add(self, w: str, c: Column) -> None:
        activity = self.coefficient.activity(c)
        indices = [r for r, a in enumerate(activity) if a] + [self.index[w]]
        values = [activity[r] * self.row_scale[r] for r in indices[:-1]] + [1.0]
        self.h.addCol(COST_SCALE * c.cost, 0.0, highspy.kHighsInf, len(indices), indices, values)
        self.columns[w].append(self.count)
        self.count += 1

    def favoured(self, columns: dict[str, list[Column]]) -> tuple[dict[str, Pattern], frozenset[str]]:
        """Per workload its column with the largest value in the last LP solution, and the
        workloads whose largest value is below one (the LP splits them)."""
        values = self.h.getSolution().col_value
        out = {}
        split = set()
        for w in self.workloads:
            mine = self.columns[w]
            if mine:
                k = max(range(len(mine)), key=lambda j: (values[mine[j]], -j))
                out[w] = columns[w][k].pattern
                if values[mine[k]] < 1 - 1e-6:
                    split.add(w)
        return out, frozenset(split)

    def solve(self) -> tuple[list[float], dict[str, float], float] | None:
        """Real prices per row (per model unit of the row), each workload's convexity dual and the
        LP's objective (dollars)."""
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        duals = self.h.getSolution().row_dual
        lambdas = [max(0.0, -duals[r]) * self.row_scale[r] / COST_SCALE for r in range(len(self.rows))]
        return lambdas, {w: duals[i] for w, i in self.index.items()}, self.h.getInfo().objective_function_value
