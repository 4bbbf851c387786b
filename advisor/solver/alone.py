"""One workload's own optimum by exact branch and bound, without CP-SAT.

A workload that no family of its own constrains (no replica bounds, regions or region-loss
rule) is a small covering problem: buy integer units n[o] (at most max_count) so that the
units' capacities carry every demand stream, at least cost. Most fleets are made of such
workloads, and a CP-SAT model per workload costs tens of milliseconds to build and solve where
this search takes well under one. It proves the same optimum the model would (the same
integer rounding: a unit carries floor(CAP x capacity) / CAP load units) and settles ties the
way the model's tie-break does, so a plan does not depend on which path solved it.

    minimise   sum_o cc[o] n[o] + lc[o] f[o]
    one stream:   the load goes to the cheapest capacity first (lc, then option order)
    several:      carriable iff for every set T of streams, the units that may serve some
                  stream of T carry at least D(T) (Gale's supply-demand theorem); all lc = 0

Search: options with a unit cost, cheapest per load unit first; counts from the most useful
down to zero; a node is cut when its LP bound (fixed spend, plus the cheapest rate per load
unit still open times each uncovered demand) exceeds the best plan found. Ties are broken
lexicographically like advisor.solver.model's tie-break: one stream by option order, several
by the round trips the load travels. A search that passes NODE_LIMIT gives up (None) and the
caller builds the CP-SAT model instead.
"""

from __future__ import annotations

import itertools
import math
import operator
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from advisor.candidates import Option
from advisor.solver.variables import CAP_SCALE, MILLI, Coefficients, route_steps

NODE_LIMIT = 20_000
"""Search nodes before handing the workload to CP-SAT (a search this long is unusual)."""
DEPTH_LIMIT = 400
"""Options with a unit cost the search branches on at most (one level of recursion each)."""


@dataclass(frozen=True)
class Chosen:
    """The optimum: units per option index and load per (option index, stream); `feasible` False
    when no choice of units carries the demand."""

    units: dict[int, int]
    load: dict[tuple[int, str], int]
    cost: int
    feasible: bool = True


@dataclass(frozen=True)
class _Item:
    index: int
    per_unit: int
    per_load: int
    carry: int  # floor(CAP x capacity): CAP x load units one unit carries
    max_count: int
    mask: int  # the streams it may serve, as bits
    buckets: tuple[int, ...]  # round-trip bucket per stream (stream order), 0 where not served

    def carried(self, count: int) -> int:
        """Load units `count` units carry (rounded down, as the model does)."""
        return self.carry * count // CAP_SCALE

    @property
    def rate(self) -> float:
        """Money per load unit when this option's units are full."""
        return (self.per_unit * CAP_SCALE / self.carry if self.carry else math.inf) + self.per_load


def solve_alone(options: list[Option], demand: dict[str, int], min_units: int = 0,
                weights: list[int] | None = None) -> Chosen | None:
    """The optimum of one workload with no families of its own but a least number of units in all
    (`min_units`, its min_replicas); None when the search is too long or the case is not one this
    search covers (several streams with work-billed options).

    With `weights` (a positive integer per option), each option's costs are multiplied by its
    weight: the workload's optimum at the prices a Lagrangian bound gives its spend
    (advisor.solver.lagrange)."""
    search = _search(options, demand, min_units, weights)
    return None if search is None else search.run()


class WorkBudget:
    """Work that several optional searches may spend in all, counted in options looked at (each
    node of a search bounds over all its options): deterministic, unlike a clock. A filter that
    only speeds up a later solve must not cost more than it saves."""

    def __init__(self, work: int):
        self.left = work


def options_within(options: list[Option], demand: dict[str, int], limit: int, min_units: int = 0,
                   weights: list[int] | None = None, budget: WorkBudget | None = None) -> set[int] | None:
    """Indices of the options bought in some plan of the workload that costs at most `limit`
    (weighted by `weights`, as in solve_alone): an exact filter for reduced-cost fixing.

    The search lists plans that buy no more than they need; a plan may also hold idle units
    (share caps can make spending elsewhere pay), so every option whose unit costs no more than
    `limit` minus the optimum is in too. Options billed by the work alone (no unit cost) are not
    judged: any of them may carry a share of the work, so they are in. None when the search is
    too long, runs out of `budget`, or does not cover the case."""
    best = _search(options, demand, min_units, weights, budget=budget)
    found = None if best is None else best.run()
    search = _search(options, demand, min_units, weights, collect_within=limit, budget=budget)
    if found is None or not found.feasible or search is None or not search.explore():
        return None
    idle = limit - found.cost  # what one more unit may cost in a plan within the limit
    return search.collected | {it.index for it in search.items if it.per_unit <= idle}


