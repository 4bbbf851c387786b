"""The placement model's variables: counts of option units, load carried, and spend aggregates.

For workload w with demand streams s (advisor.demand) and options o:

    n[o]    integer units of option o bought (instances; a training run's instance set; an edge fleet)
    f[o,s]  load units of stream s that option o carries (only where o may serve s)

    sum_o f[o,s] = D[w,s]                                   every stream fully carried
    sum_s a[o,s] f[o,s] <= floor(CAP * capacity[o]) * n[o]  units carry their load (CAP = 1000)
    cost[o] = cc[o] n[o] + sum_s lc[o,s] f[o,s]             in milli-cents

a[o,s] = CAP, or under a request-size mix ceil(CAP capacity[o] / rate[o,s]) with capacity[o]
the option's fastest stream rate (advisor.demand.load_weights): sum of load / rate <= units.
cc[o] is the monthly cost of one unit, lc[o,s] the cost of one load unit of hourly-billed work
(batch and training on demand or spot bill the work done, not the instances held): the same for
every stream, but under a request-size mix capacity[o] / rate[o,s] times the fastest stream's.
Spend aggregates (`spend(attribute, value)`, `total`) are defined once, for every family.

A workload with a traffic profile (advisor.demand.profile_levels) is also carried at each
quieter load level l >= 1, with share_l of its peak for h_l hours a month:

    u[o,l]    units of an hourly-billed option o running at level l, u[o,l] <= n[o]
    g[o,s,l]  load units of stream s that o carries at level l

    sum_o g[o,s,l] = ceil(share_l D[w,s])
    sum_s a[o,s] g[o,s,l] <= floor(CAP * capacity[o]) * r[o,l], r[o,l] = u[o,l] if o is billed by
                                                                the hour, else n[o]
    sum_o ceil(capacity[o]) * r[o,l] >= sum_s ceil(share_l D[w,s])   (implied; a cut)
    cost[o] += sum_l cl[o,l] u[o,l]

n[o] is then the peak fleet: an hourly-billed option's cc[o] covers the peak hours h_0 only and
cl[o,l] the hours of level l (both from the candidates), while a committed one (reserved,
bought) bills the month in cc[o] and runs at every level. Units run at a quieter level only
out of the peak fleet (u <= n: one autoscaling group per placement, sized at its peak).

MIG slices (advisor.mig): a slice option's unit is one slice of profile q on a GPU of pool P (an
instance type in a region at a pricing model), shared by every workload with options there:

    y[P,c]  GPUs of pool P configured as c, over the maximal mixes of the profiles used in P
    m[P]    GPUs (single-GPU instances) bought in P: m[P] = sum_c y[P,c]

    sum_{o in P, profile q} n[o] <= sum_c count(c, q) y[P,c]     every slice has a place
    total = sum of the other options' costs + sum_P price[P] m[P]

A slice option's cc[o] is its share of the GPU (compute slices / 7 of price[P]): a lower bound
of what its slices cost, which the team spends read (the idle rest of a pool's GPUs is nobody's
team's); provider and vendor spends, the total and the budgets read the whole GPUs.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ortools.sat.python import cp_model

from advisor.candidates import CandidateSet, Option
from advisor.catalog.models import MigGpu
from advisor.demand import CAP_SCALE, bucket_of, level_demand
from advisor.mig import compute_share, configurations, usable_profiles

MILLI = 1000
"""Money in the model is milli-cents: hourly-billed work splits into 1/1000 shares exactly."""


MAX_SPEND = 2**62 // 20_000
"""Largest spend (milli-cents, about $2.3 billion a month) a spend variable holds: share caps
multiply spends by 10,000, and the sum of every option at its most overflows 64 bits on large
fleets (CP-SAT then rejects the model)."""


ROUTE_BUCKET_MS = 10.0
"""Tie-breaks compare round trips in steps of this size (finer steps only slow them down)."""


def rtt_bucket(ms: float) -> int:
    """A round trip in tie-break steps."""
    return round(ms / ROUTE_BUCKET_MS)


def route_steps(o: Option, streams: Iterable[str]) -> tuple[int, ...]:
    """Per stream, the round trip of a load unit that option `o` carries, in tie-break steps (0 for
    a stream it does not serve, and for every stream of an option without user locations)."""
    rtt = dict(zip(o.serves, o.serve_rtt_ms, strict=False))
    return tuple(rtt_bucket(rtt.get(s, 0.0)) for s in streams)


@dataclass(frozen=True)
class Coefficients:
    """Integer costs of one option: milli-cents per unit bought and per load unit carried."""

    per_unit: int
    per_load: int
    per_level: tuple[int, ...] = ()
    """Per unit running at each quieter load level (hourly-billed options of profiled workloads)."""
    per_stream_load: tuple[tuple[str, int], ...] = ()
    """Per load unit of each stream, where streams differ (work-billed options of a request-size
    mix: a slower size takes longer, capacity / rate times the fastest's cost)."""

    @classmethod
    def of(cls, o: Option, total_demand: int) -> Coefficients:
        per_load = o.load_cost_cents * MILLI / max(1, total_demand)
        streams: tuple[tuple[str, int], ...] = ()
        if o.stream_capacity and per_load:
            streams = tuple((s, round(per_load * o.capacity / rate)) for s, rate in zip(o.serves, o.stream_capacity,
                                                                                       strict=True) if rate > 0)
        return cls(round(o.count_cost_cents * MILLI), round(per_load),
                   tuple(round(c * MILLI) for c in o.level_costs_cents), streams)

    def load_rate(self, stream: str) -> int:
        """Milli-cents per load unit of `stream`."""
        return next((c for s, c in self.per_stream_load if s == stream), self.per_load) if self.per_stream_load \
            else self.per_load

    def cost(self, units: int, load: dict[str, int], running: tuple[int, ...] = ()) -> int:
        """Milli-cents of `units` units carrying `load` (stream -> load units), `running[l]` of them
        running at level l + 1."""
        carried = sum(self.load_rate(s) * v for s, v in load.items()) if self.per_load else 0
        return self.per_unit * units + carried + sum(c * k for c, k in zip(self.per_level, running, strict=False))


@dataclass(frozen=True)
class Rest:
    """The placements of the workloads outside a model, held fixed (the warm start that re-solves
    only the workloads the master LP splits): their spend and presence count in the coupling rows
    as constants."""

    spend: dict[tuple[str, str], int]  # (attribute, value) -> milli-cents, for provider, vendor and team
    total: int
    counted: int  # spend on the providers lock-in rules count
    presence: list[tuple[str, Option, int]]  # (workload, option, units bought or, work-billed, load carried)
    units: list[tuple[Option, int]] = field(default_factory=list)  # (option, units held), work-billed ones too


NO_REST = Rest(spend={}, total=0, counted=0, presence=[])


@dataclass
class Pool:
    """The GPUs one instance type offers in one region at one pricing model, cut into MIG slices
    that the model's workloads share (module docstring)."""

    key: str  # Option.pool
    provider: str
    region: str
    vendor: str
    gpu: MigGpu
    price: int  # milli-cents a month of one GPU (a single-GPU instance)
    slices: dict[str, list[tuple[str, int]]]  # profile -> (workload, option index) of its slice options
    mixes: list[tuple[tuple[tuple[str, int], ...], dict[str, int]]] = field(default_factory=list)
    """(slots of one placement, count of each used profile) per configuration a GPU may take."""
    y: list[cp_model.IntVar] = field(default_factory=list)
    gpus: cp_model.IntVar | None = None

    @property
    def quota_key(self) -> str:
        """provider:region:accelerator, as policy.quotas names the GPUs it buys."""
        return f"{self.provider}:{self.region}:{self.gpu.accelerator}"


def pool_mixes(gpu: MigGpu, used: set[str]) -> list[tuple[tuple[tuple[str, int], ...], dict[str, int]]]:
    """The configurations a GPU of the pool may take, kept to the profiles in use: the maximal mixes
    of those (each with one placement that realises it), in catalog order."""
    names = [p.name for p in usable_profiles(gpu)]
    projected: dict[tuple[int, ...], tuple[tuple[str, int], ...]] = {}
    for c in configurations(gpu):
        counts = tuple(k if name in used else 0 for name, k in zip(names, c.counts, strict=True))
        if any(counts) and counts not in projected:
            projected[counts] = tuple(slot for slot in c.slots if slot[0] in used)
    maximal = [counts for counts in projected if not any(
        other != counts and all(a <= b for a, b in zip(counts, other, strict=True)) for other in projected)]
    return [(projected[counts], {name: k for name, k in zip(names, counts, strict=True) if k}) for counts in maximal]


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
        self.most: dict[tuple[str, int], int] = {}  # n's upper bound
        self.u: dict[tuple[str, int, int], cp_model.IntVar] = {}
        self.g: dict[tuple[str, int, str, int], cp_model.IntVar] = {}
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
                self.most[w, i] = most
                for s in self.streams(w, o):
                    self.f[w, i, s] = self.m.new_int_var(0, demand[s], f"f[{w}#{i},{s}]")
            self._add_levels(w)
            if w not in candidates.levels:
                self._add_bucket_cuts(w, demand, [self.n[w, i] for i in range(len(options[w]))])
            # every option at its most: a plan that mixes options may spend more than any one alone
            upper += sum(self.coefficients[w, i].cost(o.max_count, demand,
                                                      (self.most[w, i],) * len(o.level_costs_cents))
                         for i, o in enumerate(options[w]))
        self.pools = self._add_pools()
        upper += sum(p.price * _most_slices(self, p) for p in self.pools)
        self.upper = max(1, min(upper + rest.total, limit))
        self.total = self.m.new_int_var(0, self.upper, "total")
        self.m.add(self.total == self.cost_sum(lambda o: True, slices=False) + self.pool_sum(lambda p: True)
                   + rest.total)

    def _add_pools(self) -> list[Pool]:
        """The MIG pools of the model's slice options: configurations, GPUs and slice rows."""
        pools: dict[str, Pool] = {}
        for w in self.workloads:
            for i, o in enumerate(self.options[w]):
                if o.pool is None or o.mig_profile is None:
                    continue
                pool = pools.get(o.pool)
                if pool is None:
                    gpu = self.candidates.mig[o.accelerator.partition("/")[0]]
                    price = round(o.count_cost_cents / compute_share(gpu, o.mig_profile) * MILLI)
                    pool = pools[o.pool] = Pool(o.pool, o.provider, o.region, o.vendor, gpu, price, {})
                pool.slices.setdefault(o.mig_profile, []).append((w, i))
        for key in sorted(pools):
            pool = pools[key]
            pool.mixes = pool_mixes(pool.gpu, set(pool.slices))
            most = _most_slices(self, pool)
            pool.y = [self.m.new_int_var(0, most, f"y[{key}#{k}]") for k in range(len(pool.mixes))]
            pool.gpus = self.m.new_int_var(0, most, f"gpus[{key}]")
            self.m.add(pool.gpus == sum(pool.y))
            for profile, users in sorted(pool.slices.items()):
                room = [(counts.get(profile, 0), y) for (_, counts), y in zip(pool.mixes, pool.y, strict=True)]
                self.m.add(sum(self.n[w, i] for w, i in users) <= sum(k * y for k, y in room if k))
        return [pools[key] for key in sorted(pools)]

    def pool_sum(self, keep: Callable[[Pool], bool]) -> cp_model.LinearExpr:
        """Milli-cents a month of the GPUs bought in the pools `keep` selects."""
        chosen = [p for p in self.pools if keep(p) and p.gpus is not None]
        return cp_model.LinearExpr.weighted_sum([p.gpus for p in chosen], [p.price for p in chosen])

    def _add_levels(self, w: str) -> None:
        """The quieter load levels of a profiled workload: their units, loads and rows (module docstring)."""
        levels = self.candidates.levels.get(w, ())
        needs = [level_demand(self.candidates.demands[w], share) for share, _ in levels]
        for level, need in enumerate(needs[1:], start=1):
            for i, o in enumerate(self.options[w]):
                running = self.n[w, i]
                if level <= len(o.level_costs_cents):
                    running = self.u[w, i, level] = self.m.new_int_var(0, self.most[w, i], f"u[{w}#{i},{level}]")
                    self.m.add(running <= self.n[w, i])
                for s in self.streams(w, o):
                    self.g[w, i, s, level] = self.m.new_int_var(0, need[s], f"g[{w}#{i},{s},{level}]")
                self.add_capacity(w, i, {s: self.g[w, i, s, level] for s in self.streams(w, o)}, running)
            for s, units in need.items():
                self.m.add(sum(self.g[w, i, s, level] for i in range(len(self.options[w]))
                               if (w, i, s, level) in self.g) == units)
        for level, need in enumerate(needs):
            # implied by the rows above (capacities rounded up, so it never cuts a plan off), but it
            # lets CP-SAT prove these models in a fraction of a second where it took minutes: the
            # units running at a level carry its whole load. Whole load units keep the row's
            # coefficients small (x CAP_SCALE overflowed 64 bits on fleets of large capacities).
            need_all = sum(need.values())
            running_all = [self.u.get((w, i, level), self.n[w, i]) for i in range(len(self.options[w]))]
            self.m.add(sum(math.ceil(o.capacity) * k for o, k in zip(self.options[w], running_all, strict=True))
                       >= need_all)
            self._add_bucket_cuts(w, need, running_all)

    def _add_bucket_cuts(self, w: str, need: dict[str, int], running: list[cp_model.IntVar]) -> None:
        """Under a request-size mix, per bucket: the running units, each carrying that bucket alone,
        carry its whole load (implied by the capacity rows, whose weights make a unit carry at most
        floor(CAP capacity) / weight load units of a stream). The weights make the level cut above
        weak (it counts every unit at its fastest rate), and these let CP-SAT prove mixed models."""
        by_bucket: dict[str, list[str]] = {}
        for s in need:
            bucket = bucket_of(s)
            if bucket is not None:
                by_bucket.setdefault(bucket, []).append(s)
        for streams in by_bucket.values():
            terms = []
            for o, k in zip(self.options[w], running, strict=True):
                weights = o.load_weights()
                weight = next((weights[s] for s in streams if s in weights), 0)
                if weight:
                    terms.append(-(-math.floor(o.capacity * CAP_SCALE) // weight) * k)
            self.m.add(sum(terms) >= sum(need[s] for s in streams))

    def add_capacity(self, w: str, i: int, carried: dict[str, cp_model.IntVar], units: cp_model.IntVar) -> None:
        """The units of option i carry the load `carried` (stream -> load variable): each stream
        weighs CAP per load unit, or its own weight under a request-size mix (advisor.demand)."""
        o = self.options[w][i]
        weights = o.load_weights()
        row = cp_model.LinearExpr.weighted_sum(list(carried.values()),
                                               [weights.get(s, CAP_SCALE) for s in carried])
        self.m.add(row <= math.floor(o.capacity * CAP_SCALE) * units)

    def streams(self, w: str, o: Option) -> list[str]:
        """The demand streams option `o` may carry."""
        demand = self.candidates.demands[w]
        return [s for s in demand if s in o.serves] if o.serves else list(demand)

    def load(self, w: str, i: int) -> cp_model.LinearExpr:
        return sum((self.f[w, i, s] for s in self.streams(w, self.options[w][i])), cp_model.LinearExpr.constant(0))

    def cost_sum(self, keep: Callable[[Option], bool], slices: bool = True) -> cp_model.LinearExpr:
        """Milli-cents a month of the options `keep` selects; `slices`: MIG slice options at their
        share of a GPU (else left out: their pools' whole GPUs count instead, pool_sum)."""
        variables: list[cp_model.IntVar] = []
        weights: list[int] = []
        for w in self.workloads:
            for i, o in enumerate(self.options[w]):
                if not keep(o) or (not slices and o.mig_profile is not None):
                    continue
                c = self.coefficients[w, i]
                if c.per_unit:
                    variables.append(self.n[w, i])
                    weights.append(c.per_unit)
                if c.per_load:
                    for s in self.streams(w, o):
                        variables.append(self.f[w, i, s])
                        weights.append(c.load_rate(s))
                for level, per in enumerate(c.per_level, start=1):
                    if (w, i, level) in self.u:
                        variables.append(self.u[w, i, level])
                        weights.append(per)
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
                coefficients.append(k * c.load_rate(s))
            for level, per in enumerate(c.per_level, start=1):
                if (w, i, level) in self.u:
                    variables.append(self.u[w, i, level])
                    coefficients.append(k * per)
        return cp_model.LinearExpr.weighted_sum(variables, coefficients)

    def spend(self, attribute: str, value: str) -> cp_model.IntVar:
        """Aggregate spend of the options whose `attribute` equals `value`, defined once."""
        key = (attribute, value)
        if key not in self._spend:
            var = self.m.new_int_var(0, self.upper, f"spend[{attribute}={value}]")
            if attribute in ("provider", "vendor"):  # whole GPUs: a pool belongs to one provider and vendor
                spent = self.cost_sum(lambda o: getattr(o, attribute) == value, slices=False) + self.pool_sum(
                    lambda p: getattr(p, attribute) == value)
            else:  # a team pays its slices' share; the idle rest of a pool is no team's
                spent = self.cost_sum(lambda o: getattr(o, attribute) == value)
            self.m.add(var == spent + self.rest.spend.get(key, 0))
            self._spend[key] = var
        return self._spend[key]

    def counted_total(self) -> cp_model.IntVar:
        """Spend on the providers lock-in rules count, defined once."""
        if self._counted_total is None:
            self._counted_total = self.m.new_int_var(0, self.upper, "spend[counted providers]")
            self.m.add(self._counted_total == self.cost_sum(lambda o: o.provider in self.counted, slices=False)
                       + self.pool_sum(lambda p: p.provider in self.counted) + self.rest.counted)
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


def _most_slices(mm: PlacementModel, pool: Pool) -> int:
    """The most slices the pool's options may buy together: a bound on its GPUs."""
    return sum(mm.most[w, i] for users in pool.slices.values() for w, i in users)
