"""When nothing fits: every independent cause, and relaxations that are checked to work.

Two kinds of cause can hold at once: workloads that have no option at all (every option
breaks some rule), and a policy that no combination of the remaining options meets. Each
suggested relaxation is a set of concrete input changes covering every cause together; it is
applied to the inputs and re-planned before it is reported, so following it makes the plan
feasible, and its `resulting_monthly_cost_usd` is that re-planned total.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from dataclasses import dataclass

from advisor.candidates import PHYSICAL_RULES, CandidateSet, Option, RuledOut
from advisor.changes import apply_changes, describe_change, rule_changes
from advisor.demand import bucket_of, location_of
from advisor.explain import Explainer, describe, label, ruled_out_groups, usd
from advisor.plan import Change, EmptyWorkload, Infeasibility, Relaxation
from advisor.solver import SolveResult
from advisor.solver.families import Context, family_of
from advisor.solver.model import counted_providers
from advisor.workload.models import Policy, Workload

MAX_FIXES_PER_WORKLOAD = 3
MAX_RELAXATIONS = 4
BISECTION_STEPS = 10
"""Steps of the search for the least latency raise: within 0.1% of the span searched."""


def _number(change: Change) -> float:
    assert isinstance(change.value, (int, float))
    return float(change.value)


def _nice(value: float) -> float:
    """Round a suggested limit up to three significant figures, so it reads like one a user writes."""
    if value <= 0:
        return value
    scale = 10 ** (math.floor(math.log10(value)) - 2)
    return float(math.ceil(value / scale - 1e-9) * scale)


@dataclass(frozen=True)
class _Fix:
    """Changes that give one workload options again, with the cheapest option they bring back."""

    workload: str
    rules: tuple[str, ...]
    changes: tuple[Change, ...]
    option: Option


class _Search:
    def __init__(self, ex: Explainer):
        self.ex = ex

    def candidates_for(self, workloads: list[Workload], policy: Policy, changed: set[str]) -> CandidateSet:
        """Candidates of the changed inputs, rebuilding only the workloads an edit touched."""
        if "policy" in changed:  # allowed_providers changes every workload's options
            return self.ex.build(workloads, policy, frozenset())
        rebuilt = self.ex.build([w for w in workloads if w.name in changed], policy, frozenset())
        return self.ex.candidates.with_rebuilt(rebuilt)

    def fixes(self, name: str) -> list[_Fix]:
        """Up to three checked ways to give workload `name` options again, cheapest first."""
        w = next(x for x in self.ex.workloads if x.name == name)
        by_rules: dict[tuple[str, ...], list[RuledOut]] = defaultdict(list)
        for r in self.ex.candidates.ruled_out[name]:
            if not set(r.rules) & PHYSICAL_RULES and r.monthly_cost_cents is not None and len(r.rules) <= 2:
                by_rules[tuple(sorted(r.rules))].append(r)
        order = sorted(by_rules, key=lambda rs: (len(rs), min(r.monthly_cost_cents or 0 for r in by_rules[rs]), rs))
        found: list[_Fix] = []
        for rules in order:
            found.extend(self._fixes(w, rules))
            if len(found) >= MAX_FIXES_PER_WORKLOAD:
                break
        return found[:MAX_FIXES_PER_WORKLOAD]

    def _fixes(self, w: Workload, rules: tuple[str, ...]) -> list[_Fix]:
        """The fix for `rules`; for latency objectives both the least raise and the cheapest one."""
        least = self._fix(w, rules, least=True)
        cheapest = self._fix(w, rules, least=False) if "latency_slo" in rules else None
        fixes = [f for f in (least, cheapest) if f is not None]
        if len(fixes) == 2 and fixes[0].changes == fixes[1].changes:
            fixes.pop()
        return fixes

    def _fix(self, w: Workload, rules: tuple[str, ...], least: bool = True) -> _Fix | None:
        rebuilt_relaxed = self.ex.build([w], self.ex.policy, frozenset(rules))
        relaxed = [o for o in rebuilt_relaxed.options[w.name] if o.full_reach]
        if not relaxed or rebuilt_relaxed.unserved.get(w.name):
            return None
        option = relaxed[0]
        changes: list[Change] = []
        for rule in rules:
            found = rule_changes(w, self.ex.policy, rule, option)
            if found is None:
                return None
            changes.extend(found)
        if least:
            changes = self._least_latency_raise(w, changes)
        workloads, policy = apply_changes([w], self.ex.policy, changes)
        rebuilt = self.ex.build(workloads, policy, frozenset())
        after = rebuilt.options[w.name]
        if not after or rebuilt.unserved.get(w.name):
            return None
        return _Fix(w.name, rules, tuple(changes), after[0])

    def _least_latency_raise(self, w: Workload, changes: list[Change]) -> list[Change]:
        """Latency objectives raised only as far as needed for some option to fit (bisection).

        The cheapest option without a latency limit runs at its largest batch, often many times
        slower than the fastest option; a user asks how little to relax, so search between the
        objective as written and that option's latency for the smallest raise that still works.
        """
        raised = [c for c in changes if c.field.startswith("slo.") and isinstance(c.value, (int, float))]
        if not raised:
            return changes
        slo = getattr(w, "slo", None)
        written = {c.field: float(getattr(slo, c.field.removeprefix("slo."))) for c in raised}

        def at(fraction: float) -> list[Change]:
            return [c.model_copy(update={"value": _nice(written[c.field] + fraction * (_number(c) - written[c.field]))})
                    if c in raised else c for c in changes]

        def works(fraction: float) -> bool:
            workloads, policy = apply_changes([w], self.ex.policy, at(fraction))
            rebuilt = self.ex.build(workloads, policy, frozenset())
            return bool(rebuilt.options[w.name]) and not rebuilt.unserved.get(w.name)

        low, high = 0.0, 1.0
        for _ in range(BISECTION_STEPS):
            middle = (low + high) / 2
            low, high = (low, middle) if works(middle) else (middle, high)
        return at(high)

    def relaxations(self, fixes: tuple[_Fix, ...]) -> tuple[list[Relaxation], list[str] | None]:
        """Complete relaxations that start from `fixes`, and the conflicting families left after them."""
        changes = [c for f in fixes for c in f.changes]
        workloads, policy = apply_changes(self.ex.workloads, self.ex.policy, changes)
        candidates = self.candidates_for(workloads, policy, {c.document for c in changes})
        planned = self.ex.solve(candidates, policy)
        if planned.placements:
            return [self._relaxation(fixes, [], planned)], []
        if planned.status != "infeasible":
            return [], None
        core = self.ex.core(candidates, policy)
        if not core:
            return [], core
        out = []
        for family in core:
            relaxed = self.ex.solve(candidates, policy, disabled=frozenset({family}))
            if not relaxed.placements:
                continue
            owner = family_of(family)
            ctx = Context(policy, candidates, counted_providers(policy, candidates))
            change = owner.relax(family, ctx, relaxed.placements) if owner is not None else None
            if change is None:
                continue
            fixed_workloads, fixed_policy = apply_changes(workloads, policy, [change])
            if change.document == "policy":
                replanned = self.ex.solve(candidates, fixed_policy)
            else:  # a workload's own rule (replicas, regions, region loss): rebuild its options
                rebuilt = candidates.with_rebuilt(self.ex.build(
                    [w for w in fixed_workloads if w.name == change.document], fixed_policy, frozenset()))
                replanned = self.ex.solve(rebuilt, fixed_policy)
            if replanned.placements:
                out.append(self._relaxation(fixes, [(family, change)], replanned))
        return out, core

    def _relaxation(self, fixes: tuple[_Fix, ...], families: list[tuple[str, Change]],
                    planned: SolveResult) -> Relaxation:
        changes = [c for f in fixes for c in f.changes] + [c for _, c in families]
        names = [f"{f.workload}:{r}" for f in fixes for r in f.rules] + [n for n, _ in families]
        parts = [f"{f.workload}: relax {' and '.join(describe(r) for r in f.rules)} (then {label(f.option)} "
                 f"works)" for f in fixes]
        parts += [f"relax {describe(n)}" for n, _ in families]
        proven = planned.status == "optimal"
        total = planned.cost_cents or 0
        cost_text = f"${total / 100:,.2f}" if proven else f"at most ${total / 100:,.2f}"
        suggestion = ("; ".join(parts) + ": " + "; ".join(describe_change(c) for c in changes)
                      + f". The plan then costs {cost_text} per month")
        single = fixes[0].option.monthly_cost_cents if len(fixes) == 1 else None
        return Relaxation(constraints=names, suggestion=suggestion, resulting_monthly_cost_usd=usd(total),
                          option_monthly_cost_usd=usd(single) if single is not None else None,
                          changes=changes, proven_optimal=proven)


def _unserved(ex: Explainer, workload: str) -> str:
    locations = ex.candidates.unserved.get(workload) or []
    if not locations or not ex.candidates.options[workload]:
        return ""
    named = [location_of(s) if bucket_of(s) is None else f"{bucket_of(s)} requests of its users in {location_of(s)}"
             for s in locations]
    if all(bucket_of(s) is None for s in locations):
        return f" (no option can serve its users in {', '.join(named)} within the objectives)"
    return f" (no option can serve the {'; the '.join(named)} within the objectives)"


def explain_infeasibility(ex: Explainer) -> Infeasibility:
    """Every independent cause of infeasibility, and relaxations that fix all of them at once."""
    search = _Search(ex)
    empty_names = ex.result.empty_workloads
    empty = [EmptyWorkload(workload=w, reasons=ruled_out_groups(ex.candidates.ruled_out[w])) for w in empty_names]
    causes = [f"no option satisfies every rule for {w}" + _unserved(ex, w) for w in empty_names]
    fixes = {w: search.fixes(w) for w in empty_names}
    stuck = [w for w, found in fixes.items() if not found]
    relaxations: list[Relaxation] = []
    core: list[str] | None = []
    if stuck:
        causes.append(f"no relaxation of one or two rules gives {', '.join(stuck)} an option: every option also "
                      "breaks a hardware limit (memory, fabric, capacity) or needs several rules relaxed")
    else:
        combos = itertools.islice(itertools.product(*(fixes[w] for w in empty_names)), MAX_RELAXATIONS)
        first = True
        for combo in combos:
            found, combo_core = search.relaxations(combo)
            if first:
                core = combo_core
                first = False
            relaxations.extend(found)
            if len(relaxations) >= MAX_RELAXATIONS:
                break
    conflicting = core or []
    if conflicting:
        lead = "even with those workloads fixed, " if empty_names else ""
        together = " together with ".join(describe(n) for n in conflicting)
        causes.append(f"{lead}no combination of options meets {together}")
    elif core is None:
        causes.append(f"which policy constraints conflict was not determined within {ex.limit_text}")
    message = "; and ".join(causes) if causes else "no feasible plan"
    return Infeasibility(message=message, causes=causes, conflicting_constraints=conflicting,
                         workloads_without_options=empty, relaxations=relaxations[:MAX_RELAXATIONS])
