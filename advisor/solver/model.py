"""Choose one option per workload at least cost, under budget and lock-in constraints.

Built like OR-Tools' CP-SAT samples: each constraint family is added by its own small
function under a name (`budget_total`, `provider_share:aws`, ...) and guarded by an
enforcement literal, so a family can be switched off to price it, or returned in an
infeasibility core to explain a conflict. Money is integer cents.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from advisor.candidates import CandidateSet, Option
from advisor.verify import Spend, policy_violations
from advisor.workload.models import Policy

PCT_SCALE = 100  # share caps are stored in hundredths of a percent


@dataclass
class SolveResult:
    status: str  # optimal | feasible | infeasible | unknown
    chosen: dict[str, Option] = field(default_factory=dict)
    cost_cents: int | None = None
    bound_cents: int | None = None
    core: list[str] = field(default_factory=list)
    empty_workloads: list[str] = field(default_factory=list)

    @property
    def gap_pct(self) -> float | None:
        if self.cost_cents is None or self.bound_cents is None or self.cost_cents == 0:
            return None if self.cost_cents is None else 0.0
        return round(100 * max(0, self.cost_cents - self.bound_cents) / self.cost_cents, 3)


SOLVER_ATTRIBUTES = ("provider", "vendor", "team", "monthly_cost_cents")
"""Everything a constraint family reads from an option. Options equal on all of these are
interchangeable to the solver, so only the first (in the deterministic sort order) is kept."""


def distinct_options(options: list[Option], keep_key: str | None = None) -> list[Option]:
    """Drop options the solver cannot tell apart from an earlier one (an exact reduction)."""
    seen: set[tuple[object, ...]] = set()
    kept = []
    for o in options:
        signature = tuple(getattr(o, a) for a in SOLVER_ATTRIBUTES)
        if signature in seen and o.key != keep_key:
            continue
        seen.add(signature)
        kept.append(o)
    return kept


class _Model:
    """Variables shared by the constraint families."""

    def __init__(self, candidates: CandidateSet, workloads: list[str], forced: dict[str, str]):
        self.m = cp_model.CpModel()
        self.options = {w: distinct_options(candidates.options[w], forced.get(w)) for w in workloads}
        self.x: dict[tuple[str, int], cp_model.IntVar] = {}
        for w, opts in self.options.items():
            for i, _ in enumerate(opts):
                self.x[w, i] = self.m.NewBoolVar(f"x[{w}#{i}]")
        upper = sum(max((o.monthly_cost_cents for o in opts), default=0) for opts in self.options.values())
        self.upper = max(1, upper)
        self.total = self.m.NewIntVar(0, self.upper, "total_cents")
        self.m.Add(self.total == self._cost_sum(lambda o: True))
        self.enforce: dict[str, cp_model.IntVar] = {}
        self._spend: dict[tuple[str, str], cp_model.IntVar] = {}

    def _cost_sum(self, keep: Callable[[Option], bool]) -> cp_model.LinearExpr:
        return cp_model.LinearExpr.WeightedSum(
            [self.x[w, i] for w, opts in self.options.items() for i, o in enumerate(opts) if keep(o)],
            [o.monthly_cost_cents for opts in self.options.values() for o in opts if keep(o)],
        )

    def spend(self, attribute: str, value: str) -> cp_model.IntVar:
        """Aggregate spend variable for options whose `attribute` equals `value`, defined once."""
        key = (attribute, value)
        if key not in self._spend:
            var = self.m.NewIntVar(0, self.upper, f"spend[{attribute}={value}]")
            self.m.Add(var == self._cost_sum(lambda o: getattr(o, attribute) == value))
            self._spend[key] = var
        return self._spend[key]

    def family(self, name: str) -> cp_model.IntVar:
        lit = self.m.NewBoolVar(f"enforce[{name}]")
        self.enforce[name] = lit
        return lit


def _one_option_per_workload(mm: _Model) -> None:
    for w, opts in mm.options.items():
        mm.m.AddExactlyOne(mm.x[w, i] for i in range(len(opts)))


def _budget_total(mm: _Model, policy: Policy) -> None:
    if policy.budget.monthly_usd is None:
        return
    lit = mm.family("budget_total")
    mm.m.Add(mm.total <= round(policy.budget.monthly_usd * 100)).OnlyEnforceIf(lit)


def _budget_per_team(mm: _Model, policy: Policy) -> None:
    for team, usd in sorted(policy.budget.per_team_monthly_usd.items()):
        lit = mm.family(f"budget_team:{team}")
        mm.m.Add(mm.spend("team", team) <= round(usd * 100)).OnlyEnforceIf(lit)


def _share_cap(mm: _Model, attribute: str, cap_pct: float | None, label: str) -> None:
    if cap_pct is None or cap_pct >= 100:
        return
    cap = round(cap_pct * PCT_SCALE)
    values = sorted({getattr(o, attribute) for opts in mm.options.values() for o in opts})
    for value in values:
        lit = mm.family(f"{label}:{value}")
        mm.m.Add(100 * PCT_SCALE * mm.spend(attribute, value) <= cap * mm.total).OnlyEnforceIf(lit)


def _min_providers(mm: _Model, policy: Policy) -> None:
    k = policy.lock_in.min_providers
    if k <= 1:
        return
    providers = sorted({o.provider for opts in mm.options.values() for o in opts})
    used = {}
    for p in providers:
        used[p] = mm.m.NewBoolVar(f"used[{p}]")
        chosen = [mm.x[w, i] for w, opts in mm.options.items() for i, o in enumerate(opts) if o.provider == p]
        mm.m.AddBoolOr(chosen).OnlyEnforceIf(used[p])
    lit = mm.family("min_providers")
    mm.m.Add(sum(used.values()) >= k).OnlyEnforceIf(lit)


def _objective(mm: _Model) -> None:
    """Least total cost in cents (ties are settled by `_tie_break` afterwards)."""
    mm.m.Minimize(mm.total)


def _tie_break(chosen: dict[str, Option], options: dict[str, list[Option]], policy: Policy,
               fixed: set[str]) -> dict[str, Option]:
    """Among plans of the same cost, prefer each workload's earliest option (cost, latency, name).

    Swaps a workload to an earlier option of exactly the same cost while the policy still
    holds, until no swap applies; with a single deterministic solver worker this makes the
    plan reproducible, and the preference order documented.
    """
    def spends(plan: dict[str, Option]) -> list[Spend]:
        return [Spend(o.provider, o.vendor, o.team, o.monthly_cost_cents) for o in plan.values()]

    changed = True
    while changed:
        changed = False
        for w in sorted(chosen):
            if w in fixed:
                continue
            current = chosen[w]
            for o in options[w]:
                if o.key == current.key or o.monthly_cost_cents > current.monthly_cost_cents:
                    break
                if o.monthly_cost_cents < current.monthly_cost_cents:
                    continue
                trial = {**chosen, w: o}
                if not policy_violations(spends(trial), policy):
                    chosen, changed = trial, True
                    break
    return chosen


def family_names(policy: Policy, candidates: CandidateSet, workloads: list[str]) -> list[str]:
    """Names of the constraint families the model will contain, in the order `_build` adds them,
    worked out without building the model (reports and relaxations ask for them often)."""
    options = [o for w in workloads for o in candidates.options[w]]
    names = ["budget_total"] if policy.budget.monthly_usd is not None else []
    names += [f"budget_team:{team}" for team in sorted(policy.budget.per_team_monthly_usd)]
    for attribute, cap, label in (("provider", policy.lock_in.max_provider_share_pct, "provider_share"),
                                  ("vendor", policy.lock_in.max_vendor_share_pct, "vendor_share")):
        if cap is not None and cap < 100:
            names += [f"{label}:{v}" for v in sorted({getattr(o, attribute) for o in options})]
    if policy.lock_in.min_providers > 1:
        names.append("min_providers")
    return names


def _build(policy: Policy, candidates: CandidateSet, workloads: list[str],
           forced: dict[str, str] | None = None) -> _Model:
    mm = _Model(candidates, workloads, forced or {})
    _one_option_per_workload(mm)
    _budget_total(mm, policy)
    _budget_per_team(mm, policy)
    _share_cap(mm, "provider", policy.lock_in.max_provider_share_pct, "provider_share")
    _share_cap(mm, "vendor", policy.lock_in.max_vendor_share_pct, "vendor_share")
    _min_providers(mm, policy)
    _objective(mm)
    return mm


def solve(candidates: CandidateSet, policy: Policy, *, disabled: frozenset[str] = frozenset(),
          forced: dict[str, str] | None = None, time_limit_s: float = 60.0, workers: int = 1,
          want_core: bool = False, tie_break: bool = True, hint: dict[str, str] | None = None) -> SolveResult:
    """Solve; families in `disabled` are switched off; `forced` pins workloads to option keys;
    `hint` (workload -> option key, e.g. a known plan) seeds the search, else the cheapest options do.

    With `want_core`, an infeasible model also returns the names of a conflicting subset of
    constraint families. Without `tie_break`, only the cost is meaningful (faster; used by
    the counterfactual questions of the explanations).
    """
    workloads = sorted(candidates.options)
    empty = [w for w in workloads if not candidates.options[w]]
    if empty:
        return SolveResult(status="infeasible", empty_workloads=empty)
    if not forced and not want_core:
        fast = _cheapest_if_feasible(candidates, policy, disabled)
        if fast is not None:
            if tie_break and not disabled:
                fast.chosen = _tie_break(fast.chosen, candidates.options, policy, set())
            return fast
    mm = _build(policy, candidates, workloads, forced or {})
    for w, key in (forced or {}).items():
        for i, o in enumerate(mm.options[w]):
            if o.key == key:
                mm.m.Add(mm.x[w, i] == 1)
    names = list(mm.enforce)
    for name in names:
        if name in disabled:
            mm.m.Add(mm.enforce[name] == 0)
    active = [n for n in names if n not in disabled]
    if want_core:
        mm.m.AddAssumptions([mm.enforce[n] for n in active])
    else:
        for n in active:
            mm.m.Add(mm.enforce[n] == 1)
    for w, opts in mm.options.items():
        wanted = (hint or {}).get(w)
        index = next((i for i, o in enumerate(opts) if o.key == wanted), 0)
        mm.m.AddHint(mm.x[w, index], 1)
    solver = _solver(time_limit_s, 1 if want_core else workers)
    code = solver.Solve(mm.m)
    result = SolveResult(status=_status(code))
    if code == cp_model.INFEASIBLE and want_core:
        index = {mm.enforce[n].Index(): n for n in active}
        result.core = sorted(index[i] for i in solver.SufficientAssumptionsForInfeasibility() if i in index)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return result
    result.cost_cents = int(round(solver.ObjectiveValue()))
    result.bound_cents = int(round(solver.BestObjectiveBound()))
    for (w, i), var in mm.x.items():
        if solver.BooleanValue(var):
            result.chosen[w] = mm.options[w][i]
    if tie_break and not disabled:
        result.chosen = _tie_break(result.chosen, candidates.options, policy, set(forced or {}))
    return result


def _cheapest_if_feasible(candidates: CandidateSet, policy: Policy, disabled: frozenset[str]) -> SolveResult | None:
    """The cheapest option of every workload is a lower bound; if it meets the policy it is optimal."""
    chosen = {w: opts[0] for w, opts in sorted(candidates.options.items())}
    spends = [Spend(o.provider, o.vendor, o.team, o.monthly_cost_cents) for o in chosen.values()]
    if any(v.partition(": ")[0] not in disabled for v in policy_violations(spends, policy)):
        return None
    cost = sum(o.monthly_cost_cents for o in chosen.values())
    return SolveResult(status="optimal", chosen=chosen, cost_cents=cost, bound_cents=cost)


def _solver(time_limit_s: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    return solver


def _status(code: int) -> str:
    return {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")
