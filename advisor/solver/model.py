"""Choose one option per workload at least cost, under budget and lock-in constraints.

Built like OR-Tools' CP-SAT samples: each constraint family is added by its own small
function under a name (`budget_total`, `provider_share:aws`, ...) and guarded by an
enforcement literal, so a family can be switched off to price it, or returned in an
infeasibility core to explain a conflict. Money is integer cents.

The model, with x[w,o] = 1 when workload w runs option o (cost c[o], provider p(o), ...):

    minimise   total = sum_{w,o} c[o] x[w,o]
    subject to sum_o x[w,o] = 1                                     for every workload w
               total <= budget                                      budget_total
               spend[team=t] <= team budget                         budget_team:t
               100 spend[provider=p] <= cap * counted_total         provider_share:p (p counted)
               100 spend[vendor=v] <= cap * total                   vendor_share:v
               sum_{p counted} used[p] >= k                         min_providers

"Counted" providers are the ones lock-in is about (`lock_in.scope`, see `counted_providers`).

Limits are CP-SAT's deterministic time, not wall-clock seconds: the same input and limit give
the same answer however loaded the machine is (docs/ARCHITECTURE.md, "Time limits").
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from advisor.candidates import CandidateSet, Option
from advisor.workload.models import Policy

PCT_SCALE = 100  # share caps are stored in hundredths of a percent
LOCK_IN_PROVIDER_KINDS = frozenset({"cloud", "gpu-cloud"})
"""Provider kinds that lock-in rules count by default: hardware you own (on-premises, edge
devices) is no dependence on a provider."""


@dataclass
class SolveResult:
    status: str  # optimal | feasible | infeasible | unknown (limit reached before any plan)
    chosen: dict[str, Option] = field(default_factory=dict)
    cost_cents: int | None = None
    bound_cents: int | None = None
    core: list[str] = field(default_factory=list)
    empty_workloads: list[str] = field(default_factory=list)

    @property
    def proven(self) -> bool:
        """True when the answer is a proof (optimal or infeasible), not where the limit stopped."""
        return self.status in ("optimal", "infeasible")

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


def counted_providers(policy: Policy, candidates: CandidateSet) -> frozenset[str]:
    """Providers the lock-in rules (provider share caps, min_providers) apply to.

    `lock_in.scope: clouds` (the default) counts cloud and GPU-cloud providers only: $100 of
    edge devices next to one cloud is not "two providers", and owned servers are no lock-in.
    `scope: all` counts every provider, on-premises and edge included.
    """
    used = {o.provider for opts in candidates.options.values() for o in opts}
    if policy.lock_in.scope == "all":
        return frozenset(used)
    return frozenset(p for p in used if candidates.provider_kinds.get(p, "cloud") in LOCK_IN_PROVIDER_KINDS)


class _Model:
    """Variables shared by the constraint families."""

    def __init__(self, candidates: CandidateSet, workloads: list[str], forced: dict[str, str],
                 counted: frozenset[str]):
        self.m = cp_model.CpModel()
        self.counted = counted
        self.options = {w: distinct_options(candidates.options[w], forced.get(w)) for w in workloads}
        self.x: dict[tuple[str, int], cp_model.IntVar] = {}
        for w, opts in self.options.items():
            for i, _ in enumerate(opts):
                self.x[w, i] = self.m.new_bool_var(f"x[{w}#{i}]")
        upper = sum(max((o.monthly_cost_cents for o in opts), default=0) for opts in self.options.values())
        self.upper = max(1, upper)
        self.total = self.m.new_int_var(0, self.upper, "total_cents")
        self.m.add(self.total == self._cost_sum(lambda o: True))
        self.enforce: dict[str, cp_model.IntVar] = {}
        self._spend: dict[tuple[str, str], cp_model.IntVar] = {}
        self._counted_total: cp_model.IntVar | None = None

    def _cost_sum(self, keep: Callable[[Option], bool]) -> cp_model.LinearExpr:
        pairs = [(self.x[w, i], o.monthly_cost_cents)
                 for w, opts in self.options.items() for i, o in enumerate(opts) if keep(o)]
        return cp_model.LinearExpr.weighted_sum([v for v, _ in pairs], [c for _, c in pairs])

    def spend(self, attribute: str, value: str) -> cp_model.IntVar:
        """Aggregate spend variable for options whose `attribute` equals `value`, defined once."""
        key = (attribute, value)
        if key not in self._spend:
            var = self.m.new_int_var(0, self.upper, f"spend[{attribute}={value}]")
            self.m.add(var == self._cost_sum(lambda o: getattr(o, attribute) == value))
            self._spend[key] = var
        return self._spend[key]

    def counted_total(self) -> cp_model.IntVar:
        """Spend on the providers lock-in rules count, defined once."""
        if self._counted_total is None:
            self._counted_total = self.m.new_int_var(0, self.upper, "spend[counted providers]")
            self.m.add(self._counted_total == self._cost_sum(lambda o: o.provider in self.counted))
        return self._counted_total

    def family(self, name: str) -> cp_model.IntVar:
        lit = self.m.new_bool_var(f"enforce[{name}]")
        self.enforce[name] = lit
        return lit


def _one_option_per_workload(mm: _Model) -> None:
    for w, opts in mm.options.items():
        mm.m.add_exactly_one(mm.x[w, i] for i in range(len(opts)))


def _budget_total(mm: _Model, policy: Policy) -> None:
    if policy.budget.monthly_usd is None:
        return
    lit = mm.family("budget_total")
    mm.m.add(mm.total <= round(policy.budget.monthly_usd * 100)).only_enforce_if(lit)


def _budget_per_team(mm: _Model, policy: Policy) -> None:
    for team, usd in sorted(policy.budget.per_team_monthly_usd.items()):
        lit = mm.family(f"budget_team:{team}")
        mm.m.add(mm.spend("team", team) <= round(usd * 100)).only_enforce_if(lit)


def _provider_share(mm: _Model, policy: Policy) -> None:
    cap_pct = policy.lock_in.max_provider_share_pct
    if cap_pct is None or cap_pct >= 100:
        return
    cap = round(cap_pct * PCT_SCALE)
    for provider in sorted(mm.counted):
        lit = mm.family(f"provider_share:{provider}")
        mm.m.add(100 * PCT_SCALE * mm.spend("provider", provider) <= cap * mm.counted_total()).only_enforce_if(lit)


def _vendor_share(mm: _Model, policy: Policy) -> None:
    cap_pct = policy.lock_in.max_vendor_share_pct
    if cap_pct is None or cap_pct >= 100:
        return
    cap = round(cap_pct * PCT_SCALE)
    for vendor in sorted({o.vendor for opts in mm.options.values() for o in opts}):
        lit = mm.family(f"vendor_share:{vendor}")
        mm.m.add(100 * PCT_SCALE * mm.spend("vendor", vendor) <= cap * mm.total).only_enforce_if(lit)


def _min_providers(mm: _Model, policy: Policy) -> None:
    k = policy.lock_in.min_providers
    if k <= 1:
        return
    used = []
    for p in sorted(mm.counted):
        flag = mm.m.new_bool_var(f"used[{p}]")
        chosen = [mm.x[w, i] for w, opts in mm.options.items() for i, o in enumerate(opts) if o.provider == p]
        mm.m.add_bool_or(chosen).only_enforce_if(flag)
        used.append(flag)
    lit = mm.family("min_providers")
    mm.m.add(sum(used) >= k).only_enforce_if(lit)


def _objective(mm: _Model) -> None:
    """Least total cost in cents (ties are settled by `_tie_break` afterwards)."""
    mm.m.minimize(mm.total)


def policy_breaks(chosen: Iterable[Option], policy: Policy, counted: frozenset[str]) -> list[str]:
    """Names of the constraint families a set of chosen options breaks (the solver's own check,
    used for the greedy short-cut and the tie-break; the independent checker is advisor.verify)."""
    chosen = list(chosen)
    total = sum(o.monthly_cost_cents for o in chosen)
    by: dict[tuple[str, str], int] = defaultdict(int)
    for o in chosen:
        by["team", o.team] += o.monthly_cost_cents
        by["provider", o.provider] += o.monthly_cost_cents
        by["vendor", o.vendor] += o.monthly_cost_cents
    counted_total = sum(c for (kind, p), c in by.items() if kind == "provider" and p in counted)
    broken = []
    if policy.budget.monthly_usd is not None and total > round(policy.budget.monthly_usd * 100):
        broken.append("budget_total")
    for team, usd in sorted(policy.budget.per_team_monthly_usd.items()):
        if by["team", team] > round(usd * 100):
            broken.append(f"budget_team:{team}")
    caps = (("provider", policy.lock_in.max_provider_share_pct, counted_total, "provider_share"),
            ("vendor", policy.lock_in.max_vendor_share_pct, total, "vendor_share"))
    for kind, cap_pct, base, label in caps:
        if cap_pct is None or cap_pct >= 100:
            continue
        for (k, name), cents in sorted(by.items()):
            counts = k == kind and (kind == "vendor" or name in counted)
            if counts and 100 * PCT_SCALE * cents > round(cap_pct * PCT_SCALE) * base:
                broken.append(f"{label}:{name}")
    min_providers = policy.lock_in.min_providers
    if min_providers > 1 and len({o.provider for o in chosen if o.provider in counted}) < min_providers:
        broken.append("min_providers")
    return broken


def _tie_break(chosen: dict[str, Option], options: dict[str, list[Option]], policy: Policy,
               fixed: set[str], counted: frozenset[str]) -> dict[str, Option]:
    """Among plans of the same cost, prefer each workload's earliest option (cost, latency, name).

    Swaps a workload to an earlier option of exactly the same cost while the policy still
    holds, until no swap applies; with a single deterministic solver worker this makes the
    plan reproducible, and the preference order documented.
    """
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
                if not policy_breaks(trial.values(), policy, counted):
                    chosen, changed = trial, True
                    break
    return chosen


def family_names(policy: Policy, candidates: CandidateSet, workloads: list[str]) -> list[str]:
    """Names of the constraint families the model will contain, in the order `_build` adds them,
    worked out without building the model (reports and relaxations ask for them often)."""
    options = [o for w in workloads for o in candidates.options[w]]
    names = ["budget_total"] if policy.budget.monthly_usd is not None else []
    names += [f"budget_team:{team}" for team in sorted(policy.budget.per_team_monthly_usd)]
    cap = policy.lock_in.max_provider_share_pct
    if cap is not None and cap < 100:
        names += [f"provider_share:{p}" for p in sorted(counted_providers(policy, candidates))]
    cap = policy.lock_in.max_vendor_share_pct
    if cap is not None and cap < 100:
        names += [f"vendor_share:{v}" for v in sorted({o.vendor for o in options})]
    if policy.lock_in.min_providers > 1:
        names.append("min_providers")
    return names


def _build(policy: Policy, candidates: CandidateSet, workloads: list[str],
           forced: dict[str, str] | None = None) -> _Model:
    mm = _Model(candidates, workloads, forced or {}, counted_providers(policy, candidates))
    _one_option_per_workload(mm)
    _budget_total(mm, policy)
    _budget_per_team(mm, policy)
    _provider_share(mm, policy)
    _vendor_share(mm, policy)
    _min_providers(mm, policy)
    _objective(mm)
    return mm


def solve(candidates: CandidateSet, policy: Policy, *, disabled: frozenset[str] = frozenset(),
          forced: dict[str, str] | None = None, time_limit_s: float = 60.0, workers: int = 1,
          want_core: bool = False, tie_break: bool = True, hint: dict[str, str] | None = None) -> SolveResult:
    """Solve; families in `disabled` are switched off; `forced` pins workloads to option keys;
    `hint` (workload -> option key, e.g. a known plan) seeds the search, else the cheapest options do.

    `time_limit_s` is deterministic work (see the module docstring). With `want_core`, an
    infeasible model also returns the names of a conflicting subset of constraint families.
    Without `tie_break`, only the cost is meaningful (used by the counterfactual questions of
    the explanations). More than one worker makes the answer under a limit depend on timing.
    """
    workloads = sorted(candidates.options)
    empty = [w for w in workloads if not candidates.options[w]]
    if empty:
        return SolveResult(status="infeasible", empty_workloads=empty)
    counted = counted_providers(policy, candidates)
    if not forced and not want_core:
        fast = _cheapest_if_feasible(candidates, policy, disabled, counted)
        if fast is not None:
            if tie_break and not disabled:
                fast.chosen = _tie_break(fast.chosen, candidates.options, policy, set(), counted)
            return fast
    mm = _build(policy, candidates, workloads, forced or {})
    for w, key in (forced or {}).items():
        for i, o in enumerate(mm.options[w]):
            if o.key == key:
                mm.m.add(mm.x[w, i] == 1)
    names = list(mm.enforce)
    for name in names:
        if name in disabled:
            mm.m.add(mm.enforce[name] == 0)
    active = [n for n in names if n not in disabled]
    if want_core:
        mm.m.add_assumptions([mm.enforce[n] for n in active])
    else:
        for n in active:
            mm.m.add(mm.enforce[n] == 1)
    for w, opts in mm.options.items():
        wanted = (hint or {}).get(w)
        index = next((i for i, o in enumerate(opts) if o.key == wanted), 0)
        mm.m.add_hint(mm.x[w, index], 1)
    solver = _solver(time_limit_s, 1 if want_core else workers)
    code = run_interruptibly(solver, mm.m)
    result = SolveResult(status=_status(code))
    if code == cp_model.INFEASIBLE and want_core:
        by_index = {mm.enforce[n].index: n for n in active}
        result.core = sorted(by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return result
    result.cost_cents = int(round(solver.objective_value))
    result.bound_cents = int(round(solver.best_objective_bound))
    for (w, i), var in mm.x.items():
        if solver.boolean_value(var):
            result.chosen[w] = mm.options[w][i]
    if tie_break and not disabled:
        result.chosen = _tie_break(result.chosen, candidates.options, policy, set(forced or {}), counted)
    return result


def _cheapest_if_feasible(candidates: CandidateSet, policy: Policy, disabled: frozenset[str],
                          counted: frozenset[str]) -> SolveResult | None:
    """The cheapest option of every workload is a lower bound; if it meets the policy it is optimal."""
    chosen = {w: opts[0] for w, opts in sorted(candidates.options.items())}
    if any(name not in disabled for name in policy_breaks(chosen.values(), policy, counted)):
        return None
    cost = sum(o.monthly_cost_cents for o in chosen.values())
    return SolveResult(status="optimal", chosen=chosen, cost_cents=cost, bound_cents=cost)


def _solver(time_limit_s: float, workers: int) -> cp_model.CpSolver:
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = time_limit_s
    solver.parameters.num_workers = workers
    solver.parameters.random_seed = 0
    # CP-SAT's own SIGINT handler ends the search as if time ran out and then resets the
    # process's handler; the CLI handles signals itself (see run_interruptibly).
    solver.parameters.catch_sigint_signal = False
    return solver


def run_interruptibly(solver: cp_model.CpSolver, model: cp_model.CpModel) -> cp_model.CpSolverStatus:
    """Solve in a helper thread so that a signal handler can run in the main thread meanwhile.

    The search runs in C++ with the GIL released; the main thread waits in short joins, so
    Ctrl-C or SIGTERM raises in it at once. The search is then stopped before the exception
    goes on, and the interrupted solve is never taken for an answer.
    """
    outcome: list[cp_model.CpSolverStatus] = []
    thread = threading.Thread(target=lambda: outcome.append(solver.solve(model)), name="cp-sat", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.05)
    except BaseException:
        solver.stop_search()
        thread.join()
        raise
    return outcome[0]


def _status(code: cp_model.CpSolverStatus) -> str:
    return {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")
