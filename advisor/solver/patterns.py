"""Whole patterns: a few ready-made ways to carry one workload, for the fleet's warm start.

A pattern fixes each option's units and peak load for one workload. The warm start picks one
pattern per workload (a small Boolean model, advisor.solver.model._single_placement_plan), and
the Lagrangian master LP mixes them as columns (advisor.solver.lagrange). Coupling rules (share
caps, min_providers) move workloads between providers, so each workload needs, per provider and
vendor, a pattern about as cheap as that provider can carry it:

- the cheapest option carrying it alone (sized for the peak);
- under a traffic profile, also a baseline and burst pair: the cheapest committed option
  (reserved or bought) sized for one of the quieter load levels, plus the cheapest hourly-billed
  option for the rest of the peak. A profiled service's own optimum is usually such a mix; without
  the pair, moving the service to another provider was priced at that provider's peak-sized
  single option, up to several times its own cost, and a 100-service fleet under a 50% share cap
  ended 18% above its bound.

Patterns hold no units per load level: `pattern_running` estimates them (committed units carry
their peak load at every level, hourly ones the rest), which is what the master LP's columns
cost; the warm-start model chooses them itself.
"""

from __future__ import annotations

import math

from advisor.candidates import CandidateSet, Option
from advisor.demand import CAP_SCALE, level_demand, units_by_level, units_carrying
from advisor.solver.variables import Coefficients

Pattern = dict[str, tuple[int, dict[str, int]]]
"""One way to carry a workload whole: option key -> (units, load per stream)."""


def options_by_key(candidates: CandidateSet, w: str) -> dict[str, Option]:
    """Workload w's options by key (memoised with the candidates)."""
    memo = ("by key", w)
    if memo not in candidates.solved:
        candidates.solved[memo] = {o.key: o for o in candidates.options[w]}
    by_key: dict[str, Option] = candidates.solved[memo]
    return by_key


def units_alone(candidates: CandidateSet, w: str, o: Option) -> int:
    """Units of `o` that carry workload `w` alone (at least its min_replicas where those count)."""
    need = o.units_for(candidates.demands[w]) if math.floor(o.capacity * CAP_SCALE) else o.max_count
    limits = candidates.limits[w]
    return min(o.max_count, max(need, limits.min_replicas if limits.by_count else 1))


def running_alone(candidates: CandidateSet, w: str, o: Option, units: int) -> tuple[int, ...]:
    """Units of `o`, holding `units` at peak and carrying workload w alone, running at each quieter
    load level it bills by the hour (its load and min_replicas need them); () when committed."""
    shares = [share for share, _ in candidates.levels.get(w, ())[:len(o.level_costs_cents) + 1]]
    if len(shares) < 2:
        return ()
    quieter = units_by_level(candidates.demands[w], shares, o.capacity, o.load_weights(),
                             candidates.limits[w].min_replicas)[1:]
    return tuple(min(units, k) for k in quieter)


def alone_cost(candidates: CandidateSet, w: str, o: Option) -> int:
    """Milli-cents of `o` carrying workload `w` alone (under a traffic profile, as many units at
    each quieter level as its load and min_replicas need)."""
    demand = candidates.demands[w]
    units = units_alone(candidates, w, o)
    return Coefficients.of(o, sum(demand.values())).cost(units, demand, running_alone(candidates, w, o, units))


def running_at(o: Option, units: int, load: dict[str, int], share: float) -> int:
    """Units of `o` that carry `share` of the load a pattern gives it at peak (each stream rounded
    up, so the units of a workload's options together carry the level's demand)."""
    if math.floor(o.capacity * CAP_SCALE) <= 0:
        return units
    return min(units, units_carrying(load, share, o.capacity, o.load_weights()))


def pattern_running(candidates: CandidateSet, w: str, pattern: Pattern) -> dict[str, tuple[int, ...]]:
    """Units of each hourly-billed option of the pattern running at each quieter load level:
    committed units run (and carry their peak load) at every level, so the hourly ones carry the
    level's load above that, each in proportion to its peak load. Exact for one option alone."""
    levels = candidates.levels.get(w, ())
    if len(levels) < 2:
        return {}
    by_key = options_by_key(candidates, w)
    total = sum(candidates.demands[w].values()) or 1
    committed = sum(sum(load.values()) for key, (_, load) in pattern.items() if not by_key[key].level_costs_cents)
    base = min(1.0, committed / total)
    out = {}
    for key, (units, load) in pattern.items():
        o = by_key[key]
        if o.level_costs_cents:
            # the share of this option's peak load it still carries at a level of `share` of peak
            out[key] = tuple(running_at(o, units, load, max(0.0, share - base) / (1 - base) if base < 1 else 0.0)
                             for share, _ in levels[1:len(o.level_costs_cents) + 1])
    return out


