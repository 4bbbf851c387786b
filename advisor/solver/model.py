"""Choose how many units of which options carry each workload, at least cost, under the families.

The model (advisor.solver.variables) buys integer units n[o] of options and routes each
workload's demand streams (a real-time service's user locations) onto them; every rule is a
constraint family object (advisor.solver.families) added behind an enforcement literal:

    minimise   total = sum_o cc[o] n[o] + lc[o] sum_s f[o,s]           (milli-cents)
    subject to sum_o f[o,s] = D[w,s]                                   every stream carried
               CAP sum_s f[o,s] <= floor(CAP capacity[o]) n[o]         units carry their load
               and each family: budget_total, budget_team:t, provider_share:p, vendor_share:v,
               min_providers, replicas:w, min_regions:w, region_loss:w

Limits are CP-SAT's deterministic time with one worker, never wall-clock time: the same input
and limit give the same answer however loaded the machine is (docs/ARCHITECTURE.md).
When no family couples workloads, or when each workload's own optimum already meets every
coupling family, the workloads are solved one by one (small models, proven optima).
"""

from __future__ import annotations

import dataclasses
import math
import operator
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.sat.python import cp_model

from advisor.candidates import (
    CandidateSet,
    Option,
    WorkloadLimits,
    pools_of,
    sharing_groups,
)
from advisor.demand import bucket_of, level_demand
from advisor.progress import SILENT, Progress
from advisor.solver import ledger
from advisor.solver.alone import TERM_FIELDS, Terms, WorkBudget, options_within, solve_alone, within_reach
from advisor.solver.dominance import reduce_options
from advisor.solver.families import FAMILIES, Context, Placements, couples, family_of
from advisor.solver.lagrange import Column, LagrangeBound, lagrange_bound
from advisor.solver.ledger import solver_work
from advisor.solver.patterns import (
    Pattern,
    alone_cost,
    options_by_key,
    pattern_cost,
    pattern_options,
    running_alone,
    units_alone,
    whole_patterns,
)
from advisor.solver.repair import repaired
from advisor.solver.result import Placement, SolveResult
from advisor.solver.twins import twin_moves
from advisor.solver.variables import CAP_SCALE, MILLI, NO_REST, Coefficients, PlacementModel, Rest, route_steps
from advisor.workload.models import Policy

SUBSOLVERS = 2
"""Interleaved subsolvers per solve (deterministic: `interleave_search`)."""
LOCK_IN_PROVIDER_KINDS = frozenset({"cloud", "gpu-cloud"})
"""Provider kinds that lock-in rules count by default: hardware you own (on-premises, edge
devices) is no dependence on a provider."""
SIGNATURE = ("provider", "vendor", "team", "region_key", "count_cost_cents", "load_cost_cents", "capacity",
             "serves", "failover_serves", "serve_rtt_ms", "max_count", "unit_instances", "level_costs_cents",
             "stream_capacity")
"""Everything the model reads from an option (what a workload's fingerprint hashes)."""


def _prefixes(names: list[str]) -> frozenset[str]:
    """The kinds of family present (`provider_share` for `provider_share:aws`)."""
    return frozenset(name.partition(":")[0] for name in names)


def counted_providers(policy: Policy, candidates: CandidateSet) -> frozenset[str]:
    """Providers the lock-in rules (provider share caps, min_providers) apply to.

    `lock_in.scope: clouds` (the default) counts cloud and GPU-cloud providers only: $100 of
    edge devices next to one cloud is not "two providers", and owned servers are no lock-in.
    `scope: all` counts every provider, on-premises and edge included.
    """
    key = ("counted providers", policy.lock_in.scope)
    if key not in candidates.solved:  # the candidates' memo: a fleet's options are read once, not per solve
        used = {o.provider for opts in candidates.options.values() for o in opts}
        if policy.lock_in.scope != "all":
            used = {p for p in used if candidates.provider_kinds.get(p, "cloud") in LOCK_IN_PROVIDER_KINDS}
        candidates.solved[key] = frozenset(used)
    result: frozenset[str] = candidates.solved[key]
    return result


def family_names(policy: Policy, candidates: CandidateSet, workloads: list[str] | None = None) -> list[str]:
    """Names of the constraint families the model contains, in the order it adds them."""
    ctx = Context(policy, candidates, counted_providers(policy, candidates))
    return [name for family in FAMILIES for name in family.names(ctx)]


def policy_breaks(placements: Placements, policy: Policy, candidates: CandidateSet) -> list[str]:
    """Names of the families finished placements break (each family checks itself, no solver)."""
    ctx = Context(policy, candidates, counted_providers(policy, candidates))
    return [name for family in FAMILIES for name in family.broken(ctx, placements)]


def _hint(mm: PlacementModel, w: str, wanted: str | None) -> None:
    """Seed the search with one option carrying the whole workload (a known plan, or the cheapest)."""
    opts = mm.options[w]
    full = [i for i, o in enumerate(opts) if o.full_reach]
    index = next((i for i in full if opts[i].key == wanted), full[0] if full else None)
    for i, o in enumerate(opts):
        chosen = i == index
        units = units_alone(mm.candidates, w, o) if chosen else 0
        mm.m.add_hint(mm.n[w, i], units)
        for s in mm.streams(w, o):
            mm.m.add_hint(mm.f[w, i, s], mm.candidates.demands[w][s] if chosen else 0)


def _build(policy: Policy, candidates: CandidateSet, workloads: list[str], forced: dict[str, str],
           families: list[str], options: dict[str, list[Option]] | None = None,
           ceiling: int | None = None, rest: Rest = NO_REST) -> tuple[PlacementModel, Context]:
    """The model over `options` (default: each workload's candidates after the exact reduction);
    `ceiling` is the cost of a known plan, which bounds the spends."""
    counted = counted_providers(policy, candidates)
    if options is None:
        reads = _prefixes(families)
        options = {w: reduce_options(candidates.options[w], reads, _kept(forced.get(w))) for w in workloads}
    mm = PlacementModel(candidates, workloads, options, counted, ceiling, rest)
    for w in workloads:
        for s, units in candidates.demands[w].items():
            carriers = [mm.f[w, i, s] for i, o in enumerate(options[w]) if (w, i, s) in mm.f]
            mm.m.add(sum(carriers) == units)
        for i, o in enumerate(options[w]):
            mm.add_capacity(w, i, {s: mm.f[w, i, s] for s in mm.streams(w, o)}, mm.n[w, i])
    ctx = Context(policy, candidates, counted)
    for name in families:
        family = family_of(name)
        if family is not None:
            family.add(mm, ctx, name)
    for w, key in forced.items():  # the workload runs on this option alone
        for i, o in enumerate(options[w]):
            alone = o.key == key
            for s in mm.streams(w, o):
                mm.m.add(mm.f[w, i, s] == (candidates.demands[w][s] if alone else 0))
            if not alone:
                mm.m.add(mm.n[w, i] == 0)
    mm.m.minimize(mm.total)
    return mm, ctx


def _sliced(candidates: CandidateSet, workloads: list[str]) -> bool:
    """Whether any of the workloads may run on MIG slices: their GPUs are then shared, and the search
    takes the plain joint model (the warm starts and per-workload tie-breaks price each option
    alone, which a slice's share of a GPU is not)."""
    return any(pools_of(candidates, w) for w in workloads)


def _kept(key: str | None) -> frozenset[str]:
    return frozenset() if key is None else frozenset({key})


def solve(candidates: CandidateSet, policy: Policy, *, disabled: frozenset[str] = frozenset(),
          forced: dict[str, str] | None = None, time_limit_s: float = 60.0,
          want_core: bool = False, tie_break: bool = True, hint: dict[str, str] | None = None,
          known: SolveResult | None = None, progress: Progress = SILENT) -> SolveResult:
    """Solve; families in `disabled` are switched off; `forced` makes workloads run on one option alone;
    `hint` (workload -> option key) seeds the search, else each workload's cheapest option does.

    `time_limit_s` is deterministic work. With `want_core`, an infeasible model also returns
    the names of a conflicting subset of families. With `tie_break`, equal-cost plans are settled
    by option order (a second solve); counterfactuals, which only need the cost, skip it.
    `known` is a plan of the same inputs that these candidates and families still admit (the plan a
    counterfactual relaxes): a joint search starts from it, so it never ends with less than it.
    """
    workloads = sorted(candidates.options)
    empty = [w for w in workloads if not candidates.options[w] or candidates.unserved.get(w)]
    if empty:
        return SolveResult(status="infeasible", empty_workloads=empty)
    names = [n for n in family_names(policy, candidates) if n not in disabled]
    ledger.begin_solve(time_limit_s)
    split = _one_by_one(candidates, policy, names, time_limit_s, tie_break, forced or {}, want_core, progress)
    if split is not None:
        return split
    progress(f"solving all {len(workloads)} workloads together (a policy rule couples them)")
    sliced = sorted(w for w in workloads if pools_of(candidates, w))
    if sliced:  # the joint search prices each option alone: whole GPUs for these (the plan says so)
        whole = {w: [o for o in candidates.options[w] if o.mig_profile is None] for w in sliced}
        candidates = dataclasses.replace(candidates, options={**candidates.options, **whole}, solved={})
    start = None
    if known is not None and not forced and not set(policy_breaks(known.placements, policy, candidates)) & set(names):
        start = _still_admitted(known, candidates, workloads)  # else not a relaxation of it after all: no start
    result = _solve_together(candidates, policy, workloads, names, forced or {}, time_limit_s,
                             want_core, hint or {}, tie_break, progress, start)
    result.whole_gpus = sliced
    return result


