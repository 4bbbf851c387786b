"""Explanations: why each choice, why not the next-best, what each constraint costs, and,
when nothing fits, which constraints conflict and what to relax.

Every answer comes from re-running the same candidate rules or the same CP-SAT model with
one named rule or constraint family switched off, or with one option forced, so an
explanation is a measured counterfactual rather than a guess.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable

from advisor.candidates import PHYSICAL_RULES, RULES, CandidateSet, Option, RuledOut
from advisor.plan import (
    Alternative,
    ConstraintCost,
    EmptyWorkload,
    Explanation,
    Infeasibility,
    Relaxation,
    RuledOutGroup,
)
from advisor.solver import SolveResult, solve
from advisor.solver.model import family_names
from advisor.workload.models import Policy, Workload

FAMILY_DESCRIPTIONS = {
    "budget_total": "policy: total monthly budget",
    "budget_team": "policy: monthly budget of team {}",
    "provider_share": "policy: largest share of spend on provider {}",
    "vendor_share": "policy: largest share of spend on accelerator vendor {}",
    "min_providers": "policy: minimum number of providers",
}
MAX_ALTERNATIVES = 3


def usd(cents: int | float) -> float:
    return round(cents / 100, 2)


def money(cents: int | float) -> str:
    return f"${cents / 100:,.2f}"


def describe(name: str) -> str:
    """Human description of a constraint family (`provider_share:aws`) or candidate rule."""
    family, _, arg = name.partition(":")
    if family in FAMILY_DESCRIPTIONS:
        return FAMILY_DESCRIPTIONS[family].format(arg)
    return RULES.get(name, name)


def _label(o: Option | RuledOut) -> str:
    return f"{o.offering} ({o.provider} {o.region}, {o.pricing})"


def ruled_out_groups(ruled: list[RuledOut]) -> list[RuledOutGroup]:
    """Ruled-out options grouped by rule, each with the cheapest option that broke only it."""
    count: dict[str, int] = defaultdict(int)
    closest: dict[str, RuledOut] = {}
    for r in ruled:
        for rule in r.rules:
            count[rule] += 1
        if len(r.rules) == 1 and r.monthly_cost_cents is not None:
            rule = r.rules[0]
            best = closest.get(rule)
            if best is None or (r.monthly_cost_cents, _label(r)) < (best.monthly_cost_cents, _label(best)):
                closest[rule] = r
    groups = []
    for rule in sorted(count, key=lambda k: (-count[k], k)):
        c = closest.get(rule)
        groups.append(RuledOutGroup(
            rule=rule, description=describe(rule), count=count[rule],
            closest=f"{_label(c)}: {c.reasons[0]}" if c else None,
            closest_monthly_cost_usd=usd(c.monthly_cost_cents) if c and c.monthly_cost_cents is not None else None,
        ))
    return groups


def _alternatives(chosen: Option, options: list[Option], why: Callable[[Option], str]) -> list[Alternative]:
    shown: set[tuple[str, str, str]] = {(chosen.provider, chosen.offering, chosen.pricing)}
    picked: list[Alternative] = []
    for o in options:
        triple = (o.provider, o.offering, o.pricing)
        if o.key == chosen.key or triple in shown:
            continue
        shown.add(triple)
        picked.append(Alternative(
            provider=o.provider, region=o.region, instance=o.offering, accelerator=o.accelerator,
            pricing=o.pricing, monthly_cost_usd=usd(o.monthly_cost_cents),
            delta_usd=usd(o.monthly_cost_cents - chosen.monthly_cost_cents), latency_ms=o.latency_ms,
            why_not=why(o),
        ))
        if len(picked) == MAX_ALTERNATIVES:
            break
    return picked


class Explainer:
    """Counterfactual questions against one candidate set and policy."""

    def __init__(self, workloads: list[Workload], policy: Policy, candidates: CandidateSet,
                 result: SolveResult, rebuild: Callable[[frozenset[str]], CandidateSet],
                 time_limit_s: float):
        self.workloads = workloads
        self.policy = policy
        self.candidates = candidates
        self.result = result
        self.rebuild = rebuild
        self.time_limit_s = time_limit_s

        self.binding: list[str] = []

    def _solve(self, candidates: CandidateSet | None = None, **kwargs) -> SolveResult:
        """A counterfactual solve: only its cost matters, so use both cores and skip tie-breaks."""
        kwargs.setdefault("workers", 2)
        kwargs.setdefault("tie_break", False)
        if self.result.chosen and "forced" not in kwargs:  # the plan is feasible in every relaxation
            kwargs.setdefault("hint", {w: o.key for w, o in self.result.chosen.items()})
        return solve(candidates or self.candidates, self.policy, time_limit_s=self.time_limit_s, **kwargs)

    def _core(self, **kwargs) -> list[str]:
        """A minimal set of constraint families that cannot hold together (for an infeasible model).

        CP-SAT's assumption core is sufficient but not minimal; each family in it is dropped in
        turn (deletion filter) and kept out if the rest alone is still proven infeasible.
        """
        core = self._solve(want_core=True, workers=1, **kwargs).core
        everything = set(self.families())
        needed = list(core)
        for name in core:
            trial = [n for n in needed if n != name]
            if self._solve(disabled=frozenset(everything - set(trial)), **kwargs).status == "infeasible":
                needed = trial
        return needed

    # --- why this and not that -------------------------------------------------------
    def why_not(self, w: Workload, chosen: Option, alt: Option) -> str:
        delta = alt.monthly_cost_cents - chosen.monthly_cost_cents
        if delta > 0:
            text = f"costs {money(delta)} more per month"
            if alt.latency_ms is not None and chosen.latency_ms is not None and alt.latency_ms > chosen.latency_ms:
                text += f" and is slower ({alt.latency_ms:.0f} ms vs {chosen.latency_ms:.0f} ms)"
            return text
        forced = self._solve(forced={w.name: alt.key})
        lead = "cheaper" if delta < 0 else "same cost"
        if forced.status == "infeasible":
            core = self._core(forced={w.name: alt.key})
            names = ", ".join(f"{describe(n)} ({n})" for n in core) or "the constraints together"
            return f"{lead}, but choosing it breaks {names}"
        if forced.cost_cents is not None and self.result.cost_cents is not None:
            rise = forced.cost_cents - self.result.cost_cents
            if rise <= 0 and delta < 0:
                return ("cheaper here, but the plan total is the same either way (other placements shift to "
                        "stay within the policy); the tie is broken by option order")
            if rise > 0:
                because = ", ".join(f"{describe(n)} ({n})" for n in self.binding) or "the policy"
                return (f"{lead} here, but then other placements must change to stay within {because}; "
                        f"the plan total rises by {money(rise)}")
        return "same cost; the tie is broken by latency, then name, so the plan is reproducible"

    def explanations(self) -> list[Explanation]:
        out = []
        for w in self.workloads:
            chosen = self.result.chosen[w.name]
            options = self.candidates.options[w.name]
            ruled = self.candidates.ruled_out[w.name]
            alternatives = _alternatives(chosen, options, lambda o, w=w, c=chosen: self.why_not(w, c, o))
            summary = (f"{chosen.instances} x {chosen.offering} ({chosen.accelerator_count} x {chosen.accelerator}) "
                       f"in {chosen.provider} {chosen.region}, {chosen.pricing}, {money(chosen.monthly_cost_cents)}"
                       f"/month; cheapest of {len(options)} feasible options")
            if options and options[0].key != chosen.key:
                summary = summary.replace("cheapest of", "chosen from")
            out.append(Explanation(workload=w.name, summary=summary, options_considered=len(options) + len(ruled),
                                   options_feasible=len(options), alternatives=alternatives,
                                   ruled_out=ruled_out_groups(ruled)))
        return out

    # --- what each constraint costs ----------------------------------------------------
    def relaxable_rules(self) -> list[str]:
        used = {rule for ruled in self.candidates.ruled_out.values() for r in ruled for rule in r.rules}
        return sorted(r for r in used if r not in PHYSICAL_RULES and r != "kind_match")

    def families(self) -> list[str]:
        """Names of the constraint families in the model."""
        return family_names(self.policy, self.candidates, sorted(self.candidates.options))

    def constraint_costs(self) -> list[ConstraintCost]:
        base = self.result.cost_cents or 0
        families = self.families()
        out = []
        for name in families:
            relaxed = self._solve(disabled=frozenset({name}))
            out.append(self._cost_row(name, base, relaxed))
        for rule in self.relaxable_rules():
            relaxed = self._solve(self.rebuild(frozenset({rule})))
            out.append(self._cost_row(rule, base, relaxed))
        self.binding = [c.name for c in out if c.binding and c.name in families]
        return sorted(out, key=lambda c: (not c.binding, -(c.cost_usd or 0.0), c.name))

    def _cost_row(self, name: str, base: int, relaxed: SolveResult) -> ConstraintCost:
        if relaxed.cost_cents is None:
            return ConstraintCost(name=name, description=describe(name), binding=False, cost_usd=None,
                                  detail=f"not re-solved within {self.time_limit_s:g} s")
        saving = base - relaxed.cost_cents
        binding = saving > 0
        detail = (f"without it the plan would cost {money(relaxed.cost_cents)} ({money(saving)} less)"
                  if binding else "not binding: the plan is the same cost without it")
        if relaxed.status != "optimal":
            detail += f" (best found in {self.time_limit_s:g} s, not proven optimal)"
        return ConstraintCost(name=name, description=describe(name), binding=binding,
                              cost_usd=usd(max(0, saving)), detail=detail)

    # --- when nothing fits --------------------------------------------------------------
    def infeasibility(self) -> Infeasibility:
        empty = [EmptyWorkload(workload=w, reasons=ruled_out_groups(self.candidates.ruled_out[w]))
                 for w in self.result.empty_workloads]
        relaxations: list[Relaxation] = []
        for item in empty:
            relaxations.extend(self._option_relaxations(item.workload))
        core: list[str] = []
        if not empty:
            core = self._core()
            relaxations.extend(self._family_relaxations(core))
        if empty:
            names = ", ".join(e.workload for e in empty)
            message = f"no option satisfies every rule for: {names}"
        else:
            message = ("every workload has options, but no combination of them meets "
                       + " together with ".join(describe(n) for n in core))
        return Infeasibility(message=message, conflicting_constraints=core,
                             workloads_without_options=empty, relaxations=relaxations)

    def _option_relaxations(self, workload: str) -> list[Relaxation]:
        """For a workload with no option: the rules whose relaxation alone brings options back."""
        ruled = self.candidates.ruled_out[workload]
        by_rules: dict[tuple[str, ...], list[RuledOut]] = defaultdict(list)
        for r in ruled:
            if not set(r.rules) & PHYSICAL_RULES and r.monthly_cost_cents is not None:
                by_rules[tuple(sorted(r.rules))].append(r)
        out = []
        for rules in sorted(by_rules, key=lambda rs: (len(rs), min(r.monthly_cost_cents or 0 for r in by_rules[rs]))):
            if len(rules) > 2 or len(out) >= 4:
                continue
            best = min(by_rules[rules], key=lambda r: (r.monthly_cost_cents, _label(r)))
            out.append(Relaxation(
                constraints=list(rules),
                suggestion=f"{workload}: relax {' and '.join(describe(r) for r in rules)}; then "
                           f"{_label(best)} works ({best.reasons[0]})",
                resulting_monthly_cost_usd=usd(best.monthly_cost_cents or 0)))
        if not out:
            out.append(Relaxation(constraints=[], suggestion=f"{workload}: no relaxation of one or two rules "
                                  "helps; every option also breaks a hardware limit (memory, fabric)"))
        return out

    def _family_relaxations(self, core: list[str]) -> list[Relaxation]:
        out = []
        for name in core:
            relaxed = self._solve(disabled=frozenset({name}))
            if relaxed.cost_cents is None:
                continue
            out.append(Relaxation(constraints=[name], suggestion=self._suggest(name, relaxed),
                                  resulting_monthly_cost_usd=usd(relaxed.cost_cents)))
        if not out and core:
            relaxed = self._solve(disabled=frozenset(core))
            if relaxed.cost_cents is not None:
                out.append(Relaxation(constraints=core, suggestion="relax all of: " +
                                      ", ".join(describe(n) for n in core),
                                      resulting_monthly_cost_usd=usd(relaxed.cost_cents)))
        return out

    def _suggest(self, name: str, relaxed: SolveResult) -> str:
        family, _, arg = name.partition(":")
        total = relaxed.cost_cents or 0
        chosen = relaxed.chosen.values()
        if family == "budget_total":
            return f"raise budget.monthly_usd to at least {math.ceil(total / 100):,}"
        if family == "budget_team":
            spend = sum(o.monthly_cost_cents for o in chosen if o.team == arg)
            return f"raise team {arg}'s budget to at least {math.ceil(spend / 100):,} USD/month"
        if family in ("provider_share", "vendor_share"):
            attribute = "provider" if family == "provider_share" else "vendor"
            spend = sum(o.monthly_cost_cents for o in chosen if getattr(o, attribute) == arg)
            pct = math.ceil(1000 * spend / total) / 10 if total else 0
            field = "max_provider_share_pct" if family == "provider_share" else "max_vendor_share_pct"
            return f"raise lock_in.{field} to {pct:g} (the share of {arg} in the cheapest plan without the cap)"
        if family == "min_providers":
            used = len({o.provider for o in chosen})
            return f"lower lock_in.min_providers to {used}"
        return f"relax {describe(name)}"