def option_costs(candidates: CandidateSet, w: str, pattern: Pattern) -> dict[str, int]:
    """Milli-cents of each option of the pattern, with `pattern_running`'s units at the quieter
    levels (what the master LP's column and the warm start's choice of pattern read)."""
    by_key = options_by_key(candidates, w)
    total = sum(candidates.demands[w].values())
    running = pattern_running(candidates, w, pattern)
    return {key: Coefficients.of(by_key[key], total).cost(units, load, running.get(key, ()))
            for key, (units, load) in pattern.items()}


def pattern_cost(candidates: CandidateSet, w: str, pattern: Pattern) -> int:
    """Milli-cents the pattern costs with `pattern_running`'s units at the quieter levels."""
    return sum(option_costs(candidates, w, pattern).values())


def alone_choices(candidates: CandidateSet, w: str, regional: bool, forced: str | None,
                  options: list[Option] | None = None) -> list[Option]:
    """Per provider, vendor (and region, where a family reads regions), the cheapest option that
    carries the workload alone (among `options`, by default all of the workload's)."""
    best: dict[tuple[str, str, str | None], tuple[int, Option]] = {}
    for o in candidates.options[w] if options is None else options:
        if not o.full_reach or o.max_count < 1 or (forced is not None and o.key != forced):
            continue
        cost = alone_cost(candidates, w, o)
        group = (o.provider, o.vendor, o.region_key if regional else None)
        if group not in best or cost < best[group][0]:
            best[group] = (cost, o)
    return [o for _, o in best.values()]


BURST_CHOICES = 2
"""Committed and hourly options tried per provider and vendor for a baseline and burst pair (the
cheapest per unit of capacity): each pair is costed at every quieter level as its baseline."""


def _carrier(o: Option) -> bool:
    return o.full_reach and o.max_count >= 1 and math.floor(o.capacity * CAP_SCALE) > 0


def _per_capacity(candidates: CandidateSet, w: str, o: Option) -> float:
    total = sum(candidates.demands[w].values())
    c = Coefficients.of(o, total)
    return (c.per_unit + sum(c.per_level)) / o.capacity


def burst_patterns(candidates: CandidateSet, w: str, regional: bool,
                   options: list[Option] | None = None) -> list[Pattern]:
    """Per provider, vendor (and region, where a family reads regions) of a profiled workload, its
    cheapest baseline and burst pair: committed units carrying one quieter level's load, hourly
    units the rest of the peak (none without a profile, or where a group lacks either kind);
    among `options`, by default all of the workload's."""
    levels = candidates.levels.get(w, ())
    if len(levels) < 2:
        return []
    demand = candidates.demands[w]
    least = candidates.limits[w].min_replicas if candidates.limits[w].by_count else 1
    groups: dict[tuple[str, str, str | None], tuple[list[Option], list[Option]]] = {}
    for o in candidates.options[w] if options is None else options:
        if _carrier(o):
            committed, hourly = groups.setdefault((o.provider, o.vendor, o.region_key if regional else None), ([], []))
            (hourly if o.level_costs_cents else committed).append(o)
    out = []
    for committed, hourly in groups.values():
        if not committed or not hourly:
            continue
        committed = sorted(committed, key=lambda o: (_per_capacity(candidates, w, o), o.key))[:BURST_CHOICES]
        hourly = sorted(hourly, key=lambda o: (_per_capacity(candidates, w, o), o.key))[:BURST_CHOICES]
        best: tuple[int, Pattern] | None = None
        for c in committed:
            for share, _ in levels[1:]:
                base = level_demand(demand, share)
                rest = {s: v - base[s] for s, v in demand.items() if v > base[s]}
                base_units = c.units_for(base)
                if not rest or base_units > c.max_count:
                    continue
                for h in hourly:
                    burst_units = max(h.units_for(rest), least - base_units)
                    if burst_units > h.max_count:
                        continue
                    pattern: Pattern = {c.key: (base_units, base), h.key: (burst_units, rest)}
                    cost = pattern_cost(candidates, w, pattern)
                    if best is None or cost < best[0]:
                        best = (cost, pattern)
        if best is not None:
            out.append(best[1])
    return out


def whole_patterns(candidates: CandidateSet, w: str, regional: bool, forced: str | None,
                   options: list[Option] | None = None) -> list[Pattern]:
    """The workload's ready-made patterns: its cheapest option alone per provider and vendor (and
    region, where a family reads regions), then, unless an option is forced, its baseline and
    burst pairs; among `options`, by default all of the workload's."""
    demand = candidates.demands[w]
    out: list[Pattern] = [{o.key: (units_alone(candidates, w, o), dict(demand))}
                          for o in alone_choices(candidates, w, regional, forced, options)]
    if forced is None:
        out += burst_patterns(candidates, w, regional, options)
    return out


def pattern_options(patterns: dict[str, list[Pattern]]) -> int:
    """Options the model over whole patterns holds: at 2,000 workloads about 217,000 variables,
    38 s and 1.1 GB for no plan; at 10,000 it ran out of memory (16 GB)."""
    return sum(len({key for p in ways for key in p}) for ways in patterns.values())