def _still_admitted(known: SolveResult, candidates: CandidateSet, workloads: list[str]) -> KnownPlan | None:
    """A finished plan as a start for the joint search over these candidates, when every option it
    places is here with everything the model reads of it unchanged (a relaxation keeps them: it
    only lifts rules or adds options); None otherwise (a resized option, a MIG slice turned whole)."""
    if known.cost_millicents is None or set(known.placements) != set(workloads):
        return None
    units: dict[tuple[str, str], int] = {}
    load: dict[tuple[str, str, str], int] = {}
    running: dict[tuple[str, str], tuple[int, ...]] = {}
    level_loads: dict[tuple[str, str], tuple[dict[str, int], ...]] = {}
    for w, placed in known.placements.items():
        by_key = options_by_key(candidates, w)
        for p in placed:
            here = by_key.get(p.option.key)
            if here is None or _READ(here) != _READ(p.option) or p.demand != candidates.demands[w]:
                return None
            units[w, p.option.key] = p.count
            load.update(((w, p.option.key, stream), v) for stream, v in p.load.items())
            if p.running:
                running[w, p.option.key] = p.running
            if p.level_loads:
                level_loads[w, p.option.key] = p.level_loads
    return KnownPlan(units=units, load=load, cost=known.cost_millicents, running=running, level_loads=level_loads)


def _fingerprint(candidates: CandidateSet, w: str) -> int:
    """A hash of everything the model reads of one workload."""
    return _read(candidates, w)[0]


def _terms(candidates: CandidateSet, w: str) -> Terms:
    """The workload's options as alone.within_reach reads them."""
    return _read(candidates, w)[1]


_READ_FIELDS = ("key", "listing", *(f for f in SIGNATURE if f != "region_key"), "full_reach")
"""Each option's fields the model reads (`listing` holds region_key, and hashes in C where the
property would be a call per option)."""
_READ = operator.attrgetter(*_READ_FIELDS)
_TERM_COLUMNS = [_READ_FIELDS.index(f) for f in TERM_FIELDS]


def _read(candidates: CandidateSet, w: str) -> tuple[int, Terms]:
    """One pass over a workload's options: its fingerprint, and its terms (a fleet has 100k+ options,
    and reading them was most of a policy-free solve)."""
    key = ("read", w)
    if key not in candidates.solved:
        rows = tuple(map(_READ, candidates.options[w]))
        fingerprint = hash((rows, tuple(sorted(candidates.demands[w].items())), candidates.limits.get(w),
                            candidates.levels.get(w)))
        columns = list(zip(*rows, strict=True)) or [()] * len(_READ_FIELDS)
        terms = np.array([columns[i] for i in _TERM_COLUMNS], dtype=np.float64).reshape(len(TERM_FIELDS), -1).T
        candidates.solved[key] = (fingerprint, terms)
    return candidates.solved[key]  # type: ignore[no-any-return]


KNOWN_STEP_SHARE = 0.2
"""Share of its limit each step of a counterfactual's joint search keeps at least (see left() in
_solve_together): without the shared limit one counterfactual of the shipped examples spent 45 s
of work against its 10, and the explanation budget ran out before the rules were priced."""
OWN_WORK_FLOOR_S = 2.0
"""Deterministic seconds an own optimum still gets once the solve's own-optimum work is spent:
enough for the first short searches to find a plan (with its bound), not to prove it."""
def _memoised(key: tuple[object, ...], candidates: CandidateSet, workloads: list[str],
              solve_it: Callable[[], SolveResult], proven: tuple[object, ...] | None = None,
              any_proven: bool = False, exact: tuple[object, ...] | None = None) -> SolveResult:
    """The memoised result under `key` (charged its work again, its placements rebound to these
    candidates' options), else `solve_it()`, memoised. A result proven optimal is also kept under
    `proven` (the key without the time limit and tie-break), and `any_proven` takes it from there:
    a question that reads only the cost (a counterfactual, no tie-break) need not prove again
    what a solve under another limit or with a tie-break proved (the examples' profiled service
    took 12 s to prove, three times over). `exact` is a key that fixes the result whoever asks
    (counterfactuals side by side share it, see advisor.solver.ledger)."""
    memo = ledger.recall(key, exact)
    if memo is None and any_proven and proven is not None:
        memo = ledger.recall(proven)
    if memo is not None:
        for w in workloads:
            memo = _rebound(memo, candidates, w)
        return memo
    before = solver_work()
    result = solve_it()
    work = solver_work() - before
    ledger.remember(key, result, work, exact)
    if proven is not None and result.status == "optimal" and not ledger.holds(proven):
        ledger.remember(proven, result, work)
    return result


def _own_optimum(candidates: CandidateSet, policy: Policy, w: str, own: list[str], forced: str | None,
                 time_limit_s: float, tie_break: bool, want_core: bool) -> SolveResult:
    def alone(work: float) -> SolveResult:
        return _solve_together(candidates, policy, [w], own, {w: forced} if forced else {}, work, want_core, {},
                               tie_break)

    limit = min(time_limit_s, max(OWN_WORK_FLOOR_S, ledger.own_work_left()))

    def solve_it() -> SolveResult:
        result = _searched_optimum(candidates, w, own, forced) or alone(limit)
        if result.status == "unknown" and limit < time_limit_s:  # no plan in the floor: the whole limit, as before
            result = alone(time_limit_s)
        return result

    fingerprint = _fingerprint(candidates, w)
    key = (w, fingerprint, tuple(own), forced, time_limit_s, tie_break, want_core)
    proven = ("proven", w, fingerprint, tuple(own), forced, want_core)
    # with the limit it gets, not only the one asked for: what solving again would give, whoever asks
    return _memoised(key, candidates, [w], solve_it, proven, any_proven=not tie_break, exact=(*key, limit))


def _rebound(result: SolveResult, candidates: CandidateSet, w: str) -> SolveResult:
    """A memoised own optimum with its placements on these candidates' options: the fingerprint
    covers what the model reads, not what only reports read (sizings, sources), which another
    candidate set with the same numbers may state differently."""
    placed = result.placements.get(w) if result.placements else None
    if not placed:
        return result
    by_key = options_by_key(candidates, w)
    if all(by_key.get(p.option.key) is p.option for p in placed):
        return result
    moved = [dataclasses.replace(p, option=by_key.get(p.option.key, p.option)) for p in placed]
    return dataclasses.replace(result, placements={**result.placements, w: moved})


def _group_optimum(candidates: CandidateSet, policy: Policy, group: list[str], own: list[str],
                   forced: dict[str, str], time_limit_s: float, tie_break: bool, want_core: bool) -> SolveResult:
    """The optimum of workloads that may share MIG GPUs, solved together and memoised like an own
    optimum (counterfactuals that leave the group alone ask for it again)."""
    key = ("group", tuple(group), tuple(_fingerprint(candidates, w) for w in group), tuple(own),
           tuple(sorted(forced.items())), time_limit_s, tie_break, want_core)
    return _memoised(key, candidates, group, lambda: _solve_together(
        candidates, policy, group, own, forced, time_limit_s, want_core, {}, tie_break))


def _searched_optimum(candidates: CandidateSet, w: str, own: list[str], forced: str | None) -> SolveResult | None:
    """A workload's own optimum by the exact search of advisor.solver.alone, when it has no family of
    its own but perhaps a min_replicas; None when that search does not cover the case (CP-SAT
    then solves it)."""
    min_units = _searchable(candidates, w, own)
    if min_units is None:
        return None
    options = candidates.options[w]
    options = [o for o in options if o.key == forced] if forced is not None else \
        reduce_options(within_reach(options, candidates.demands[w], min_units=min_units, terms=_terms(candidates, w)),
                       frozenset())
    demand = candidates.demands[w]
    chosen = solve_alone(options, demand, min_units)
    if chosen is None:
        return None
    if not chosen.feasible:  # with a min_replicas, CP-SAT says which rule is to blame (the core)
        return SolveResult(status="infeasible") if not min_units else None
    placed = _placements_of(candidates, w, options, chosen.units, chosen.load)
    return SolveResult(status="optimal", placements={w: placed}, cost_millicents=chosen.cost,
                       bound_millicents=chosen.cost)


def _searchable(candidates: CandidateSet, w: str, own: list[str]) -> int | None:
    """The least number of units the exact search of advisor.solver.alone must buy for workload w
    with its own families `own` (its min_replicas, else 0); None when those families are ones the
    search does not cover (regions, region loss, a replica ceiling, a traffic profile or a
    request-size mix)."""
    limits = candidates.limits[w]
    if pools_of(candidates, w) or w in candidates.levels or any(map(bucket_of, candidates.demands[w])):
        return None  # load levels, or a rate per request size: CP-SAT's model has them
    min_units = limits.min_replicas if own == [f"replicas:{w}"] and limits.max_replicas is None else 0
    return None if own and not min_units else min_units


def _own_families(names: list[str]) -> dict[str, list[str]]:
    """Each workload's families of its own (replicas, regions, region loss), in one pass over the names."""
    out: dict[str, list[str]] = {}
    for n in names:
        w = n.partition(":")[2]
        if not couples(n) and w:
            out.setdefault(w, []).append(n)
    return out


def _one_by_one(candidates: CandidateSet, policy: Policy, names: list[str], time_limit_s: float,
                tie_break: bool, forced: dict[str, str], want_core: bool,
                progress: Progress = SILENT) -> SolveResult | None:
    """Each workload's own optimum; if together they meet every coupling family, that is the optimum.

    A workload that its own families (or a forced option) make infeasible makes the whole plan
    infeasible, with those families as the core; None means: solve all workloads together.
    """
    per_workload: Placements = {}
    cost = bound = 0
    total = len(candidates.options)
    families = _own_families(names)
    coupling = [n for n in names if couples(n)]
    done = 0
    unsettled: SolveResult | None = None  # the first group without a proven plan
    for group in sharing_groups(candidates):
        progress.step("workloads solved on their own", done, total)
        done += len(group)
        # A core changes the answer only where the group is infeasible: elsewhere the plain
        # solve (memoised from the plan's, and far quicker than a search under assumptions) stands.
        result = _group_answer(candidates, policy, group, families, forced, time_limit_s, tie_break, False)
        if want_core and result.status == "infeasible":
            result = _group_answer(candidates, policy, group, families, forced, time_limit_s, tie_break, True)
        if result.status == "infeasible":
            return result
        # Past a group without a proof the others are still solved (a joint solve needs their own
        # optima anyway): one of them may be infeasible on its own, which then is the answer. A
        # 10,000-workload fleet whose workload 3,216 asks for two regions where one region of its
        # jurisdiction can serve it went to the joint search at its first unproven workload and ended
        # "unknown" after 9 minutes.
        if result.status != "optimal" and (  # the first without a plan outweighs any with one
                unsettled is None or (unsettled.status == "feasible" and result.status != "feasible")):
            unsettled = result
        if result.status in ("optimal", "feasible"):
            per_workload.update(result.placements)
            cost += result.cost_millicents or 0
            bound += result.bound_millicents or 0
    progress.step("workloads solved on their own", total, total)
    if unsettled is not None:
        if coupling:  # a joint solve may still prove it, or trade it against the others
            return None
        if unsettled.status != "feasible":
            return unsettled  # no plan for a workload within the limit: none for the fleet
    broken = set(policy_breaks(per_workload, policy, candidates))
    if any(n in broken for n in coupling):
        return None
    # with nothing coupling the workloads, an unproven one's plan stands beside the others' optima
    return SolveResult(status="optimal" if unsettled is None else "feasible", placements=per_workload,
                       cost_millicents=cost, bound_millicents=bound, separable=True)


