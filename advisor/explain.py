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
from typing import Literal, TypeVar

from advisor.candidates import PHYSICAL_RULES, RULES, SIZING_RULES, CandidateSet, Option, RuledOut
from advisor.counterfactuals import Budget, Question, answer_all
from advisor.plan import Alternative, ConstraintCost, Explanation, RuledOutGroup
from advisor.progress import SILENT, Progress
from advisor.solver import Placement, SolveResult, ledger, solve
from advisor.solver.families import COUPLING, couples, family_of
from advisor.solver.lp import LpPrices, first_order_prices, lagrange_prices
from advisor.solver.model import family_names, plan_lagrange_bound
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
Q = TypeVar("Q")


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


def _candidates_against(chosen: Option, options: list[Option], single: bool) -> list[Option]:
    """The next-best distinct options that could carry the whole workload alone (cheapest first)."""
    shown: set[tuple[str, str, str]] = {(chosen.provider, chosen.offering, chosen.pricing)} if single else set()
    picked: list[Option] = []
    for o in options:
        triple = (o.provider, o.offering, o.pricing)
        if not o.full_reach or (single and o.key == chosen.key) or triple in shown:
            continue
        shown.add(triple)
        picked.append(o)
        if len(picked) == MAX_ALTERNATIVES:
            break
    return picked