def _search(options: list[Option], demand: dict[str, int], min_units: int, weights: list[int] | None,
            collect_within: int | None = None, budget: WorkBudget | None = None) -> _Search | None:
    """The search over these options (None where it does not apply: several streams with work-billed options)."""
    streams = sorted(demand)
    total = sum(demand.values())
    items = [_item(i, o, streams, total, 1 if weights is None else weights[i]) for i, o in enumerate(options)]
    if len(streams) > 1 and any(it.per_load for it in items):
        return None
    return _Search(items, [demand[s] for s in streams], streams, min_units, collect_within, budget)


def within_reach(options: list[Option], demand: dict[str, int], budget: float | None = None,
                 keep: frozenset[str] = frozenset(), min_units: int = 0,
                 weights: list[int] | None = None, terms: Terms | None = None) -> list[Option]:
    """The options a plan of the workload costing at most `budget` might use (an exact filter,
    linear in the options); `budget` defaults to the cost of its best option alone, so the
    filter keeps every option of every optimal plan, ties included (with at least `min_units`
    units in all, the workload's min_replicas). Keys in `keep` stay.

    Any plan that buys a unit of option o costs at least cc[o] plus the cheapest rate per load
    unit (of any option) times the demand that unit cannot carry. With `weights` (a positive
    integer per option), costs and `budget` are weighted ones (see solve_alone). `terms` are the
    options' `option_terms`, when the caller keeps them.
    """
    total = sum(demand.values())
    if not options or total <= 0:
        return options
    if weights is not None:
        return _within_weighted(options, total, budget, keep, min_units, weights)
    return _within(options, total, budget, keep, min_units, option_terms(options) if terms is None else terms)


Terms = np.ndarray
"""Per option (row): its TERM_FIELDS as floats (full_reach 1.0 or 0.0)."""

TERM_FIELDS = ("count_cost_cents", "load_cost_cents", "capacity", "max_count", "full_reach")
_TERMS = operator.attrgetter(*TERM_FIELDS)


def option_terms(options: list[Option]) -> Terms:
    """What within_reach reads of each option, as one float array (read once, filtered in C: a
    fleet has 100k+ options, and this pass was most of a policy-free solve)."""
    return np.array(list(map(_TERMS, options)), dtype=np.float64).reshape(len(options), len(TERM_FIELDS))


def _within(options: list[Option], total: int, budget: float | None, keep: frozenset[str], min_units: int,
            terms: Terms) -> list[Option]:
    """within_reach without weights, on arrays. Every number is an integer below 2**53 or the same
    IEEE operation the integer formula makes (unit / capacity), so the test is the same one."""
    unit = np.rint(terms[:, 0] * MILLI)  # as Coefficients.of rounds them
    load = np.rint(terms[:, 1] * MILLI / total)
    capacity, max_count, full = terms[:, 2], terms[:, 3], terms[:, 4] > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        cheapest_rate = float((np.where(capacity > 0, unit / capacity, np.inf) + load).min())
        if budget is None:
            carry = np.floor(capacity * CAP_SCALE)
            units = np.maximum(np.ceil(CAP_SCALE * total / carry), min_units)
            alone = full & (carry > 0) & (units <= max_count)  # work-billed units are free, but finite too
            best_alone = float((unit * units + load * total)[alone].min()) if alone.any() else math.inf
        else:
            best_alone = budget
    if best_alone == math.inf:
        return options
    limit = best_alone + 1e-9 * best_alone + 1e-6
    bought = unit != 0
    reach = (np.where(bought, unit, load)
             + cheapest_rate * np.maximum(0.0, total - np.where(bought, capacity, 1.0))) <= limit
    if min_units:
        reach |= ~bought  # free units may stand by for min_replicas
    return [o for o, near in zip(options, reach.tolist(), strict=True) if near or o.key in keep]