def _group_answer(candidates: CandidateSet, policy: Policy, group: list[str], families: dict[str, list[str]],
                  forced: dict[str, str], time_limit_s: float, tie_break: bool, want_core: bool) -> SolveResult:
    """The optimum of one workload alone, or of workloads that may share MIG GPUs together."""
    if len(group) == 1:
        w = group[0]
        return _own_optimum(candidates, policy, w, families.get(w, []), forced.get(w), time_limit_s, tie_break,
                            want_core)
    return _group_optimum(candidates, policy, group, [n for w in group for n in families.get(w, [])],
                          {w: forced[w] for w in group if w in forced}, time_limit_s, tie_break, want_core)


def _solve_together(candidates: CandidateSet, policy: Policy, workloads: list[str], names: list[str],
                    forced: dict[str, str], time_limit_s: float, want_core: bool,
                    hint: dict[str, str], tie_break: bool = True, progress: Progress = SILENT,
                    known: KnownPlan | None = None) -> SolveResult:
    # Hints only from a known feasible plan: CP-SAT's interleaved search aborts (a failed CHECK on
    # its fixed search) when hinted towards a model it then proves infeasible.
    start = lag = None
    lower: dict[str, int] = {}
    options = None
    sliced = _sliced(candidates, workloads)

    def left() -> float:
        """The work a step of a counterfactual's joint search may use: the steps share the solve's
        limit (a known plan guarantees an answer however short they run), each keeping at least
        a share of it; the plan's own solve gives every step the whole limit."""
        if known is None:
            return time_limit_s
        return min(time_limit_s, max(KNOWN_STEP_SHARE * time_limit_s, ledger.own_work_left()))

    if not want_core and len(workloads) > 1 and not sliced:
        patterns, lower, lag = _priced(candidates, policy, workloads, names, forced, time_limit_s, tie_break,
                                       progress)
        if lag is not None:
            patterns = {w: [c.pattern for c in lag.columns[w]] for w in workloads}
        # the greedy repair over the master's columns first (seconds); the master LP's plan made whole
        # with CP-SAT where the repair finds nothing close to the bound, and the cheaper of the two
        start = None if lag is None or forced else _repaired_plan(policy, candidates, workloads, names, lag, left())
        if lag is not None and not _close_to_bound(start, lag):
            rounded = _rounded(policy, candidates, workloads, names, forced, lag, lower, left())
            if rounded is not None and (start is None or rounded.cost < start.cost):
                start = rounded
        # the search over whole patterns, unless the rounded plan is close to the bound, or the
        # pattern model is too large to be worth it next to a plan already known
        if not _close_to_bound(start, lag) and (start is None or pattern_options(patterns) <= FULL_SEARCH_OPTIONS):
            searched = _single_placement_plan(policy, candidates, workloads, names, forced, left(), patterns,
                                              lag.favoured if lag is not None else None)
            if searched is not None and (start is None or searched.cost < start.cost):
                start = searched
        if known is not None and (start is None or known.cost < start.cost):
            start = known  # the relaxed plan: still admitted, and cheaper than what the steps found
        if start is not None and lag is not None and start.cost <= lag.bound:
            # the known plan meets the bound: optimal, no search needed
            return _known_result(candidates, policy, workloads, names, forced, start, lag.bound, time_limit_s,
                                 tie_break)
        if start is not None:
            reduced = _within_slack(candidates, workloads, names, forced, start, lower, lag, FULL_SEARCH_OPTIONS)
            stay = f"more than {FULL_SEARCH_OPTIONS:,} options" if reduced is None else None
            if reduced is not None:
                size = sum(map(len, reduced.values()))
                levelled = size + sum(len(reduced[w]) * (len(candidates.levels.get(w, ())) - 1)
                                      for w in workloads if len(candidates.levels.get(w, ())) > 1)
                if levelled > size and levelled > FULL_SEARCH_LEVELLED:
                    stay = f"{size:,} options ({levelled:,} with their load levels)"
            if stay is not None:
                progress(f"{stay} stay after the exact reductions, more than the full search takes on "
                         f"({FULL_SEARCH_OPTIONS:,}, or {FULL_SEARCH_LEVELLED:,} with load levels): the warm start's "
                         "plan stands, with its gap to the bound")
                stands = _known_result(candidates, policy, workloads, names, forced, start, _best_bound(lag, lower),
                                       time_limit_s, tie_break)
                stands.too_large = stands.status == "feasible"
                return stands
            options = reduced
        elif sum(map(len, candidates.options.values())) > FULL_SEARCH_OPTIONS * FULL_SEARCH_UNREDUCED:
            # no plan to start from, and a full model this size runs CP-SAT out of memory (10,000
            # workloads: 16 GB): no plan within the limit, said as such, rather than a crash
            progress("no warm-start plan was found, and the full model is too large to search: no plan within "
                     "the limit")
            return SolveResult(status="unknown", bound_millicents=_best_bound(lag, lower), too_large=True)
    mm, _ = _build(policy, candidates, workloads, forced, names, options, start.cost if start is not None else None)
    if start is not None:
        add_own_cuts(mm, lower)
        if lag is not None:
            add_lagrange_cuts(mm, lag)
    active = list(mm.enforce)
    if want_core:
        mm.m.add_assumptions([mm.enforce[n] for n in active])
    else:
        for n in active:
            mm.m.add(mm.enforce[n] == 1)
    if start is not None:
        _hint_plan(mm, start)
    elif want_core:
        for w in workloads:
            _hint(mm, w, hint.get(w) or forced.get(w))
    # Assumptions (for a core) need the plain single-thread search: interleaved subsolvers abort on
    # them. One workload alone has no coupling family: the plain search proves it fastest.
    if len(workloads) == 1 and not want_core and start is None:
        mm, solver, code = _alone_in_two_passes(policy, candidates, workloads[0], names, forced, mm, time_limit_s)
    else:
        solver = _solver(left(), interleave=not want_core and len(workloads) > 1, mm=mm)
        code = run_interruptibly(solver, mm.m, _Reporter(progress, _best_bound(lag, lower))
                                  if progress is not SILENT else None)
    if code == cp_model.MODEL_INVALID:  # a defect of the model, never an answer
        raise RuntimeError(f"the placement model is invalid: {mm.m.validate()[:500]}")
    result = SolveResult(status=_status(code))
    if code == cp_model.INFEASIBLE and want_core:
        by_index = {mm.enforce[n].index: n for n in active}
        result.core = sorted(by_index[i] for i in solver.sufficient_assumptions_for_infeasibility() if i in by_index)
    found = code in (cp_model.OPTIMAL, cp_model.FEASIBLE)
    if start is not None and (code == cp_model.UNKNOWN or (code == cp_model.FEASIBLE and
                                                           round(solver.objective_value) > start.cost)):
        # out of time before it found (or beat) the start again: the start stands, with the best bound known
        bound = max(_best_bound(lag, lower), math.floor(solver.best_objective_bound + 1e-6) if found else 0)
        return _known_result(candidates, policy, workloads, names, forced, start, bound, time_limit_s, tie_break)
    if not found:
        return result
    result.cost_millicents = int(round(solver.objective_value))
    # CP-SAT's bound after presolve can be weaker than the Lagrangian one it was given as cuts
    result.bound_millicents = min(result.cost_millicents, max(int(math.floor(solver.best_objective_bound + 1e-6)),
                                                              _best_bound(lag, lower)))
    if len(workloads) > 1 and not sliced:
        result.placements = _placements(mm, solver)
        if tie_break and code == cp_model.OPTIMAL:
            result.placements = _tie_break_each(candidates, policy, names, forced, result.placements, time_limit_s)
        return result
    if tie_break and code == cp_model.OPTIMAL and not _already_preferred(mm, solver):
        solver = _tie_break(mm, solver, result.cost_millicents, time_limit_s)
    result.placements = _placements(mm, solver)
    return result


def _attribution(placements: list[Placement], regional: bool) -> dict[tuple[str, str, str | None], int]:
    """A workload's spend by what coupling families read: provider, vendor (and region)."""
    out: dict[tuple[str, str, str | None], int] = {}
    for p in placements:
        key = (p.option.provider, p.option.vendor, p.option.region_key if regional else None)
        out[key] = out.get(key, 0) + p.cost_millicents
    return out


