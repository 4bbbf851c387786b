"""The placement model's variables: counts of option units, load carried, and spend aggregates.

For workload w with demand streams s (advisor.demand) and options o:

    n[o]    integer units of option o bought (instances; a training run's instance set; an edge fleet)
    f[o,s]  load units of stream s that option o carries (only where o may serve s)

    sum_o f[o,s] = D[w,s]                                   every stream fully carried
    CAP * sum_s f[o,s] <= floor(CAP * capacity[o]) * n[o]   units carry their load (CAP = 1000)
    cost[o] = cc[o] n[o] + lc[o] sum_s f[o,s]               in milli-cents

cc[o] is the monthly cost of one unit, lc[o] the cost of one load unit of hourly-billed work
(batch and training on demand or spot bill the work done, not the instances held).
Spend aggregates (`spend(attribute, value)`, `total`) are defined once, for every family.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ortools.sat.python import cp_model

from advisor.candidates import CandidateSet, Option

MILLI = 1000
"""Money in the model is milli-cents: hourly-billed work splits into 1/1000 shares exactly."""
CAP_SCALE = 1000
"""Capacities are floored to 1/1000 of a load unit, so the model never over-states what a unit carries."""


MAX_SPEND = 2**62 // 20_000
"""Largest spend (milli-cents, about $2.3 billion a month) a spend variable holds: share caps
multiply spends by 10,000, and the sum of every option at its most overflows 64 bits on large
fleets (CP-SAT then rejects the model)."""


ROUTE_BUCKET_MS = 10.0
"""Tie-breaks compare round trips in steps of this size (finer steps only slow them down)."""


def rtt_bucket(ms: float) -> int:
    """A round trip in tie-break steps."""
    return round(ms / ROUTE_BUCKET_MS)


@dataclass(frozen=True)
class Coefficients:
    """Integer costs of one option: milli-cents per unit bought and per load unit carried."""

    per_unit: int
    per_load: int

    @classmethod
    def of(cls, o: Option, total_demand: int) -> Coefficients:
        return cls(round(o.count_cost_cents * MILLI), round(o.load_cost_cents * MILLI / max(1, total_demand)))


@dataclass(frozen=True)
class Rest:
    """The placements of the workloads outside a model, held fixed (the warm start that re-solves
    only the workloads the master LP splits): their spend and presence count in the coupling rows
    as constants."""

    spend: dict[tuple[str, str], int]  # (attribute, value) -> milli-cents, for provider, vendor and team
    total: int
    counted: int  # spend on the providers lock-in rules count
    presence: list[tuple[str, Option, int]]  # (workload, option, units bought or, work-billed, load carried)


NO_REST = Rest(spend={}, total=0, counted=0, presence=[])


class PlacementModel:
    """A CP-SAT model of how many units of which options carry each workload's demand."""

    def __init__(self, candidates: CandidateSet, workloads: list[str], options: dict[str, list[Option]],
                 counted: frozenset[str], ceiling: int | None = None, rest: Rest = NO_REST):
        """`ceiling`: the cost of a known plan, which no better plan exceeds (tighter spend domains);
        `rest`: the fixed placements of the workloads outside the model."""
        self.m = cp_model.CpModel()
        self.candidates = candidates
        self.workloads = workloads
        self.options = options
        self.counted = counted
        self.rest = rest
        self.n: dict[tuple[str, int], cp_model.IntVar] = {}
        self.f: dict[tuple[str, int, str], cp_model.IntVar] = {}
        self.coefficients: dict[tuple[str, int], Coefficients] = {}
        self.enforce: dict[str, cp_model.IntVar] = {}
        self._spend: dict[tuple[str, str], cp_model.IntVar] = {}
        self._counted_total: cp_model.IntVar | None = None
        upper = 0
        limit = MAX_SPEND if ceiling is None else min(ceiling, MAX_SPEND)
        for w in workloads:
            demand = candidates.demands[w]
            total_demand = sum(demand.values())
            for i, o in enumerate(options[w]):
                c = Coefficients.of(o, total_demand)
                self.coefficients[w, i] = c
                most = min(o.max_count, limit // c.per_unit) if c.per_unit else o.max_count  # no plan buys more
                self.n[w, i] = self.m.new_int_var(0, most, f"n[{w}#{i}]")
                for s in self.streams(w, o):
                    self.f[w, i, s] = self.m.new_int_var(0, demand[s], f"f[{w}#{i},{s}]")
            # every option at its most: a plan that mixes options may spend more than any one alone
            upper += sum(self.coefficients[w, i].per_unit * o.max_count + self.coefficients[w, i].per_load
                         * total_demand for i, o in enumerate(options[w]))
        self.upper = max(1, min(upper + rest.total, limit))
        self.total = self.m.new_int_var(0, self.upper, "total")
        self.m.add(self.total == self.cost_sum(lambda o: True) + rest.total)

    def streams(self, w: str, o: Option) -> list[str]:
        """The demand streams option `o` may carry."""
        demand = self.candidates.demands[w]
        return [s for s in demand if s in o.serves] if o.serves else list(demand)

    def load(self, w: str, i: int) -> cp_model.LinearExpr:
        return sum((self.f[w, i, s] for s in self.streams(w, self.options[w][i])), cp_model.LinearExpr.constant(0))

    def cost_sum(self, keep: Callable[[Option], bool]) -> cp_model.LinearExpr:
        variables: list[cp_model.IntVar] = []
        weights: list[int] = []
        for w in self.workloads:
            for i, o in enumerate(self.options[w]):
                if not keep(o):
                    continue
                c = self.coefficients[w, i]
                if c.per_unit:
                    variables.append(self.n[w, i])
                    weights.append(c.per_unit)
                if c.per_load:
                    for s in self.streams(w, o):
                        variables.append(self.f[w, i, s])
                        weights.append(c.per_load)
        return cp_model.LinearExpr.weighted_sum(variables, weights)

    def workload_cost(self, w: str, weights: list[int] | None = None) -> cp_model.LinearExpr:
        """What workload w's placements cost together; with `weights`, each option's cost times its
        weight (a Lagrangian cut, advisor.solver.lagrange)."""
        variables: list[cp_model.IntVar] = []
        coefficients: list[int] = []
        for i, o in enumerate(self.options[w]):
            c = self.coefficients[w, i]
            k = 1 if weights is None else weights[i]
            variables.append(self.n[w, i])
            coefficients.append(k * c.per_unit)
            for s in self.streams(w, o):
                variables.append(self.f[w, i, s])
                coefficients.append(k * c.per_load)
        return cp_model.LinearExpr.weighted_sum(variables, coefficients)

    def spend(self, attribute: str, value: str) -> cp_model.IntVar:
        """Aggregate spend of the options whose `attribute` equals `value`, defined once."""
        key = (attribute, value)
        if key not in self._spend:
            var = self.m.new_int_var(0, self.upper, f"spend[{attribute}={value}]")
            self.m.add(var == self.cost_sum(lambda o: getattr(o, attribute) == value) + self.rest.spend.get(key, 0))
            self._spend[key] = var
        return self._spend[key]

    def counted_total(self) -> cp_model.IntVar:
        """Spend on the providers lock-in rules count, defined once."""
        if self._counted_total is None:
            self._counted_total = self.m.new_int_var(0, self.upper, "spend[counted providers]")
            self.m.add(self._counted_total == self.cost_sum(lambda o: o.provider in self.counted) + self.rest.counted)
        return self._counted_total

    def presence(self, keep: Callable[[str, Option], bool]) -> cp_model.LinearExpr:
        """Positive exactly when an option `keep(workload, option)` selects is in the plan: units bought of
        per-unit-billed options (a standby replica counts), load carried by work-billed ones (their
        units cost nothing, so a unit count alone could "use" a provider that does no work)."""
        terms = []
        for w in self.workloads:
            for i, o in enumerate(self.options[w]):
                if keep(w, o):
                    terms.append(self.n[w, i] if self.coefficients[w, i].per_unit > 0 else self.load(w, i))
        fixed = sum(amount for w, o, amount in self.rest.presence if keep(w, o))
        return sum(terms, cp_model.LinearExpr.constant(fixed))

    def family(self, name: str) -> cp_model.IntVar:
        lit = self.m.new_bool_var(f"enforce[{name}]")
        self.enforce[name] = lit
        return lit