def _within_weighted(options: list[Option], total: int, budget: float | None, keep: frozenset[str], min_units: int,
                     weights: list[int]) -> list[Option]:
    """within_reach with weights, in exact integers (weighted costs pass 2**53)."""
    terms = [(round(cc * MILLI) * k, round(lc * MILLI / total) * k, capacity, max_count, full)
             for (cc, lc, capacity, max_count, full), k in zip(map(_TERMS, options), weights, strict=True)]
    cheapest_rate = min((unit / capacity if capacity > 0 else math.inf) + load
                        for unit, load, capacity, _, _ in terms)
    best_alone = math.inf if budget is None else budget
    for unit, load, capacity, max_count, full in terms if budget is None else ():
        carry = math.floor(capacity * CAP_SCALE)
        units = max(math.ceil(CAP_SCALE * total / carry), min_units) if carry > 0 else 0
        if full and carry > 0 and units <= max_count:
            best_alone = min(best_alone, unit * units + load * total)
    if best_alone == math.inf:
        return options
    limit = best_alone + 1e-9 * best_alone + 1e-6
    return [o for o, (unit, load, capacity, _, _) in zip(options, terms, strict=True)
            if (unit or load) + cheapest_rate * max(0.0, total - (capacity if unit else 1.0)) <= limit
            or o.key in keep or (min_units and not unit)]




def _item(index: int, o: Option, streams: list[str], total: int, weight: int = 1) -> _Item:
    c = Coefficients.of(o, total)
    served = [s for s in streams if s in o.serves] if o.serves else streams
    return _Item(index=index, per_unit=c.per_unit * weight, per_load=c.per_load * weight,
                 carry=math.floor(o.capacity * CAP_SCALE),
                 max_count=o.max_count, mask=sum(1 << k for k, s in enumerate(streams) if s in served),
                 buckets=route_steps(o, streams))


_Routed = tuple[dict[tuple[int, str], int], int, int]
"""A routing: load per (option index, stream), its cost and its tie-break score."""