def _alternative(o: Option, why: tuple[str, bool], plan_cents: float) -> Alternative:
    """An alternative as the report shows it, against the workload's cost in the plan."""
    text, proven = why
    return Alternative(
        provider=o.provider, region=o.region, instance=o.offering, accelerator=o.accelerator,
        pricing=o.pricing, monthly_cost_usd=usd(o.monthly_cost_cents),
        delta_usd=usd(o.monthly_cost_cents - plan_cents), latency_ms=o.latency_ms,
        why_not=text, proven=proven, instances=o.instances, accelerator_count=o.accelerator_count,
        ttft_ms=round(o.sizing.ttft_ms + (o.network_rtt_ms or 0.0), 1)
        if o.sizing.ttft_ms is not None and o.kind == "realtime-inference" else None,
    )


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
                 progress: Progress = SILENT, mode: ExplainMode = "full", budget_s: float | None = None,
                 jobs: int = 1):
        self.progress = progress
        self.mode = mode
        self.budget = Budget(budget_s)
        self.jobs = jobs
        self._prices: LpPrices | None = None
        self.workloads = workloads
        self.policy = policy
        self.candidates = candidates
        self.result = result
        self.main = result.chosen  # each workload's main placement: a map over the fleet, built once
        self.build = build
        self.time_limit_s = time_limit_s
        self.binding: list[str] = []

    @property
    def cut_short(self) -> int:
        """Questions (and solves outside questions) not run because the explanation budget was spent."""
        return self.budget.cut_short

    @property
    def budget_text(self) -> str:
        return f"the explanation budget ({self.budget.limit_s:g} s of solver work for all explanations)"

    @property
    def limit_text(self) -> str:
        """What an unsettled answer was limited by: its own solve's limit, or the whole budget once spent
        (a question that started runs to its own limit, whatever the budget does meanwhile)."""
        if self.budget.spent and not ledger.isolating():
            return self.budget_text
        return f"{self.time_limit_s:g} s of solver work"

    def ask(self, questions: list[Question[Q]], label: str) -> list[Q]:
        """Answers to independent questions, side by side on `jobs` threads, within the budget."""
        return answer_all(questions, self.budget, self.jobs, label, self.progress)

    def solve(self, candidates: CandidateSet | None = None, policy: Policy | None = None,
              **kwargs) -> SolveResult:
        """A counterfactual solve: only its cost matters, so tie-breaks are skipped. Within a question
        the question is budgeted as a whole; a solve asked outside one (the infeasibility report's)
        is run only while the budget lasts and charged to it."""
        kwargs.setdefault("tie_break", False)
        asked_of = candidates or self.candidates
        if self.main and "forced" not in kwargs and policy is None:
            # the plan is feasible in every relaxation of the same inputs: start from it. Read for
            # the workloads asked about only: a question about one workload of 10,000 (summary
            # mode prices each one's own rules alone) reading the whole plan made the stage quadratic.
            kwargs.setdefault("hint", {w: self.main[w].key for w in asked_of.options if w in self.main})
            if not kwargs.get("want_core") and len(asked_of.options) == len(self.result.placements):
                kwargs.setdefault("known", self.result)
        asked = not ledger.isolating()  # outside a question: charged to the budget solve by solve
        if asked and self.budget.spent:  # not run: reported as not determined, naming the budget
            self.budget.cut_short += 1
            return SolveResult(status="unknown")
        before = ledger.solver_work()
        result = solve(asked_of, policy or self.policy, time_limit_s=self.time_limit_s, **kwargs)
        if asked:
            self.budget.used_s += ledger.solver_work() - before
        return result

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

    def why_not(self, w: Workload, chosen: Option, alt: Option) -> tuple[str, bool] | Question[tuple[str, bool]]:
        """Why `alt` alone is not the plan for `w`, and whether that is proven; a Question when only a
        solve with it forced in can tell (a cheaper or equal alternative, in full mode)."""
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
        return Question(ask=partial(self._forced_in, w, alt, lead, delta), cut=lambda: (
            f"{lead}; whether a plan with it meets the policy was not determined within {self.budget_text}", False))

    def _forced_in(self, w: Workload, alt: Option, lead: str, delta: int) -> tuple[str, bool]:
        """Why a cheaper (or equal) alternative is not the plan: the plan re-solved with it forced in."""
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
        """Each workload's placements, its next-best alternatives and why they lost, its ruled-out options.
        Alternatives that only a re-solve can settle are asked together (see `ask`)."""
        picked: dict[str, list[tuple[Option, tuple[str, bool] | Question[tuple[str, bool]]]]] = {}
        main = self.main
        for w in self.workloads:
            chosen = main[w.name]
            single = len(self.result.placements[w.name]) == 1
            options = self.candidates.options[w.name]
            against = [] if self.mode == "none" else _candidates_against(chosen, options, single)
            picked[w.name] = [(o, self.why_not(w, chosen, o)) for o in against]
        whys = iter(self._answered([why for pairs in picked.values() for _, why in pairs], "explaining choices"))
        out = []
        for w in self.workloads:
            placements = self.result.placements[w.name]
            options = self.candidates.options[w.name]
            ruled = self.candidates.ruled_out[w.name]
            plan_cents = self.plan_cents(w.name)
            alternatives = [_alternative(o, next(whys), plan_cents) for o, _ in picked[w.name]]
            out.append(Explanation(workload=w.name, summary=self._summary(w, placements, options),
                                   options_considered=len(options) + len(ruled), options_feasible=len(options),
                                   alternatives=alternatives, ruled_out=ruled_out_groups(ruled)))
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
        """Price every user-facing setting as a whole, its single families as a breakdown, and every rule.

        The re-solves are asked in two rounds (see `ask`): every setting as a whole and every rule, then,
        in full mode, the single families of the settings that bind or could.
        """
        groups: dict[str, list[str]] = defaultdict(list)
        for name in self.families():
            groups[setting_of(name) or name].append(name)
        rules = self.relaxable_rules()
        first = self._answered([self._setting_row(setting, members) for setting, members in groups.items()]
                               + [self._rule_row(rule) for rule in rules], "pricing constraints")
        wholes, rule_rows = first[:len(groups)], first[len(groups):]
        breakdowns: list[list[ConstraintCost | Question[ConstraintCost]]] = []
        for (setting, members), whole in zip(groups.items(), wholes, strict=True):
            if len(members) == 1 or self._summarised(members):
                breakdowns.append([])
            elif whole.binding is False:  # lifting all of them saves nothing, so lifting any part saves nothing
                breakdowns.append([whole.model_copy(update={"name": n, "description": describe(n), "part_of": setting})
                                   for n in members])
            elif self.mode != "full":
                breakdowns.append([])
            else:
                breakdowns.append([self.relaxed_row(n, frozenset({n}), setting) for n in members])
        answered = iter(self._answered([row for rows in breakdowns for row in rows], "pricing single rules"))
        top: list[tuple[ConstraintCost, list[ConstraintCost]]] = []
        for (setting, _), whole, rows in zip(groups.items(), wholes, breakdowns, strict=True):
            parts = [next(answered) for _ in rows]
            if parts and whole.binding is not False:
                parts = [p.model_copy(update={"part_of": setting}) for p in parts]
                whole = self._with_sum_note(whole, parts)
            top.append((whole, parts))
        top.extend((row, []) for row in rule_rows)
        self.binding = [row.name for row, parts in top for row in (row, *parts)
                        if row.binding and row.name not in rules]
        top.sort(key=lambda pair: (pair[0].binding is not True, -(pair[0].cost_usd or 0.0), pair[0].name))
        # a share cap proven not to bind needs no "$0.00" row per provider; team budgets are each a setting
        return [row for whole, parts in top
                for row in (whole, *(parts if whole.binding is not False or whole.name == "budget.per_team_monthly_usd"
                                     else []))]

    def _answered(self, items: list[Q | Question[Q]], label: str) -> list[Q]:
        """The items with every question among them answered (together, within the budget)."""
        answers = iter(self.ask([i for i in items if isinstance(i, Question)], label))
        return [next(answers) if isinstance(i, Question) else i for i in items]

    def _summarised(self, members: list[str]) -> bool:
        """Whether summary mode prices these families without a fleet re-solve (a joint plan's rules)."""
        return self.mode == "summary" and not self.result.separable and (
            all(map(couples, members)) or not any(map(couples, members)))

    def _setting_row(self, setting: str, members: list[str]) -> ConstraintCost | Question[ConstraintCost]:
        """A user-facing setting priced as a whole: by first-order prices or on its workload alone in summary
        mode (a joint plan), else by re-solving without all its families."""
        if self._summarised(members):
            if all(map(couples, members)):
                return self._first_order_row(setting, members)
            return Question(ask=partial(self._alone_row, setting, members), cut=lambda: ConstraintCost(
                name=setting, description=describe(setting), setting=setting, binding=None, cost_usd=None,
                proven=False, detail=f"not determined within {self.budget_text}"))
        return self.relaxed_row(members[0] if len(members) == 1 else setting, frozenset(members), setting)

    def relaxed_row(self, name: str, disabled: frozenset[str],
                     setting: str) -> ConstraintCost | Question[ConstraintCost]:
        """The price of lifting `disabled`. Where every workload already runs at its own optimum, lifting rules
        that couple workloads cannot make the plan cheaper: priced at once; else a question (a re-solve)."""
        if self.result.separable and all(map(couples, disabled)):
            return self._cost_row(name, self.result, setting=setting)
        return Question(ask=lambda: self._cost_row(name, self.solve(disabled=disabled), setting=setting),
                        cut=lambda: self._cost_row(name, SolveResult(status="unknown"), setting=setting))

    def _rule_row(self, rule: str) -> ConstraintCost | Question[ConstraintCost]:
        """A candidate rule (latency, residency, ...) priced by rebuilding the candidates without it and
        re-solving; summary mode does not re-solve a joint plan per rule."""
        setting = f"workload rule {rule}"
        if self.mode == "summary" and not self.result.separable:
            return ConstraintCost(name=rule, description=describe(rule), setting=setting, binding=None, cost_usd=None,
                                  proven=False, detail="not re-solved (--explain summary; --explain full re-solves it)")
        return Question(ask=lambda: self._cost_row(rule, self.solve(self.without_rule(rule)), setting=setting),
                        cut=lambda: self._cost_row(rule, SolveResult(status="unknown"), setting=setting))

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