def _tie_break_each(candidates: CandidateSet, policy: Policy, names: list[str], forced: dict[str, str],
                    placements: Placements, time_limit_s: float) -> Placements:
    """The tie-break of a joint plan, one workload at a time.

    Each workload keeps its cost and its spend per provider and vendor (and region), so every
    coupling family still holds, and among such plans takes the tie-break's preference. Where
    its own optimum has that cost and spread, that is the answer (already tie-broken and
    memoised); otherwise a small model of the workload alone settles it.
    """
    regional = _regional(names)
    families = _own_families(names)
    out: Placements = {}
    for w, found in placements.items():
        spread = _attribution(found, regional)
        own = families.get(w, [])
        alone = _own_optimum(candidates, policy, w, own, forced.get(w), time_limit_s, True, False)
        if alone.status == "optimal" and _attribution(alone.placements[w], regional) == spread:
            out[w] = alone.placements[w]
            continue
        mm, _ = _build(policy, candidates, [w], {w: forced[w]} if w in forced else {}, own)
        for lit in mm.enforce.values():
            mm.m.add(lit == 1)
        attributes = ("provider", "vendor", "region_key") if regional else ("provider", "vendor")
        for attribute in attributes:
            for value in sorted({getattr(o, attribute) for o in mm.options[w]}):
                spent = sum(c for key, c in spread.items() if key[attributes.index(attribute)] == value)
                mm.m.add(mm.spend(attribute, value) == spent)
        first = _solver(max(1e-3, min(TIE_BREAK_LIMIT_S, time_limit_s * TIE_BREAK_SHARE)), interleave=False, mm=mm)
        if run_interruptibly(first, mm.m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            out[w] = found
            continue
        out[w] = _placements(mm, _tie_break(mm, first, int(round(first.objective_value)), time_limit_s))[w]
    return out


def _already_preferred(mm: PlacementModel, solver: cp_model.CpSolver) -> bool:
    """Whether the tie-break could not change the plan: one workload with one demand stream,
    carried whole by one option that comes first, in the candidates' order, among the options
    that alone cost what the plan costs (the tie-break's own first preference)."""
    if len(mm.workloads) != 1:
        return False
    w = mm.workloads[0]
    demand = mm.candidates.demands[w]
    if len(demand) != 1:
        return False
    used = [i for i in range(len(mm.options[w])) if solver.value(mm.n[w, i]) or solver.value(mm.load(w, i))]
    if len(used) != 1:
        return False
    cost = round(solver.objective_value)
    for i, o in enumerate(mm.options[w]):
        if o.full_reach and alone_cost(mm.candidates, w, o) == cost:
            return i == used[0]
    return False


TIE_BREAK_SHARE = 0.1
"""Share of the time limit a tie-break solve may use (deterministic time, like every limit)..."""
TIE_BREAK_LIMIT_S = 1.0
"""...and at most this much."""


def _tie_break(mm: PlacementModel, first: cp_model.CpSolver, cost: int, time_limit_s: float) -> cp_model.CpSolver:
    """Among plans of the optimal cost, prefer each workload's earliest options (cost, latency,
    key), and route users to the nearest regions.

    A second, lexicographic solve with the total fixed at the optimum. A workload with one
    demand stream minimises the ranks of the units it buys (and of the work it bills); one with
    several user locations minimises the round trip each load unit travels, so equal-cost plans
    never send Virginia's users to Frankfurt and Frankfurt's to Virginia. The second solve is
    capped (TIE_BREAK_LIMIT_S of deterministic time): past it, the nearest routing found so far.
    When it stops unproven, placements are moved to their twins at the same price in other
    regions (advisor.solver.twins), one at a time, with the load routed anew onto the moved
    units; a move is kept where the model admits it and it routes nearer. A capped search may
    not get there.
    """
    mm.m.add(mm.total == cost)
    weights: list[int] = []
    variables: list[cp_model.IntVar] = []
    for w in mm.workloads:
        routed = len(mm.candidates.demands[w]) > 1  # one stream has nothing to route
        for i, o in enumerate(mm.options[w]):
            if not routed:
                weights.append(i + 1)
                variables.append(mm.n[w, i])
            if routed or o.load_cost_cents > 0:
                streams = mm.streams(w, o)
                weights.extend(route_steps(o, streams) if routed else [i + 1] * len(streams))
                variables.extend(mm.f[w, i, s] for s in streams)
    mm.m.minimize(cp_model.LinearExpr.weighted_sum(variables, weights))
    limit = max(1e-3, min(TIE_BREAK_LIMIT_S, time_limit_s * TIE_BREAK_SHARE))
    _hint_values(mm, _plan_values(mm, first))
    second = _profiled_solver(limit) if mm.u else _solver(limit, interleave=False, mm=mm)
    code = run_interruptibly(second, mm.m)
    best = second if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else first
    if code == cp_model.OPTIMAL:
        return best
    preference = sum(k * best.value(v) for k, v in zip(weights, variables, strict=True))
    for _ in range(TWIN_ROUNDS):
        for units in twin_moves(mm, best.value)[:TWIN_MOVES]:
            # the moved units fixed, the load routed anew onto them: small, and solved exactly
            _hint_values(mm, units)
            rerouted = _solver(limit, interleave=False, mm=mm)
            rerouted.parameters.fix_variables_to_their_hinted_value = True
            if run_interruptibly(rerouted, mm.m) in (cp_model.OPTIMAL, cp_model.FEASIBLE) \
                    and round(rerouted.objective_value) < preference:
                best, preference = rerouted, round(rerouted.objective_value)
                break  # a move kept: look for the next one from the new plan
        else:
            break  # no move routes nearer (or the model admits none: a region rule, a quota)
    return best


TWIN_ROUNDS = 4
"""Twin moves a tie-break keeps at most, one after another (advisor.solver.twins)..."""
TWIN_MOVES = 12
"""...and the moves it tries from each plan, nearest first."""


def _plan_values(mm: PlacementModel, solver: cp_model.CpSolver) -> dict[cp_model.IntVar, int]:
    """The plan `solver` holds: its units, running units and loads."""
    return {var: int(solver.value(var)) for var in (*mm.n.values(), *mm.f.values(), *mm.u.values(), *mm.g.values())}


def _hint_values(mm: PlacementModel, values: dict[cp_model.IntVar, int]) -> None:
    """The model's hints, replaced by `values`."""
    mm.m.clear_hints()
    for var, value in values.items():
        mm.m.add_hint(var, value)


PROFILED_ONE_WORKER_S = 2.0
"""Deterministic time a profiled workload's second pass gives the search led by reduced costs
before two subsolvers take turns for the rest of its limit (see _within_cost)."""
PROFILED_FIRST_PASS_S = 1.0
"""FIRST_PASS_S for a workload with a traffic profile."""
FIRST_PASS_S = 0.5
"""Deterministic time of the first short search of a workload with families of its own, before
its options are cut to those within the cost of the plan found (see _alone_in_two_passes)."""


def _alone_in_two_passes(policy: Policy, candidates: CandidateSet, w: str, names: list[str],
                         forced: dict[str, str], mm: PlacementModel, time_limit_s: float
                         ) -> tuple[PlacementModel, cp_model.CpSolver, cp_model.CpSolverStatus]:
    """One workload with families of its own (region loss, min_regions): a first plan, then the
    search again over the options within that plan's cost (alone.within_reach: exact, since a
    plan that buys a unit of an option costs at least what that test counts), hinted with the plan.
    Proving region-loss plans over 700 options took up to 48 s; over the 170 within the plan's
    cost, 2 s. The first plan is built without a search where it can be (_two_region_start), else
    found by short searches, each four times longer than the last."""
    keep = _kept(forced.get(w))
    start = None if mm.pools else _two_region_start(candidates, mm, w, names, forced)
    if start is None and mm.u and not mm.pools and w not in forced:
        start = _pattern_start(policy, candidates, mm, w, names, time_limit_s)
    if start is not None:
        found = _within_cost(policy, candidates, w, names, forced, mm, start, keep, time_limit_s)
        if found is not None:
            return found
    left, limit = time_limit_s, PROFILED_FIRST_PASS_S if mm.u else FIRST_PASS_S
    while True:
        first = _profiled_solver(max(1e-3, min(limit, left))) if mm.u else \
            _solver(max(1e-3, min(limit, left)), interleave=False, mm=mm)
        code = run_interruptibly(first, mm.m)
        left -= first.deterministic_time
        if code != cp_model.UNKNOWN or left <= 0:
            break
        limit *= 4
    if code != cp_model.FEASIBLE or left <= 0:
        return mm, first, code
    found = _within_cost(policy, candidates, w, names, forced, mm, _plan_of(mm, first, hints=True), keep, left)
    return found if found is not None else (mm, first, code)  # out of time before it found the plan again


def _pattern_start(policy: Policy, candidates: CandidateSet, mm: PlacementModel, w: str, names: list[str],
                   time_limit_s: float) -> KnownPlan | None:
    """A first plan for a profiled workload alone, found without a search: the cheapest of its
    whole patterns (its cheapest options alone per provider and vendor, and the baseline and
    burst pairs), run through the load levels at its best (_operated). None when that plan breaks
    a rule of the workload's own (then short searches find the first plan)."""
    patterns = whole_patterns(candidates, w, _regional(names), None, mm.options[w])
    if not patterns:
        return None
    rank = _rank(candidates, w)
    best = min(patterns, key=lambda p: (pattern_cost(candidates, w, p), sorted(rank[key] for key in p)))
    operation = _operated(policy, candidates, w, best, time_limit_s)
    if operation is None:
        return None
    running, level_loads = operation
    plan = KnownPlan(units={(w, key): units for key, (units, _) in best.items()},
                     load={(w, key, s): v for key, (_, load) in best.items() for s, v in load.items()}, cost=0,
                     running=running, level_loads=level_loads)
    placements = _known_placements(candidates, [w], plan)
    if set(policy_breaks(placements, policy, candidates)) & set(names):
        return None
    return dataclasses.replace(plan, cost=sum(p.cost_millicents for p in placements[w]))


def _within_cost(policy: Policy, candidates: CandidateSet, w: str, names: list[str], forced: dict[str, str],
                 mm: PlacementModel, known: KnownPlan, keep: frozenset[str], time_limit_s: float
                 ) -> tuple[PlacementModel, cp_model.CpSolver, cp_model.CpSolverStatus] | None:
    """The search over workload w's options within the cost of a known plan of it, hinted with
    that plan; None when it finds no plan in `time_limit_s`."""
    used = frozenset(key for (_, key), n in known.units.items() if n) | frozenset(
        key for (_, key, _), v in known.load.items() if v)
    near = within_reach(mm.options[w], candidates.demands[w], known.cost, used | keep)
    again, _ = _build(policy, candidates, [w], forced, names, {w: near}, known.cost)
    for lit in again.enforce.values():
        again.m.add(lit == 1)
    _hint_plan(again, known)
    # Under a traffic profile the default search is erratic: the same model proved in 1 s, or
    # stayed at the first plan's cost for 90-190 s, as the hint or the spends' ceiling changed.
    # The search led by the LP's reduced costs proves most of them in well under a second; the
    # rest get two interleaved subsolvers from its best plan (see _profiled_solver).
    first_s = min(time_limit_s, PROFILED_ONE_WORKER_S) if again.u else time_limit_s
    second = _profiled_solver(max(1e-3, first_s)) if again.u else _solver(max(1e-3, first_s), False, again)
    code = run_interruptibly(second, again.m)
    left = time_limit_s - second.deterministic_time
    if again.u and code in (cp_model.FEASIBLE, cp_model.UNKNOWN) and left > 0:
        if code == cp_model.FEASIBLE:
            again.m.clear_hints()
            _hint_plan(again, _plan_of(again, second, hints=True))
        second = _profiled_solver(left, interleave=True)
        code = run_interruptibly(second, again.m)
    return (again, second, code) if code in (cp_model.OPTIMAL, cp_model.FEASIBLE) else None


def _two_region_start(candidates: CandidateSet, mm: PlacementModel, w: str, names: list[str],
                      forced: dict[str, str]) -> KnownPlan | None:
    """A plan for a workload whose own rules are region loss or at most two regions, found without a
    search: its cheapest option that carries it alone, plus the cheapest in another region that
    could carry it alone (after a loss), as a standby. Losing either region leaves the other
    carrying everything, and the plan spans two regions (the standby runs nowhere below the peak,
    which region loss does not read); None when the rules are others, or no such pair exists."""
    limits = candidates.limits[w]
    own = {n.partition(":")[0] for n in names if n.partition(":")[2] == w}
    regional = {"region_loss", "min_regions"}
    if forced.get(w) or not own & regional or not own <= regional | {"replicas"} \
            or (limits.min_regions or 0) > 2 or limits.max_replicas is not None:
        return None
    demand = candidates.demands[w]
    whole = []
    for o in mm.options[w]:
        reach = o.failover_serves if "region_loss" in own else (o.serves or tuple(demand))
        if o.full_reach and set(demand) <= set(reach) \
                and units_alone(candidates, w, o) <= o.max_count and o.capacity > 0:
            whole.append((alone_cost(candidates, w, o), o.key, o))
    if not whole:
        return None
    whole.sort(key=lambda item: (item[0], item[1]))
    cost, _, first = whole[0]
    standby = next(((c, o) for c, _, o in whole if o.region_key != first.region_key), None)
    if standby is None:
        return None
    second = standby[1]
    units = units_alone(candidates, w, first)
    shares = [share for share, _ in candidates.levels.get(w, ())]
    return KnownPlan(units={(w, first.key): units, (w, second.key): units_alone(candidates, w, second)},
                     load={(w, first.key, s): d for s, d in demand.items()}, cost=cost + standby[0],
                     running={(w, first.key): running_alone(candidates, w, first, units),
                              (w, second.key): (0,) * len(second.level_costs_cents)},
                     level_loads={(w, first.key): tuple(level_demand(demand, share) for share in shares[1:])})


WARM_START_SHARE = 0.2
"""Share of the time limit the single-placement warm start may use."""


@dataclass(frozen=True)
class KnownPlan:
    """A feasible plan by option key: units per (workload, key), load per (workload, key, stream),
    and units running at each quieter load level (profiled workloads' hourly-billed options)."""

    units: dict[tuple[str, str], int]
    load: dict[tuple[str, str, str], int]
    cost: int
    running: dict[tuple[str, str], tuple[int, ...]] = field(default_factory=dict)
    level_loads: dict[tuple[str, str], tuple[dict[str, int], ...]] = field(default_factory=dict)


def _regional(names: list[str]) -> bool:
    """Whether a family reads regions (then regions set options apart)."""
    return any(n.partition(":")[0] in ("min_regions", "region_loss") for n in names)


def _patterns(candidates: CandidateSet, policy: Policy, w: str, own: list[str], regional: bool,
              forced: str | None, time_limit_s: float, tie_break: bool) -> list[Pattern]:
    """Ways to carry workload w whole for the warm start: its own optimum (which meets its own
    families, however many placements it needs), and its cheapest options alone per provider and
    vendor (which let coupling families move it elsewhere)."""
    out: list[Pattern] = []
    alone = _own_optimum(candidates, policy, w, own, forced, time_limit_s, tie_break, False)
    if alone.status in ("optimal", "feasible"):  # feasible: its own families hold, the proof ran out of work
        out.append({p.option.key: (p.count, dict(p.load)) for p in alone.placements[w]})
    out += [p for p in whole_patterns(candidates, w, regional, forced) if p not in out]
    return out


def _all_patterns(candidates: CandidateSet, policy: Policy, workloads: list[str], names: list[str],
                  forced: dict[str, str], time_limit_s: float, tie_break: bool) -> dict[str, list[Pattern]]:
    families, regional = _own_families(names), _regional(names)
    return {w: _patterns(candidates, policy, w, families.get(w, []), regional, forced.get(w), time_limit_s,
                         tie_break) for w in workloads}


def _single_placement_plan(policy: Policy, candidates: CandidateSet, workloads: list[str], names: list[str],
                           forced: dict[str, str], time_limit_s: float,
                           patterns: dict[str, list[Pattern]],
                           favoured: dict[str, Pattern] | None = None) -> KnownPlan | None:
    """A feasible plan in which every workload takes one of a few whole patterns (_patterns), to
    start the search from and to bound it (None when none is found).

    Choosing one pattern per workload is a small Boolean model, close to the old one-option
    model's search space, that CP-SAT settles quickly. Its plan meets every family, so the full
    search starts from a feasible point, and its cost bounds which options the full model needs
    at all (see _within_slack).
    """
    if not all(patterns.values()):
        return None
    options = {}
    for w in workloads:
        rank = _rank(candidates, w)
        by_key = options_by_key(candidates, w)
        options[w] = [by_key[key] for key in sorted({key for p in patterns[w] for key in p}, key=rank.__getitem__)]
    mm, _ = _build(policy, candidates, workloads, forced, names, options)
    for lit in mm.enforce.values():
        mm.m.add(lit == 1)
    for w in workloads:
        picks = [mm.m.new_bool_var(f"pattern[{w}#{k}]") for k in range(len(patterns[w]))]
        mm.m.add_exactly_one(picks)
        if favoured and favoured.get(w) in patterns[w]:  # the master LP's choice: a start for the search
            chosen = patterns[w].index(favoured[w])
            for k, x in enumerate(picks):
                mm.m.add_hint(x, k == chosen)
        for i, o in enumerate(mm.options[w]):
            used = [(x, p[o.key]) for x, p in zip(picks, patterns[w], strict=True) if o.key in p]
            mm.m.add(mm.n[w, i] == sum(units * x for x, (units, _) in used))
            for s in mm.streams(w, o):
                mm.m.add(mm.f[w, i, s] == sum(load.get(s, 0) * x for x, (_, load) in used))
    solver = _solver(max(1e-3, time_limit_s * WARM_START_SHARE), mm=mm)
    code = run_interruptibly(solver, mm.m)
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _plan_of(mm, solver, hints=True)


def _rank(candidates: CandidateSet, w: str) -> dict[str, int]:
    """Option key -> its position in the candidates' order (cost alone, latency, key)."""
    memo = ("rank", w)
    if memo not in candidates.solved:
        candidates.solved[memo] = {o.key: i for i, o in enumerate(candidates.options[w])}
    rank: dict[str, int] = candidates.solved[memo]
    return rank


def own_lower_bounds(candidates: CandidateSet, policy: Policy, workloads: list[str], names: list[str],
                     forced: dict[str, str], time_limit_s: float, tie_break: bool = True) -> dict[str, int]:
    """What each workload costs at least in any plan: its own optimum (memoised)."""
    families = _own_families(names)
    out = {}
    for w in workloads:
        result = _own_optimum(candidates, policy, w, families.get(w, []), forced.get(w), time_limit_s, tie_break,
                              False)
        out[w] = result.bound_millicents or 0 if result.status in ("optimal", "feasible") else 0
    return out


def add_own_cuts(mm: PlacementModel, lower: dict[str, int]) -> None:
    """Cuts the LP relaxation lacks (integer units): no workload costs less than its own optimum."""
    for w in mm.workloads:
        mm.m.add(mm.workload_cost(w) >= lower[w])


def _within_slack(candidates: CandidateSet, workloads: list[str], names: list[str], forced: dict[str, str],
                  start: KnownPlan, lower: dict[str, int], lag: LagrangeBound | None,
                  stop_above: int) -> dict[str, list[Option]] | None:
    """Each workload's options that a plan no dearer than `start` might use: an exact reduction;
    None as soon as more than `stop_above` stay (the full search would not run: at 1,000 workloads
    reducing the rest took 10 s to count 300,000).

    In any plan costing at most start.cost, workload w costs at most its own optimum plus the
    slack start.cost - sum of all own optima (every other workload costs at least its own).
    Options that alone would cost more than that (alone.within_reach) are in no such plan. With
    a Lagrangian bound, the same holds of weighted costs (reduced-cost fixing, advisor.solver.lagrange).
    """
    slack = max(0, start.cost - sum(lower.values()))
    weighted_slack = lag.slack(start.cost) if lag is not None else 0
    reads = _prefixes(names)
    used: dict[str, set[str]] = {}  # the start's options per workload, in one pass over its units
    for (v, key), units in start.units.items():
        if units:
            used.setdefault(v, set()).add(key)
    out = {}
    kept = 0
    budget = WorkBudget(FILTER_WORK)
    for w in workloads:
        keep = frozenset(used.get(w, ())) | _kept(forced.get(w))
        demand = candidates.demands[w]
        near = within_reach(candidates.options[w], demand, lower[w] + slack, keep)
        if lag is not None:
            near = _within_weighted_slack(near, demand, lag, w, lag.least[w] + weighted_slack, keep, budget)
        out[w] = reduce_options(near, reads, keep, nearest_later=True)
        kept += len(out[w])
        if kept > stop_above:
            return None
    return out


FILTER_WORK = 5_000_000
"""Work (options looked at, see alone.WorkBudget) the plan-by-plan filter of a joint solve may
spend over all its workloads, a few seconds of Python. With a wide slack (a large integrality
gap) listing every plan within it costs more than CP-SAT saves, so the workloads left over keep
the LP test's options. bench_scale's 200-workload fleet under caps needs about 0.2 million."""


def _within_weighted_slack(options: list[Option], demand: dict[str, int], lag: LagrangeBound, w: str, limit: int,
                           keep: frozenset[str], budget: WorkBudget) -> list[Option]:
    """The options some plan of workload w with weighted cost at most `limit` uses: an LP test
    first (alone.within_reach), then, where the exact search covers w and `budget` lasts, the
    plans themselves."""
    weights = [lag.weight(o) for o in options]
    near = within_reach(options, demand, limit, keep, weights=weights)
    min_units = lag.searchable.get(w)
    if min_units is None or len(near) < 2:
        return near
    weights = [lag.weight(o) for o in near]
    used = options_within(near, demand, limit, min_units, weights, budget)
    if used is None:
        return near
    return [o for i, o in enumerate(near) if i in used or o.key in keep or not o.count_cost_cents]


def _lagrange(candidates: CandidateSet, policy: Policy, workloads: list[str], names: list[str],
              forced: dict[str, str], patterns: dict[str, list[Pattern]],
              lower: dict[str, int]) -> LagrangeBound | None:
    """The Lagrangian bound of the coupling rules that are rows over spend (None: there are none)."""
    ctx = Context(policy, candidates, counted_providers(policy, candidates))
    rows, row_names = [], []
    for name in names:
        family = family_of(name)
        row = family.spend_row(ctx, name) if family is not None and couples(name) else None
        if row is not None:
            rows.append(row)
            row_names.append(name)
    families = _own_families(names)
    searchable = {w: None if w in forced else _searchable(candidates, w, families.get(w, [])) for w in workloads}
    lag = lagrange_bound(candidates, workloads, rows, patterns, lower, searchable)
    if lag is not None:
        lag.row_names = row_names
    return lag


def _priced(candidates: CandidateSet, policy: Policy, workloads: list[str], names: list[str],
            forced: dict[str, str], time_limit_s: float, tie_break: bool, progress: Progress = SILENT,
            ) -> tuple[dict[str, list[Pattern]], dict[str, int], LagrangeBound | None]:
    """Each workload's whole patterns, its own optimum, and the Lagrangian bound (None when no
    family is a row over spend, or a workload has no pattern)."""
    patterns = _all_patterns(candidates, policy, workloads, names, forced, time_limit_s, tie_break)
    lower = own_lower_bounds(candidates, policy, workloads, names, forced, time_limit_s, tie_break)
    lag = None
    if all(patterns.values()):
        progress("pricing the coupling rules (Lagrangian bound)")
        lag = _lagrange(candidates, policy, workloads, names, forced, patterns, lower)
    if not forced:  # what plan_lagrange_bound gives the explanations; the solver never reads it back
        candidates.solved[_lagrange_memo(workloads, names)] = lag
    return patterns, lower, lag


def _lagrange_memo(workloads: list[str], names: list[str]) -> tuple[object, ...]:
    """Where a solve without forced options leaves its Lagrangian bound in the candidates' memo."""
    return ("lagrange", tuple(workloads), tuple(names))


def fleet_lagrange_bound(candidates: CandidateSet, policy: Policy, time_limit_s: float = 10.0) -> LagrangeBound | None:
    """The Lagrangian bound of the whole fleet under every family of the policy, as the joint
    solve computes it (None when no family is a row over spend, or a workload has no plan)."""
    workloads = sorted(candidates.options)
    return _priced(candidates, policy, workloads, family_names(policy, candidates), {}, time_limit_s, False)[2]


def plan_lagrange_bound(candidates: CandidateSet, policy: Policy, time_limit_s: float = 10.0) -> LagrangeBound | None:
    """The Lagrangian bound (and its prices) of the last joint solve of these candidates under every
    family of the policy, else computed as fleet_lagrange_bound does. Summary explanations read its
    prices: at 1,000 workloads the LP relaxation's duals took 155 s where the plan's solve had
    already priced the rows."""
    key = _lagrange_memo(sorted(candidates.options), family_names(policy, candidates))
    if key in candidates.solved:
        return candidates.solved[key]  # type: ignore[no-any-return]
    return fleet_lagrange_bound(candidates, policy, time_limit_s)


CUT_LIMIT = 1 << 60
"""Largest value a cut's expression may reach (CP-SAT refuses rows that could overflow 64 bits)."""


def add_lagrange_cuts(mm: PlacementModel, lag: LagrangeBound) -> None:
    """Each workload's weighted cost is at least its L_w: the Lagrangian bound in CP-SAT's relaxation.

    Weights are divided by d and rounded up where the row could overflow: with W' = ceil(W / d),
    sum W' cost >= sum W cost / d >= L_w / d, so the cut stays valid, only a little weaker.
    """
    for w in mm.workloads:
        weights = [lag.weight(o) for o in mm.options[w]]
        demand = mm.candidates.demands[w]
        reach = sum(k * mm.coefficients[w, i].cost(o.max_count, demand, (o.max_count,) * len(o.level_costs_cents))
                    for i, (o, k) in enumerate(zip(mm.options[w], weights, strict=True)))
        d = max(1, -(-reach // CUT_LIMIT))
        if d > 1:
            weights = [-(-k // d) for k in weights]
        mm.m.add(mm.workload_cost(w, weights) >= -(-lag.least[w] // d))


ROUNDED_GAP = 0.005
"""The greedy repair's plan (_repaired_plan) is the warm start when it costs at most this share above
the Lagrangian bound; else the master LP's plan made whole (_rounded) is tried, then the search over
whole patterns, and the cheapest wins."""


def _units_and_loads(patterns: dict[str, Pattern]) -> tuple[dict[tuple[str, str], int],
                                                              dict[tuple[str, str, str], int]]:
    """One whole pattern per workload as a plan's units per (workload, key) and loads per (workload, key, stream)."""
    units = {(w, key): n for w, pattern in patterns.items() for key, (n, _) in pattern.items()}
    load = {(w, key, st): v for w, pattern in patterns.items() for key, (_, carried) in pattern.items()
            for st, v in carried.items()}
    return units, load


def _close_to_bound(plan: KnownPlan | None, lag: LagrangeBound | None) -> bool:
    """Whether a warm start is within ROUNDED_GAP of the Lagrangian bound (then the next steps need not run)."""
    return plan is not None and lag is not None and plan.cost <= lag.bound + lag.bound * ROUNDED_GAP


def _rounded(policy: Policy, candidates: CandidateSet, workloads: list[str], names: list[str],
             forced: dict[str, str], lag: LagrangeBound, lower: dict[str, int], time_limit_s: float
             ) -> KnownPlan | None:
    """The master LP's plan made whole: every workload the LP does not split keeps its column, and
    the split ones (at most one per coupling row in a basic solution) are solved over all their
    options with the rest held fixed. None when that finds no plan (the rest leaves them no room)."""
    if set(lag.favoured) != set(workloads):
        return None
    units, load = _units_and_loads({w: lag.favoured[w] for w in workloads})
    split = sorted(lag.fractional)
    if not split:
        return None
    # columns hold no units per load level: each profiled workload the LP does not split is run at
    # its column's best operation, or re-solved where the column has none
    inside = set(split)
    running: Running = {}
    level_loads: LevelLoads = {}
    for w in sorted(set(workloads) & set(candidates.levels) - inside):
        operation = _operated(policy, candidates, w, lag.favoured[w], time_limit_s)
        if operation is None:
            inside.add(w)
        else:
            running |= operation[0]
            level_loads |= operation[1]
    base = KnownPlan(units=units, load=load, cost=0, running=running, level_loads=level_loads)
    fixed = _known_placements(candidates, [w for w in workloads if w not in inside], base)
    # a column may not meet its workload's own families (a cheapest-alone pattern in one region
    # under survive_region_loss) or its forced option: such workloads are re-solved too
    active = set(names)
    inside |= {n.partition(":")[2] for n in policy_breaks(fixed, policy, candidates) if n in active and not couples(n)}
    inside |= {w for w, key in forced.items() if any(p.option.key != key for p in fixed.get(w, []))}
    split = sorted(inside)
    fixed = {w: ps for w, ps in fixed.items() if w not in inside}
    reads = _prefixes(names)
    own = _own_families(names)
    options = {w: reduce_options(candidates.options[w], reads, _kept(forced.get(w))) for w in split}
    mm, _ = _build(policy, candidates, split, {w: k for w, k in forced.items() if w in inside},
                   [n for n in names if couples(n)] + [n for w in split for n in own.get(w, [])], options,
                   rest=_rest(fixed, counted_providers(policy, candidates)))
    for lit in mm.enforce.values():
        mm.m.add(lit == 1)
    # the bounds each re-solved workload has on its own: without them CP-SAT ran the whole limit
    # on 5 workloads of 1,000 (18 s) for want of a bound
    add_own_cuts(mm, lower)
    add_lagrange_cuts(mm, lag)
    # no hints: the LP's columns may not fit with the rest fixed, and CP-SAT's interleaved search
    # aborts when hinted towards a model it then proves infeasible
    solver = _solver(max(1e-3, time_limit_s * WARM_START_SHARE), mm=mm)
    if run_interruptibly(solver, mm.m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    units = {k: v for k, v in units.items() if k[0] not in inside}
    load = {k: v for k, v in load.items() if k[0] not in inside}
    units |= {(w, mm.options[w][i].key): int(solver.value(var)) for (w, i), var in mm.n.items()}
    load |= {(w, mm.options[w][i].key, st): int(solver.value(var)) for (w, i, st), var in mm.f.items()}
    running = {k: v for k, v in running.items() if k[0] not in inside} | _running_by_key(mm, solver)
    level_loads = {k: v for k, v in level_loads.items() if k[0] not in inside} | \
        _level_loads_by_key(mm, solver, every=True)
    plan = KnownPlan(units=units, load=load, cost=int(round(solver.objective_value)),
                     running=running, level_loads=level_loads)
    # the workloads held fixed were only checked against the coupling rows: their own families
    # (regions, region loss, replicas) and forced options are checked here, without the solver
    placements = _known_placements(candidates, workloads, plan)
    if set(policy_breaks(placements, policy, candidates)) & set(names) or any(
            p.option.key != key for w, key in forced.items() for p in placements[w]):
        return None
    return plan


def _repaired_plan(policy: Policy, candidates: CandidateSet, workloads: list[str], names: list[str],
                   lag: LagrangeBound, time_limit_s: float) -> KnownPlan | None:
    """The greedy repair's plan over the Lagrangian columns (advisor.solver.repair), when it meets
    every family: the joint solve's first warm start (seconds, no search)."""
    own = _own_families(names)
    counted = counted_providers(policy, candidates)
    contexts: dict[str, Context] = {}  # per workload with rules of its own: its limits alone, so that a
    # family lists only that workload's names (over the fleet's limits each check read 10,000 of them)

    def allowed(w: str, column: Column) -> bool:
        mine = own.get(w)
        if not mine:
            return True
        if w not in contexts:
            contexts[w] = Context(policy, dataclasses.replace(candidates, limits={w: candidates.limits[w]}), counted)
        placements = _known_placements(candidates, [w], KnownPlan(*_units_and_loads({w: column.pattern}), cost=0))
        families = {family_of(n) for n in mine}
        return not set(mine) & {n for family in families if family for n in family.broken(contexts[w], placements)}

    chosen = repaired(lag, workloads, allowed)
    if chosen is None:
        return None
    units, load = _units_and_loads({w: column.pattern for w, column in chosen.items()})
    running: Running = {}
    level_loads: LevelLoads = {}
    for w, column in chosen.items():
        if len(candidates.levels.get(w, ())) > 1:
            operation = _operated(policy, candidates, w, column.pattern, time_limit_s)
            if operation is None:
                return None
            running |= operation[0]
            level_loads |= operation[1]
    plan = KnownPlan(units=units, load=load, cost=0, running=running, level_loads=level_loads)
    placements = _known_placements(candidates, workloads, plan)
    if set(policy_breaks(placements, policy, candidates)) & set(names):
        return None
    return dataclasses.replace(plan, cost=sum(p.cost_millicents for ps in placements.values() for p in ps))


OPERATION_WORK_S = 0.05
"""Work (deterministic seconds) that running one pattern through a profile's load levels may take:
its units and peak loads are fixed, so the model is a small LP over level units and loads."""


Running = dict[tuple[str, str], tuple[int, ...]]
"""Units running at each quieter load level per (workload, option key)."""
LevelLoads = dict[tuple[str, str], tuple[dict[str, int], ...]]
"""Load per stream carried at each quieter load level per (workload, option key)."""


def _operated(policy: Policy, candidates: CandidateSet, w: str, pattern: Pattern,
              time_limit_s: float) -> tuple[Running, LevelLoads] | None:
    """A profiled workload's pattern run at its cheapest through the quieter load levels: the units
    running and the loads carried per (workload, option key) at each level (None: the pattern
    cannot carry a level, e.g. its units miss a min_replicas the levels need)."""
    by_key = options_by_key(candidates, w)
    rank = _rank(candidates, w)
    options = [by_key[key] for key in sorted(pattern, key=rank.__getitem__)]
    mm, _ = _build(policy, candidates, [w], {}, [], {w: options})
    for i, o in enumerate(options):
        units, load = pattern[o.key]
        mm.m.add(mm.n[w, i] == units)
        for s in mm.streams(w, o):
            mm.m.add(mm.f[w, i, s] == load.get(s, 0))
    solver = _solver(min(time_limit_s, OPERATION_WORK_S), interleave=False, mm=mm)
    if run_interruptibly(solver, mm.m) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    return _running_by_key(mm, solver), _level_loads_by_key(mm, solver, every=True)


def _rest(fixed: Placements, counted: frozenset[str]) -> Rest:
    """The spend and presence of placements held fixed, as the model's coupling rows read them."""
    spend: dict[tuple[str, str], int] = {}
    presence: list[tuple[str, Option, int]] = []
    for w, placements in fixed.items():
        for p in placements:
            for attribute in ("provider", "vendor", "team"):
                key = (attribute, getattr(p.option, attribute))
                spend[key] = spend.get(key, 0) + p.cost_millicents
            billed_by_unit = Coefficients.of(p.option, sum(p.demand.values())).per_unit > 0
            presence.append((w, p.option, p.count if billed_by_unit else sum(p.load.values())))
    placed = [p for ps in fixed.values() for p in ps]
    return Rest(spend=spend, total=sum(p.cost_millicents for p in placed),
                counted=sum(p.cost_millicents for p in placed if p.option.provider in counted), presence=presence,
                units=[(p.option, p.count) for p in placed])


FULL_SEARCH_OPTIONS = 60_000
"""Options (after the exact reductions) above which a joint solve does not run the full CP-SAT
search: its model then takes minutes to build and many gigabytes to search (a generated
1,000-workload fleet: over 17 GB), so the warm start's plan stands, with its gap to the
Lagrangian bound. bench_scale's 200 workloads under caps keep about 9,000."""


FULL_SEARCH_LEVELLED = 20_000
"""Options plus (option, quieter load level) pairs above which a joint solve of a fleet with traffic
profiles does not run the full search either. Each level adds units, loads and rows per option,
and CP-SAT's work then runs at a fraction of wall-clock speed: bench_scale's 70 profiled workloads
under caps (9,592 options, 23,861 with levels) took 214 s to improve the warm start by 0.004%,
its 100 (17,816 and 66,597) 500 s for 0.0003%."""
FULL_SEARCH_UNREDUCED = 5
"""Candidate options (before the reductions) per FULL_SEARCH_OPTIONS above which a joint solve with
no warm-start plan does not build the full model: at 1,000 workloads (660,000 options) it took
34 s to build and more than 17 GB to search, and at 10,000 it ran out of memory."""


def _best_bound(lag: LagrangeBound | None, lower: dict[str, int]) -> int:
    """The best bound known before the full search: the Lagrangian one, or the own optima summed."""
    return max(lag.bound if lag is not None else 0, sum(lower.values()))


def _known_placements(candidates: CandidateSet, workloads: list[str], plan: KnownPlan) -> Placements:
    """A known plan's placements of `workloads` (the plan may hold others), each workload's in the
    candidates' order."""
    placements: Placements = {}
    used: dict[str, set[str]] = {w: set() for w in workloads}
    for (v, key), units in plan.units.items():
        if units and v in used:
            used[v].add(key)
    for (v, key, _), load in plan.load.items():
        if load and v in used:
            used[v].add(key)
    for w in workloads:
        by_key = options_by_key(candidates, w)
        keys = sorted(used[w], key=_rank(candidates, w).__getitem__)
        options = [by_key[key] for key in keys]
        mixed = any(map(bucket_of, candidates.demands[w]))  # only a mix's placements state their level loads
        placements[w] = _placements_of(candidates, w, options,
                                       {i: plan.units.get((w, key), 0) for i, key in enumerate(keys)},
                                       {(i, s): plan.load.get((w, key, s), 0)
                                        for i, key in enumerate(keys) for s in candidates.demands[w]},
                                       {i: plan.running[w, key] for i, key in enumerate(keys)
                                        if (w, key) in plan.running},
                                       {i: plan.level_loads[w, key] for i, key in enumerate(keys)
                                        if (w, key) in plan.level_loads and mixed})
    return placements


def _known_result(candidates: CandidateSet, policy: Policy, workloads: list[str], names: list[str],
                  forced: dict[str, str], start: KnownPlan, bound: int, time_limit_s: float,
                  tie_break: bool) -> SolveResult:
    """The known plan as the result: the optimum when it meets `bound` (then tie-broken per
    workload), else a feasible plan with that bound, for when the full search finds nothing better
    within its limit."""
    placements = _known_placements(candidates, workloads, start)
    proven = start.cost <= bound
    if tie_break and proven:
        placements = _tie_break_each(candidates, policy, names, forced, placements, time_limit_s)
    return SolveResult(status="optimal" if proven else "feasible", placements=placements, cost_millicents=start.cost,
                       bound_millicents=start.cost if proven else bound)


def _placements(mm: PlacementModel, solver: cp_model.CpSolver) -> Placements:
    loads: dict[str, dict[tuple[int, str], int]] = {w: {} for w in mm.workloads}
    for (w, i, s), var in mm.f.items():  # one pass over the loads, not one per workload
        loads[w][i, s] = int(solver.value(var))
    running: dict[str, dict[int, tuple[int, ...]]] = {w: {} for w in mm.workloads}
    for (w, i), levels in _running(mm, solver).items():
        running[w][i] = levels
    level_loads: dict[str, dict[int, tuple[dict[str, int], ...]]] = {w: {} for w in mm.workloads}
    for (w, i), carried in _level_loads(mm, solver).items():
        level_loads[w][i] = carried
    return {w: _placements_of(mm.candidates, w, mm.options[w],
                              {i: int(solver.value(mm.n[w, i])) for i in range(len(mm.options[w]))}, loads[w],
                              running[w], level_loads[w])
            for w in mm.workloads}


def _level_loads(mm: PlacementModel, solver: cp_model.CpSolver,
                 every: bool = False) -> dict[tuple[str, int], tuple[dict[str, int], ...]]:
    """Under a request-size mix and a traffic profile: per (workload, option index) the load of
    each stream at each quieter level (the plan states it; other workloads need no routing there,
    the checker finds one by max-flow). With `every`, of every profiled workload (a known plan
    hints them)."""
    mixed = {w for w in mm.workloads if w in mm.candidates.levels
             and (every or any(map(bucket_of, mm.candidates.demands[w])))}
    if not mixed:
        return {}
    quieter = {w: len(mm.candidates.levels[w]) - 1 for w in mixed}
    found: dict[tuple[str, int], list[dict[str, int]]] = {}
    for (w, i, s, level), var in mm.g.items():
        if w in mixed:
            loads = found.setdefault((w, i), [{} for _ in range(quieter[w])])
            value = int(solver.value(var))
            if value:
                loads[level - 1][s] = value
    return {key: tuple(loads) for key, loads in found.items()}


def _level_loads_by_key(mm: PlacementModel, solver: cp_model.CpSolver,
                        every: bool = False) -> dict[tuple[str, str], tuple[dict[str, int], ...]]:
    return {(w, mm.options[w][i].key): loads for (w, i), loads in _level_loads(mm, solver, every).items()}


def _plan_of(mm: PlacementModel, solver: cp_model.CpSolver, hints: bool = False) -> KnownPlan:
    """The solver's plan by option key (with `hints`, the loads at every level of every profiled
    workload, to hint a later search with the whole plan)."""
    return KnownPlan(units={(w, mm.options[w][i].key): int(solver.value(v)) for (w, i), v in mm.n.items()},
                     load={(w, mm.options[w][i].key, s): int(solver.value(v)) for (w, i, s), v in mm.f.items()},
                     cost=int(round(solver.objective_value)), running=_running_by_key(mm, solver),
                     level_loads=_level_loads_by_key(mm, solver, every=hints))


def _hint_plan(mm: PlacementModel, plan: KnownPlan) -> None:
    """Hint the model with a known plan, every variable of it: units and loads, and under a traffic
    profile the units running and the loads at each level (a partial hint can keep CP-SAT at the
    hinted cost far longer than no hint)."""
    for (w, i), var in mm.n.items():
        mm.m.add_hint(var, plan.units.get((w, mm.options[w][i].key), 0))
    for (w, i, s), var in mm.f.items():
        mm.m.add_hint(var, plan.load.get((w, mm.options[w][i].key, s), 0))
    for (w, i, level), var in mm.u.items():
        running = plan.running.get((w, mm.options[w][i].key), ())
        mm.m.add_hint(var, running[level - 1] if level <= len(running) else 0)
    for (w, i, s, level), var in mm.g.items():
        loads = plan.level_loads.get((w, mm.options[w][i].key), ())
        mm.m.add_hint(var, loads[level - 1].get(s, 0) if level <= len(loads) else 0)


def _running(mm: PlacementModel, solver: cp_model.CpSolver) -> dict[tuple[str, int], tuple[int, ...]]:
    """Units running at each quieter load level, per (workload, option index) with level variables."""
    found: dict[tuple[str, int], list[int]] = {}
    for (w, i, _), var in sorted(mm.u.items()):
        found.setdefault((w, i), []).append(int(solver.value(var)))
    return {key: tuple(levels) for key, levels in found.items()}


def _running_by_key(mm: PlacementModel, solver: cp_model.CpSolver) -> dict[tuple[str, str], tuple[int, ...]]:
    return {(w, mm.options[w][i].key): levels for (w, i), levels in _running(mm, solver).items()}


def _placements_of(candidates: CandidateSet, w: str, options: list[Option], units: dict[int, int],
                   loads: dict[tuple[int, str], int],
                   running: dict[int, tuple[int, ...]] | None = None,
                   level_loads: dict[int, tuple[dict[str, int], ...]] | None = None) -> list[Placement]:
    """A workload's placements from units per option index, load per (option index, stream) and,
    under a traffic profile, units running (and, under a request-size mix, loads carried) at each
    quieter level per option index."""
    demand = candidates.demands[w]
    total = sum(demand.values())
    found = []
    for i, o in enumerate(options):
        c = Coefficients.of(o, total)
        load = {s: loads[i, s] for s in demand if loads.get((i, s))}
        count = units.get(i, 0)
        if c.per_unit == 0:  # units of work-billed options cost nothing: report what the load needs
            count = _units_for(o, load)
        if count == 0 and not load:
            continue
        levels = (running or {}).get(i, ())
        cost = c.cost(count, load, levels)
        found.append(Placement(option=o, count=count, load=load, cost_millicents=cost, demand=demand, running=levels,
                               level_loads=(level_loads or {}).get(i, ())))
    found.sort(key=lambda p: (-sum(p.load.values()), p.option.key))
    return _with_min_replicas(found, candidates.limits[w], options)


def _units_for(o: Option, load: dict[str, int]) -> int:
    capacity = math.floor(o.capacity * CAP_SCALE)
    return min(o.max_count, o.units_for(load)) if load and capacity else 0


def _with_min_replicas(found: list[Placement], limits: WorkloadLimits, options: list[Option]) -> list[Placement]:
    """Work-billed units hold at least min_replicas instances in all (free: billing follows the
    work): first on the placements that carry work, then as standby placements of the free options
    in the candidates' order."""
    short = limits.min_replicas - sum(p.count for p in found) if limits.by_count else 0
    for k, p in enumerate(found):
        if short <= 0:
            break
        if p.option.count_cost_cents == 0:
            extra = min(short, p.option.max_count - p.count)
            found[k] = Placement(option=p.option, count=p.count + extra, load=p.load,
                                 cost_millicents=p.cost_millicents, demand=p.demand, running=p.running,
                                 level_loads=p.level_loads)
            short -= extra
    placed = {p.option.key for p in found}
    demand = found[0].demand if found else {}
    for o in options:
        if short <= 0:
            break
        if o.count_cost_cents == 0 and o.load_cost_cents >= 0 and o.key not in placed and o.max_count > 0:
            extra = min(short, o.max_count)
            found.append(Placement(option=o, count=extra, load={}, cost_millicents=0, demand=demand))
            short -= extra
    return found


PROFILED_SUBSOLVERS = ("reduced_costs", "default_lp")
"""The two interleaved subsolvers of a profiled workload's search once one has not proved it."""


def _profiled_solver(time_limit_s: float, interleave: bool = False) -> cp_model.CpSolver:
    """A solver for one workload with a traffic profile (load levels) alone: the full linear
    relaxation, and a search that branches on the LP's reduced costs (CP-SAT's LP_SEARCH, the
    "reduced_costs" subsolver). On 25 profiled own optima (bench/bench_profiled.py) it cut the time
    from 33.5 s to 20.0 s; the default search took 8-11 s on the shipped chat service's rules. With
    `interleave`, that search and the default one take turns (see _within_cost)."""
    solver = _solver(time_limit_s, interleave=interleave)
    solver.parameters.linearization_level = 2
    if interleave:
        solver.parameters.num_workers = len(PROFILED_SUBSOLVERS)
        solver.parameters.subsolvers.extend(PROFILED_SUBSOLVERS)
    else:
        solver.parameters.search_branching = cp_model.LP_SEARCH
    return solver


def _solver(time_limit_s: float, interleave: bool = True, mm: PlacementModel | None = None) -> cp_model.CpSolver:
    """A solver with the project's settings; `mm`, when given, tunes it to that model."""
    solver = cp_model.CpSolver()
    solver.parameters.max_deterministic_time = time_limit_s
    if mm is not None and (mm.u or (len(mm.workloads) == 1 and _regional(list(mm.enforce)))):
        # Load levels (traffic profiles): with only the default linear relaxation the single search
        # stalled far from the bound (30 s unproven) on a model the full relaxation proves in 0.6 s.
        # One workload under region loss or min_regions likewise: of the 237 such workloads in the
        # 10,000-workload bench fleet, 11 stayed unproven at 10 deterministic seconds each (bound
        # $6,953 under a $11,841 plan, which the full relaxation proves in 1.9); with it one did,
        # and their own optima took 122 s instead of 233 s (90 s with region loss's fewer rows).
        solver.parameters.linearization_level = 2
    # Several subsolvers (LNS, feasibility jump, ...) interleaved deterministically: placement
    # models with share caps need them to find plans, and interleaving keeps runs reproducible.
    solver.parameters.num_workers = SUBSOLVERS if interleave else 1  # fixed: answers never depend on cores
    solver.parameters.interleave_search = interleave
    solver.parameters.random_seed = 0
    # CP-SAT's own SIGINT handler ends the search as if time ran out and then resets the
    # process's handler; the CLI handles signals itself (see run_interruptibly).
    solver.parameters.catch_sigint_signal = False
    return solver


class _Reporter(cp_model.CpSolverSolutionCallback):
    """Passes each better plan the search finds, with the bound, to the progress display."""

    def __init__(self, progress: Progress, floor: int = 0):
        super().__init__()
        self.progress = progress
        self.floor = floor  # a bound known before the search (Lagrangian, own optima): CP-SAT's may start below it

    def on_solution_callback(self) -> None:
        bound = min(self.objective_value, max(self.best_objective_bound, self.floor))
        self.progress.solving(self.objective_value / (100 * MILLI), bound / (100 * MILLI))


def run_interruptibly(solver: cp_model.CpSolver, model: cp_model.CpModel,
                      callback: cp_model.CpSolverSolutionCallback | None = None) -> cp_model.CpSolverStatus:
    """Solve in a helper thread so that a signal handler can run in the main thread meanwhile.

    The search runs in C++ with the GIL released; the main thread waits in short joins, so
    Ctrl-C or SIGTERM raises in it at once. The search is then stopped before the exception
    goes on, and the interrupted solve is never taken for an answer.
    """
    outcome: list[cp_model.CpSolverStatus] = []
    thread = threading.Thread(target=lambda: outcome.append(solver.solve(model, callback)), name="cp-sat", daemon=True)
    thread.start()
    try:
        while thread.is_alive():
            thread.join(0.05)
            if ledger.stop_requested():  # a counterfactual whose answer is no longer wanted
                raise ledger.Stopped
    except BaseException:
        solver.stop_search()
        thread.join()
        raise
    ledger.charge(solver.deterministic_time)
    return outcome[0]


def _status(code: cp_model.CpSolverStatus) -> str:
    return {
        cp_model.OPTIMAL: "optimal",
        cp_model.FEASIBLE: "feasible",
        cp_model.INFEASIBLE: "infeasible",
    }.get(code, "unknown")