class _Search:
    def __init__(self, items: list[_Item], demands: list[int], streams: list[str], min_units: int = 0,
                 collect_within: int | None = None, budget: WorkBudget | None = None):
        self.budget = budget
        self.collect_within = collect_within  # collect every plan's options up to this cost, not the best
        self.collected: set[int] = set()
        self.items = items
        self.streams = streams
        self.demands = demands
        self.k = len(demands)
        self.free = [it for it in items if it.per_unit == 0]  # units cost nothing: all of them are there
        self.bought = sorted((it for it in items if it.per_unit > 0 and it.carry > 0 and it.max_count > 0),
                             key=lambda it: (it.rate, it.index))
        self.subsets = range(1, 1 << self.k)
        self.need = {t: sum(d for b, d in enumerate(demands) if t >> b & 1) for t in self.subsets}
        self.best: tuple[int, int] | None = None  # (cost, tie-break score)
        self.best_units: dict[int, int] = {}
        self.best_load: dict[tuple[int, str], int] = {}
        self.nodes = 0
        # units still to buy for min_replicas: free units (work-billed, no unit cost) count, all of them
        self.min_units = max(0, min_units - sum(it.max_count for it in self.free))

    def run(self) -> Chosen | None:
        if not self.explore():
            return None
        if self.best is None:
            return Chosen(units={}, load={}, cost=0, feasible=False)
        return Chosen(units=self.best_units, load=self.best_load, cost=self.best[0])

    def explore(self) -> bool:
        """Run the search; False when it is too deep for recursion, passes NODE_LIMIT or runs out of its budget."""
        if len(self.bought) > DEPTH_LIMIT:
            return False
        try:
            self._branch(0, [0] * len(self.bought), self._initial_deficits(), 0, 0, 0)
        except _TooLong:
            return False
        return True

    # -- the search -------------------------------------------------------------------------

    def _initial_deficits(self) -> dict[int, int]:
        """For every set of streams, the load no unit covers yet. With several streams, free units
        (no unit cost, so all of them are there) count at once; with one, they do not: their work
        may bill more than bought units would cost."""
        deficits = dict(self.need)
        if self.k > 1:
            for it in self.free:
                for t in self.subsets:
                    if t & it.mask:
                        deficits[t] -= it.carried(it.max_count)
        return deficits

    def _branch(self, depth: int, counts: list[int], deficits: dict[int, int], spent: int, score: int,
                units: int) -> None:
        self.nodes += 1
        if self.nodes > NODE_LIMIT:
            raise _TooLong
        self._charge(1)
        bound = self._bound_one(depth, counts, spent) if self.k == 1 else self._bound_many(depth, deficits, spent)
        short = max(0, self.min_units - units)  # units min_replicas still asks for
        if bound is None or (short and not self.bought[depth:]):
            return
        if short:  # each costs at least the cheapest unit still open
            bound = max(bound, spent + short * min(it.per_unit for it in self.bought[depth:]))
        least = math.ceil(bound - 1e-9 * max(1.0, bound) - 1e-6)  # costs are integers
        if self.collect_within is not None:
            if least > self.collect_within:
                return
        elif self.best is not None and (least > self.best[0] or (least == self.best[0] and score >= self.best[1])):
            return
        if depth == len(self.bought) or (not short and all(d <= 0 for d in deficits.values())):
            self._leaf(depth, counts, spent, score)
            return
        it = self.bought[depth]
        touched = [t for t in deficits if t & it.mask]
        top = min(it.max_count, max(short, math.ceil(CAP_SCALE * max(0, *(deficits[t] for t in touched)) / it.carry)))
        for count in range(top, -1, -1):
            counts[depth] = count
            carried = it.carried(count)
            below = dict(deficits)
            for t in touched:
                below[t] -= carried
            self._branch(depth + 1, counts, below, spent + it.per_unit * count,
                         score + (it.index + 1) * count if self.k == 1 else score, units + count)
        counts[depth] = 0

    def _charge(self, work: int) -> None:
        if self.budget is not None:
            self.budget.left -= work
            if self.budget.left < 0:
                raise _TooLong

    def _bound_one(self, depth: int, counts: list[int], spent: int) -> float | None:
        """One stream's LP bound: the spend so far plus the cheapest fractional way to carry the
        demand (fixed units at their load rate, open ones at their full rate, free ones by the
        work); None when nothing can carry it."""
        self._charge(len(self.bought) + len(self.free))
        rates = [(float(it.per_load), float(it.carried(counts[j]))) for j, it in enumerate(self.bought[:depth])]
        rates += [(it.rate, it.carry * it.max_count / CAP_SCALE) for it in self.bought[depth:]]
        rates += [(float(it.per_load), float(it.carried(it.max_count))) for it in self.free]
        cost = _cheapest_fill(float(self.demands[0]), sorted(rates))
        return None if cost is None else spent + cost

    def _bound_many(self, depth: int, deficits: dict[int, int], spent: int) -> float | None:
        """Several streams' LP bound: the spend so far plus, for the worst set of streams, the
        cheapest way to cover its deficit with the options still open; None when none can."""
        worst = 0.0
        for t, deficit in deficits.items():
            if deficit <= 0:
                continue
            cost = _cheapest_fill(float(deficit), ((it.rate, it.carry * it.max_count / CAP_SCALE)
                                                   for it in self.bought[depth:] if it.mask & t))  # by rate
            if cost is None:
                return None
            worst = max(worst, cost)
        return spent + worst

    def _leaf(self, depth: int, counts: list[int], spent: int, score: int) -> None:
        units = {it.index: counts[j] for j, it in enumerate(self.bought[:depth]) if counts[j]}
        if self.collect_within is not None:
            self._collect(units, spent)
            return
        placed = self._route(units)
        if placed is None:
            return
        load, load_cost, route_score = placed
        cost = spent + load_cost
        score = score + route_score
        if self.k == 1:  # work-billed units, as few as the load needs, count in the tie-break too
            for it in self.free:
                carried = sum(v for (i, _), v in load.items() if i == it.index)
                count = math.ceil(CAP_SCALE * carried / it.carry) if carried and it.carry else 0
                if count:
                    units[it.index] = count
                    score += (it.index + 1) * count
        if self.best is None or (cost, score) < self.best:
            self.best = (cost, score)
            self.best_units = units
            self.best_load = load

    def _collect(self, units: dict[int, int], spent: int) -> None:
        """Collect mode: the bought options of this plan, if it carries the demand within the limit."""
        placed = self._route(units, nearest=False)
        if placed is not None and spent + placed[1] <= (self.collect_within or 0):
            self.collected.update(units)

    def _route(self, units: dict[int, int], nearest: bool = True) -> _Routed | None:
        """The cheapest routing of the demand onto these units: (load, load cost, tie-break score).
        Several streams carry no work-billed cost; without `nearest` only whether they can be
        carried is settled (an empty routing), not the round trips."""
        capacity = {it.index: it.carried(units.get(it.index, 0)) for it in self.bought}
        capacity |= {it.index: it.carried(it.max_count) for it in self.free}
        items = [it for it in [*self.bought, *self.free] if capacity[it.index] > 0]
        if self.k == 1:
            left, cost, score = self.demands[0], 0, 0
            load: dict[tuple[int, str], int] = {}
            for it in sorted(items, key=lambda it: (it.per_load, it.index)):
                take = min(left, capacity[it.index])
                if take:
                    load[it.index, self.streams[0]] = take
                    cost += it.per_load * take
                    score += (it.index + 1) * take if it.per_load else 0
                    left -= take
            return (load, cost, score) if left == 0 else None
        for t in self.subsets:  # Gale: every set of streams has enough capacity within reach
            if sum(capacity[it.index] for it in items if it.mask & t) < self.need[t]:
                return None
        return self._route_nearest(items, capacity) if nearest else ({}, 0, 0)

    def _route_nearest(self, items: list[_Item], capacity: dict[int, int]) -> _Routed:
        """Several streams: route so the load travels the least round trip (a min-cost flow)."""
        nearest = self._route_each_to_nearest(items, capacity)
        if nearest is not None:
            return nearest
        supply = dict(enumerate(self.demands))
        room = {it.index: capacity[it.index] for it in items}
        arcs = {(b, it.index): it.buckets[b] for it in items for b in range(self.k) if it.mask >> b & 1}
        flow = _min_cost_flow(supply, room, arcs)
        load = {(i, self.streams[b]): v for (b, i), v in sorted(flow.items()) if v}
        return load, 0, sum(arcs[a] * v for a, v in flow.items())

    def _route_each_to_nearest(self, items: list[_Item], capacity: dict[int, int]) -> _Routed | None:
        """Every stream whole on its nearest unit (first by index among equals), when that fits: each
        unit of load then travels its least round trip, so no flow can do better. None when it does
        not fit (the flow settles it). Most leaves buy one option, where this is the whole routing."""
        load: dict[tuple[int, str], int] = {}
        used: dict[int, int] = {}
        score = 0
        for b, s in enumerate(self.streams):
            if not self.demands[b]:
                continue
            nearest = min((it for it in items if it.mask >> b & 1), key=lambda it: (it.buckets[b], it.index))
            load[nearest.index, s] = self.demands[b]
            used[nearest.index] = used.get(nearest.index, 0) + self.demands[b]
            score += nearest.buckets[b] * self.demands[b]
        if any(v > capacity[i] for i, v in used.items()):
            return None
        return load, 0, score


