"""Explanations: why each choice, why not the next-best, and what each constraint costs.

Every answer comes from re-running the same candidate rules or the same CP-SAT model with
one named rule or constraint family switched off, or with one option forced, so an
explanation is a measured counterfactual rather than a guess. A counterfactual that is not
settled within its time limit is reported as such, never as a fact.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Literal

from advisor.candidates import PHYSICAL_RULES, RULES, SIZING_RULES, CandidateSet, Option, RuledOut
from advisor.plan import Alternative, ConstraintCost, Explanation, RuledOutGroup
from advisor.progress import SILENT, Progress
from advisor.solver import Placement, SolveResult, solve
from advisor.solver.families import COUPLING, couples, family_of
from advisor.solver.lp import LpPrices, first_order_prices, lagrange_prices
from advisor.solver.model import family_names, plan_lagrange_bound, solver_work
from advisor.workload.models import Policy, Workload

SETTING_DESCRIPTIONS = {
    "budget.per_team_monthly_usd": "policy: every team budget together",
    "lock_in.max_provider_share_pct": "policy: the provider share cap, for every provider at once",
    "lock_in.max_vendor_share_pct": "policy: the vendor share cap, for every vendor at once",
}
MAX_ALTERNATIVES = 3
ExplainMode = Literal["full", "summary", "none"]
SUMMARY_ABOVE = 200
"""Fleets with more workloads than this get `--explain summary` unless asked otherwise."""


def explain_mode(requested: str, workloads: int) -> ExplainMode:
    """The explanation depth: `auto` is full up to SUMMARY_ABOVE workloads, summary above."""
    if requested == "auto":
        return "full" if workloads <= SUMMARY_ABOVE else "summary"
    assert requested in ("full", "summary", "none")
    return requested  # type: ignore[return-value]

Build = Callable[[list[Workload], Policy, frozenset[str]], CandidateSet]
"""Candidates for (workloads, policy) with some rules switched off."""


def usd(cents: int | float) -> float:
    return round(cents / 100, 2)


def money(cents: int | float) -> str:
    return f"${cents / 100:,.2f}"


def describe(name: str) -> str:
    """Human description of a constraint family (`provider_share:aws`), setting or candidate rule."""
    family = family_of(name)
    if family is not None:
        return family.describe(name)
    return SETTING_DESCRIPTIONS.get(name) or RULES.get(name, name)


def setting_of(name: str) -> str | None:
    """The policy or workload field a user edits to change a family (several families may share one)."""
    family = family_of(name)
    if family is None:
        return None
    return family.setting if family.prefix in COUPLING else name


def label(o: Option | RuledOut) -> str:
    sliced = getattr(o, "mig_profile", None)
    what = f"{sliced} slice of {o.offering}" if sliced else o.offering
    return f"{what} ({o.provider} {o.region}, {o.pricing})"


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
            if best is None or (r.monthly_cost_cents, label(r)) < (best.monthly_cost_cents, label(best)):
                closest[rule] = r
    groups = []
    for rule in sorted(count, key=lambda k: (-count[k], k)):
        c = closest.get(rule)
        groups.append(RuledOutGroup(
            rule=rule, description=describe(rule), count=count[rule],
            closest=f"{label(c)}: {c.reasons[0]}" if c else None,
            closest_monthly_cost_usd=usd(c.monthly_cost_cents) if c and c.monthly_cost_cents is not None else None,
        ))
    return groups


@dataclass(frozen=True)
class Interval:
    """What is known of an optimum after a solve: proven between `low` and `high` cents."""

    low: int | None
    high: int | None

    @classmethod
    def of(cls, result: SolveResult) -> Interval:
        if result.status == "optimal":
            return cls(result.cost_cents, result.cost_cents)
        return cls(result.bound_cents, result.cost_cents)

    @property
    def exact(self) -> bool:
        return self.low is not None and self.low == self.high


def _alternatives(chosen: Option, options: list[Option], why: Callable[[Option], tuple[str, bool]],
                  plan_cents: float, single: bool) -> list[Alternative]:
    """The next-best options that could carry the whole workload alone, against its cost in the plan."""
    shown: set[tuple[str, str, str]] = {(chosen.provider, chosen.offering, chosen.pricing)} if single else set()
    picked: list[Alternative] = []
    for o in options:
        triple = (o.provider, o.offering, o.pricing)
        if not o.full_reach or (single and o.key == chosen.key) or triple in shown:
            continue
        shown.add(triple)
        text, proven = why(o)
        picked.append(Alternative(
            provider=o.provider, region=o.region, instance=o.offering, accelerator=o.accelerator,
            pricing=o.pricing, monthly_cost_usd=usd(o.monthly_cost_cents),
            delta_usd=usd(o.monthly_cost_cents - plan_cents), latency_ms=o.latency_ms,
            why_not=text, proven=proven, instances=o.instances, accelerator_count=o.accelerator_count,
            ttft_ms=round(o.sizing.ttft_ms + (o.network_rtt_ms or 0.0), 1)
            if o.sizing.ttft_ms is not None and o.kind == "realtime-inference" else None,
        ))
        if len(picked) == MAX_ALTERNATIVES:
            break
    return picked


def _placement_text(p: Placement, with_share: bool) -> str:
    o = p.option
    devices = p.instances * (o.accelerator_count // max(1, o.instances))
    what = f"{o.mig_profile} slice{'s' if p.instances > 1 else ''} of {o.offering}" if o.mig_profile else \
        f"{o.offering} ({devices} x {o.accelerator})"
    text = f"{p.instances} x {what} in {o.provider} {o.region}, {o.pricing}"
    if not with_share:
        return text
    if p.share == 0:
        return text + ", standby: no traffic in normal operation"
    return text + f", {100 * p.share:.0f}% of the load"


class Explainer:
    """Counterfactual questions against one candidate set and policy."""

    def __init__(self, workloads: list[Workload], policy: Policy, candidates: CandidateSet,
                 result: SolveResult, build: Build, time_limit_s: float,
                 progress: Progress = SILENT, mode: ExplainMode = "full", budget_s: float | None = None):
        self.progress = progress
        self.mode = mode
        self.budget_s = budget_s
        self.started = solver_work()
        self.cut_short = 0
        self._prices: LpPrices | None = None
        self.workloads = workloads
        self.policy = policy
        self.candidates = candidates
        self.result = result
        self.build = build
        self.time_limit_s = time_limit_s
        self.binding: list[str] = []

    @property
    def spent(self) -> bool:
        """Whether the explanation budget (deterministic solver work, all counterfactuals together) is used up."""
        return self.budget_s is not None and solver_work() - self.started >= self.budget_s

    @property
    def limit_text(self) -> str:
        if self.spent:
            return f"the explanation budget ({self.budget_s:g} s of solver work for all explanations)"
        return f"{self.time_limit_s:g} s of solver work"

    def solve(self, candidates: CandidateSet | None = None, policy: Policy | None = None,
              **kwargs) -> SolveResult:
        """A counterfactual solve: only its cost matters, so tie-breaks are skipped."""
        kwargs.setdefault("tie_break", False)
        if self.spent:  # not run: reported as not determined, naming the budget
            self.cut_short += 1
            return SolveResult(status="unknown")
        if self.result.chosen and "forced" not in kwargs and policy is None:
            # the plan is feasible in every relaxation of the same inputs: start from it
            kwargs.setdefault("hint", {w: o.key for w, o in self.result.chosen.items()})
            if not kwargs.get("want_core"):
                kwargs.setdefault("known", self.result)
        return solve(candidates or self.candidates, policy or self.policy, time_limit_s=self.time_limit_s, **kwargs)

    def core(self, candidates: CandidateSet | None = None, policy: Policy | None = None,
             **kwargs) -> list[str] | None:
        """A minimal set of constraint families that cannot hold together (None: not settled in time).

        CP-SAT's assumption core is sufficient but not minimal; each family in it is dropped in
        turn (deletion filter) and kept out if the rest alone is still proven infeasible.
        """
        first = self.solve(candidates, policy, want_core=True, **kwargs)
        if first.status != "infeasible":
            return None
        candidates, policy = candidates or self.candidates, policy or self.policy
        everything = set(family_names(policy, candidates, sorted(candidates.options)))
        needed = list(first.core)
        for name in first.core:
            trial = [n for n in needed if n != name]
            relaxed = self.solve(candidates, policy, disabled=frozenset(everything - set(trial)), **kwargs)
            if relaxed.status == "infeasible":
                needed = trial
        return needed

    # --- why this and not that -------------------------------------------------------
    def plan_cents(self, workload: str) -> float:
        """What the plan spends on one workload, all its placements together."""
        return sum(p.cost_cents for p in self.result.placements.get(workload, []))

    def why_not(self, w: Workload, chosen: Option, alt: Option) -> tuple[str, bool]:
        """Why `alt` alone is not the plan for `w`, and whether that is proven."""
        delta = round(alt.monthly_cost_cents - self.plan_cents(w.name))
        if delta > 0:
            text = f"costs {money(delta)} more per month"
            if (alt.latency_ms is not None and chosen.latency_ms is not None
                    and round(alt.latency_ms) > round(chosen.latency_ms)):
                text += f" and is slower ({alt.latency_ms:.0f} ms vs {chosen.latency_ms:.0f} ms)"
            return text, True
        lead = "cheaper" if delta < 0 else "same cost"
        if self.mode != "full":
            return (f"{lead} alone; whether the policy allows it was not re-solved (--explain {self.mode}; "
                    "--explain full checks it)"), False
        forced = self.solve(forced={w.name: alt.key})
        if forced.status == "infeasible":
            core = self.core(forced={w.name: alt.key})
            if core is None:
                return (f"{lead}, but no plan with it meets the policy; which constraints conflict was not "
                        f"determined within {self.limit_text}"), True
            names = ", ".join(f"{describe(n)} ({n})" for n in core) or "the constraints together"
            return f"{lead}, but choosing it breaks {names}", True
        if forced.status == "unknown":
            return (f"{lead}; whether a plan with it meets the policy was not determined within "
                    f"{self.limit_text}"), False
        return self._rise_text(lead, delta, Interval.of(forced))

    def _rise_text(self, lead: str, delta: int, forced: Interval) -> tuple[str, bool]:
        """How much the plan total changes when the alternative is forced in, as far as is proven."""
        base = Interval.of(self.result)
        assert forced.high is not None and base.high is not None
        if forced.exact and base.exact:
            rise = forced.high - base.high
            if rise > 0:
                because = ", ".join(f"{describe(n)} ({n})" for n in self.binding) or "the policy"
                return (f"{lead} here, but then other placements must change to stay within {because}; "
                        f"the plan total rises by {money(rise)}"), True
            if delta < 0:
                return ("cheaper here, but the plan total is the same either way (other placements shift to "
                        "stay within the policy); the tie is broken by option order"), True
            return "same cost; the tie is broken by latency, then name, so the plan is reproducible", True
        low_rise = (forced.low or 0) - base.high
        if low_rise > 0:
            return (f"{lead} here, but the plan total would rise by at least {money(low_rise)} (the exact "
                    f"figure was not determined within {self.limit_text})"), True
        return (f"{lead}; with it the plan would cost at most {money(forced.high)} against "
                f"{money(base.high)}, but which is cheaper was not determined within {self.limit_text}"), False

    def explanations(self) -> list[Explanation]:
        out = []
        for done, w in enumerate(self.workloads):
            self.progress.step("explaining choices", done, len(self.workloads))
            chosen = self.result.chosen[w.name]
            placements = self.result.placements[w.name]
            options = self.candidates.options[w.name]
            ruled = self.candidates.ruled_out[w.name]
            single = len(placements) == 1
            alternatives = [] if self.mode == "none" else _alternatives(
                chosen, options, partial(self.why_not, w, chosen), self.plan_cents(w.name), single)
            summary = self._summary(w, placements, options)
            out.append(Explanation(workload=w.name, summary=summary, options_considered=len(options) + len(ruled),
                                   options_feasible=len(options), alternatives=alternatives,
                                   ruled_out=ruled_out_groups(ruled)))
        self.progress.step("explaining choices", len(self.workloads), len(self.workloads))
        return out

    def _summary(self, w: Workload, placements: list[Placement], options: list[Option]) -> str:
        parts = [_placement_text(p, len(placements) > 1) for p in placements]
        total = money(self.plan_cents(w.name))
        feasible = sum(1 for o in options if o.full_reach)
        if len(placements) == 1:
            cheapest = options and options[0].key == placements[0].option.key
            lead = "cheapest of" if cheapest else "chosen from"
            return f"{parts[0]}, {total}/month; {lead} the {feasible} options that carry it alone"
        why = (f"cheaper than any of the {feasible} options that could carry it alone, or the rules need it"
               if feasible else "no single option serves every user location within the objectives")
        return f"{len(placements)} placements, {total}/month together: " + "; ".join(parts) + f" ({why})"

    # --- what each constraint costs ----------------------------------------------------
    def relaxable_rules(self) -> list[str]:
        used = self.candidates.ruled_out.rules_used()
        return sorted(r for r in used if r not in PHYSICAL_RULES and r != "kind_match")

    def families(self) -> list[str]:
        """Names of the constraint families in the model."""
        return family_names(self.policy, self.candidates, sorted(self.candidates.options))

    def constraint_costs(self) -> list[ConstraintCost]:
        """Price every user-facing setting as a whole, its single families as a breakdown, and every rule."""
        families = self.families()
        groups: dict[str, list[str]] = defaultdict(list)
        for name in families:
            groups[setting_of(name) or name].append(name)
        top: list[tuple[ConstraintCost, list[ConstraintCost]]] = []
        rules = self.relaxable_rules()
        count = len(groups) + len(rules)
        for step, (setting, members) in enumerate(groups.items(), start=1):
            self.progress.step("pricing constraints", step - 1, count)
            if self.mode == "summary" and not self.result.separable and all(map(couples, members)):
                top.append((self._first_order_row(setting, members), []))
                continue
            if self.mode == "summary" and not self.result.separable and not any(map(couples, members)):
                top.append((self._alone_row(setting, members), []))
                continue
            if len(members) == 1:
                top.append((self._cost_row(members[0], self.relaxed(frozenset(members)), setting=setting), []))
                continue
            whole = self._cost_row(setting, self.relaxed(frozenset(members)), setting=setting)
            if whole.binding is False:  # lifting all of them saves nothing, so lifting any part saves nothing
                parts = [whole.model_copy(update={"name": n, "description": describe(n), "part_of": setting})
                         for n in members]
                top.append((whole, parts))
                continue
            if self.mode != "full":
                top.append((whole, []))
                continue
            parts = [self._cost_row(n, self.relaxed(frozenset({n})), setting=setting) for n in members]
            parts = [p.model_copy(update={"part_of": setting}) for p in parts]
            top.append((self._with_sum_note(whole, parts), parts))
        for step, rule in enumerate(rules, start=len(groups) + 1):
            self.progress.step("pricing constraints", step - 1, count)
            if self.mode == "summary" and not self.result.separable:  # a joint re-solve per rule: not in summary
                top.append((ConstraintCost(name=rule, description=describe(rule), setting=f"workload rule {rule}",
                                           binding=None, cost_usd=None, proven=False,
                                           detail="not re-solved (--explain summary; --explain full re-solves it)"),
                            []))
                continue
            relaxed = self.solve(self.without_rule(rule))
            top.append((self._cost_row(rule, relaxed, setting=f"workload rule {rule}"), []))
        self.progress.step("pricing constraints", count, count)
        self.binding = [row.name for row, parts in top for row in (row, *parts)
                        if row.binding and row.name not in rules]
        top.sort(key=lambda pair: (pair[0].binding is not True, -(pair[0].cost_usd or 0.0), pair[0].name))
        # a share cap proven not to bind needs no "$0.00" row per provider; team budgets are each a setting
        return [row for whole, parts in top
                for row in (whole, *(parts if whole.binding is not False or whole.name == "budget.per_team_monthly_usd"
                                     else []))]

    def without_rule(self, rule: str) -> CandidateSet:
        """The candidates with a candidate rule lifted. A rule that sizing does not read changes only
        the workloads it ruled something out for, so only those are rebuilt; one it reads (latency,
        power) can change every workload's sizings, so all are."""
        if rule in SIZING_RULES:
            return self.build(self.workloads, self.policy, frozenset({rule}))
        ruled_out = self.candidates.ruled_out
        affected = [w for w in self.workloads if any(rule in r.rules for r in ruled_out[w.name])]
        return self.candidates.with_rebuilt(self.build(affected, self.policy, frozenset({rule})))

    def _first_order_row(self, setting: str, members: list[str]) -> ConstraintCost:
        """A rule coupling the fleet, priced to first order instead of by a re-solve (summary mode): by the
        joint solve's Lagrangian prices where it has them, else by the LP relaxation's duals."""
        if self._prices is None:
            lag = plan_lagrange_bound(self.candidates, self.policy, self.time_limit_s)
            self._prices = lagrange_prices(lag, self.result.bound_millicents or 0) if lag is not None else \
                first_order_prices(self.candidates, self.policy, self.families(), self.time_limit_s)
        lp = self._prices
        priced = sorted(((lp.prices[n], n) for n in members if n in lp.prices),
                        key=lambda pair: (-pair[0].usd_per_unit, pair[1]))
        name = setting if len(members) > 1 else members[0]
        row = ConstraintCost(name=name, description=describe(name), setting=setting, binding=None, cost_usd=None,
                             proven=False, detail="not re-solved (--explain summary)")
        if not priced:
            return row.model_copy(update={"detail": row.detail + f"; {lp.source} give no first-order price"})
        (top, which), unit = priced[0], priced[0][0].unit
        detail = (f"{row.detail}; first-order price from {lp.source}: about "
                  f"${top.usd_per_unit:,.2f} a month saved per {unit}"
                  + (f" ({which}, the highest of its {len(members)} rules)" if len(members) > 1 else ""))
        plan = self.result.cost_millicents
        if lp.objective_millicents is not None and plan and lp.objective_millicents < 0.99 * plan:
            below = 100 * (1 - lp.objective_millicents / plan)
            detail += (f"; {lp.relaxation} is {below:.0f}% below the plan's cost, so this "
                       "figure can understate what the rule costs: --explain full re-solves it")
        return row.model_copy(update={"detail": detail, "first_order_usd": round(top.usd_per_unit, 4),
                                      "first_order_unit": unit})

    def _alone_row(self, setting: str, members: list[str]) -> ConstraintCost:
        """A workload's own rule priced on that workload alone (summary mode, a joint plan): its own
        optimum with the rule against without it, the coupling rules left out of both. A re-solve of
        the fleet per workload rule took longer than the plan at 1,000 workloads; this takes two
        solves of one workload (memoised), and is exact where no coupling rule binds."""
        w = members[0].partition(":")[2]
        alone = self.candidates.only([w])
        coupling = frozenset(n for n in family_names(self.policy, alone) if couples(n))
        kept, lifted = self.solve(alone, disabled=coupling), self.solve(alone, disabled=coupling | set(members))
        row = ConstraintCost(name=setting, description=describe(setting), setting=setting, binding=None,
                             cost_usd=None, proven=False, detail="not re-solved for the fleet (--explain summary)")
        if kept.status != "optimal" or lifted.status != "optimal":
            return row.model_copy(update={"detail": f"{row.detail}; workload {w} alone was not solved within "
                                                    f"{self.limit_text}"})
        assert kept.cost_cents is not None and lifted.cost_cents is not None
        saved = kept.cost_cents - lifted.cost_cents
        return row.model_copy(update={"detail": (
            f"{row.detail}; on workload {w} alone it costs {money(saved)} a month (its own optimum "
            f"{money(kept.cost_cents)} with it, {money(lifted.cost_cents)} without); the fleet's figure can "
            "differ where share caps or budgets bind: --explain full re-solves it")})

    def relaxed(self, disabled: frozenset[str]) -> SolveResult:
        """The plan without the families in `disabled`. Where every workload already runs at its own
        optimum, lifting rules that couple workloads cannot make it cheaper: no solve is needed."""
        if self.result.separable and all(map(couples, disabled)):
            return self.result
        return self.solve(disabled=disabled)

    def _with_sum_note(self, whole: ConstraintCost, parts: list[ConstraintCost]) -> ConstraintCost:
        """Say whether the per-family rows add up to the price of the whole setting, and why not."""
        if whole.cost_usd is None or any(p.cost_usd is None for p in parts):
            return whole
        total = round(sum(p.cost_usd or 0.0 for p in parts), 2)
        if abs(total - whole.cost_usd) < 0.01:
            note = f"; the {len(parts)} rows below add up to it" if whole.binding else ""
        else:
            note = (f"; the {len(parts)} rows below, each lifted alone, add up to ${total:,.2f} instead: the caps act "
                    "together (with one lifted, the others still hold), so only the whole setting has this price")
        return whole.model_copy(update={"detail": whole.detail + note})

    def _cost_row(self, name: str, relaxed: SolveResult, setting: str | None) -> ConstraintCost:
        """The price of one constraint: the plan total with it minus the total without it, as far as proven."""
        base, without = Interval.of(self.result), Interval.of(relaxed)
        description = describe(name)

        def row(binding: bool | None, cost_usd: float | None, detail: str, proven: bool = True) -> ConstraintCost:
            return ConstraintCost(name=name, description=description, setting=setting, binding=binding,
                                  cost_usd=cost_usd, detail=detail, proven=proven)

        if without.high is None:
            return row(binding=None, cost_usd=None, proven=False,
                       detail=f"not determined within {self.limit_text}")
        assert base.high is not None
        saving_low = (base.low if base.low is not None else 0) - without.high
        saving_high = base.high - (without.low if without.low is not None else 0)
        if base.exact and without.exact:
            saving = base.high - without.high
            detail = (f"without it the plan would cost {money(without.high)} ({money(saving)} less)" if saving > 0
                      else "not binding: the plan is the same cost without it")
            return row(binding=saving > 0, cost_usd=usd(max(0, saving)), detail=detail)
        if saving_low > 0:
            return row(binding=True, cost_usd=None, proven=False,
                       detail=f"binding: without it the plan would cost at least {money(saving_low)} less "
                              f"(the exact figure was not determined within {self.limit_text})")
        if saving_high <= 0:
            return row(binding=False, cost_usd=0.0, detail="not binding: no plan without it is cheaper")
        return row(binding=None, cost_usd=None, proven=False,
                   detail=f"not determined within {self.limit_text}: lifting it saves between $0.00 and "
                          f"{money(saving_high)}")