def _min_cost_flow(supply: dict[int, int], room: dict[int, int], arcs: dict[tuple[int, int], int]
                   ) -> dict[tuple[int, int], int]:
    """The cheapest flow that ships every source's supply over `arcs` (source, target) -> cost per unit
    into targets of limited room (successive shortest paths, Bellman-Ford on the residual graph;
    the graphs are a handful of user locations and options). The caller has checked that it fits."""
    flow = dict.fromkeys(arcs, 0)
    left = dict(supply)
    used = dict.fromkeys(room, 0)
    while any(left.values()):
        # distances from the sources with supply left, over arcs with room and reversed arcs with flow
        dist: dict[tuple[str, int], int] = {("s", b): 0 for b, v in left.items() if v}
        via: dict[tuple[str, int], tuple[str, int]] = {}
        for _ in range(len(supply) + len(room)):
            changed = False
            for (b, i), cost in arcs.items():
                s, t = ("s", b), ("t", i)
                if s in dist and dist[s] + cost < dist.get(t, math.inf):
                    dist[t], via[t], changed = dist[s] + cost, s, True
                if flow[b, i] and t in dist and dist[t] - cost < dist.get(s, math.inf):
                    dist[s], via[s], changed = dist[t] - cost, t, True
            if not changed:
                break
        ends = [i for i in room if ("t", i) in dist and used[i] < room[i]]
        if not ends:
            raise ValueError("the demand does not fit the room")  # the caller checks that it does
        end = min(ends, key=lambda i: (dist["t", i], i))
        path = [("t", end)]
        while path[-1] in via:
            path.append(via[path[-1]])
        first = path[-1][1]
        amount = min(left[first], room[end] - used[end])
        for head, tail in itertools.pairwise(path):
            if head[0] == "s":  # a backward arc: the flow on (head stream, tail target) goes down
                amount = min(amount, flow[head[1], tail[1]])
        for head, tail in itertools.pairwise(path):
            if head[0] == "t":
                flow[tail[1], head[1]] += amount
            else:
                flow[head[1], tail[1]] -= amount
        left[first] -= amount
        used[end] += amount
    return flow


def _cheapest_fill(demand: float, offers: Iterable[tuple[float, float]]) -> float | None:
    """The LP cost of carrying `demand` with (rate, capacity) offers taken in the order given
    (cheapest rate first); None when they cannot carry it all."""
    cost = 0.0
    for rate, capacity in offers:
        take = min(demand, capacity)
        cost += take * rate
        demand -= take
        if demand <= 1e-9:
            return cost
    return None


class _TooLong(Exception):
    """The search passed NODE_LIMIT."""
