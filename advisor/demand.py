"""What each workload must carry, in integer load units the placement model counts in.

A workload's demand is one or more *streams*: a real-time service has one per user location
(its share of peak requests/s, in milli-requests/s), every other kind has a single stream
`all`. Placements carry load from the streams they may serve; the units are chosen so the
model stays integer and the rounding is always on the safe side (demand rounded up,
capacity rounded down):

| kind | unit | demand |
|---|---|---|
| realtime-inference | 1/1000 request/s | ceil(peak_rps x user share x 1000) per location |
| batch-inference | 1/1000 of a run's requests | 1000 |
| training | one run (when runs_per_month is whole), else the whole month's work | runs_per_month or 1 |
| edge-inference | the whole fleet of sites | 1 |

A real-time workload with a traffic profile (`traffic.profile`) has *load levels*: the shares
of peak its load takes over the month, each with its hours (advisor.workload.profile.levels).
At level l each stream needs ceil(share_l x D_s) units, rounded up like the peak. A profile
with more than MAX_LEVELS distinct shares is merged into that many levels, each quieter hour
counted at the share of the level it joins (never lower than its own).

A real-time language-model service with a request-size mix (`traffic.mix`) has one stream per
user location and bucket, `location/bucket`, with ceil(peak_rps x user share x bucket share x
1000) units; a batch job with one (`volume.mix`) one stream per bucket, `all/bucket`, with
ceil(1000 x bucket share) units. An option then carries each bucket at its own rate: its `stream_capacity` (load
units a unit carries of each stream it serves, when all of its load is of that stream) next to
`capacity`, the fastest of them. A unit's load is weighed per stream (`load_weights`): CAP_SCALE
per load unit of its fastest stream, ceil(CAP_SCALE x capacity / rate) of a slower one, so that

    sum_s weight_s x load_s <= floor(CAP_SCALE x capacity) x units

is "sum of load / rate <= units", rounded on the safe side (weights up, capacity down).
"""

from __future__ import annotations

import math

from advisor.workload.models import BatchInference, MixBucket, RealtimeInference, Training, Workload
from advisor.workload.profile import levels

ALL = "all"
RT_UNITS_PER_RPS = 1000
BATCH_UNITS = 1000
CAP_SCALE = 1000
"""Capacities are floored to 1/1000 of a load unit, so the model never over-states what a unit carries."""


MIX_SEPARATOR = "/"
"""Joins a user location and a request-size bucket in a stream's name (neither may hold it)."""


def demand_units(w: Workload) -> dict[str, int]:
    """Stream -> units the workload's placements must carry together."""
    if isinstance(w, RealtimeInference) and w.traffic.mix is not None:
        return {stream(loc, b.name): max(1, math.ceil(w.traffic.peak_rps * share * b.share * RT_UNITS_PER_RPS - 1e-9))
                for loc, share in sorted(w.traffic.users.items()) for b in w.traffic.mix}
    if isinstance(w, RealtimeInference):
        return {loc: max(1, math.ceil(w.traffic.peak_rps * share * RT_UNITS_PER_RPS - 1e-9))
                for loc, share in sorted(w.traffic.users.items())}
    if isinstance(w, BatchInference) and w.volume.mix is not None:
        return {stream(ALL, b.name): max(1, math.ceil(BATCH_UNITS * b.share - 1e-9)) for b in w.volume.mix}
    if isinstance(w, BatchInference):
        return {ALL: BATCH_UNITS}
    if isinstance(w, Training):
        runs = w.runs_per_month
        return {ALL: int(runs) if float(runs).is_integer() and runs >= 1 else 1}
    return {ALL: 1}


def stream(location: str, bucket: str | None) -> str:
    """The stream of a user location's requests of one size (the location itself without a mix)."""
    return location if bucket is None else f"{location}{MIX_SEPARATOR}{bucket}"


def location_of(name: str) -> str:
    """The user location of a stream."""
    return name.partition(MIX_SEPARATOR)[0]


def bucket_of(name: str) -> str | None:
    """The request-size bucket of a stream; None for a workload without a mix."""
    location, sep, bucket = name.partition(MIX_SEPARATOR)
    return bucket if sep else None


def mix_of(w: Workload) -> list[MixBucket] | None:
    """The request-size mix of a real-time or batch workload; None without one."""
    if isinstance(w, RealtimeInference):
        return w.traffic.mix
    if isinstance(w, BatchInference):
        return w.volume.mix
    return None


def bucket_workloads(w: Workload) -> dict[str, Workload]:
    """Each bucket of a mixed workload as a workload of one request size: its tokens, its share
    of the peak (or of a run's requests), and the measurements taken at that size (what the
    performance model sizes)."""
    out: dict[str, Workload] = {}
    for b in mix_of(w) or []:
        measured = [m.model_copy(update={"bucket": None}) for m in w.measured if m.bucket == b.name]
        size = {"mix": None, "input_tokens": b.input_tokens, "output_tokens": b.output_tokens}
        if isinstance(w, RealtimeInference):
            traffic = w.traffic.model_copy(update={**size, "peak_rps": w.traffic.peak_rps * b.share})
            out[b.name] = w.model_copy(update={"traffic": traffic, "measured": measured})
        elif isinstance(w, BatchInference):
            volume = w.volume.model_copy(update={**size, "requests_per_run": w.volume.requests_per_run * b.share})
            out[b.name] = w.model_copy(update={"volume": volume, "measured": measured})
    return out


def load_weights(capacity: float, serves: tuple[str, ...], stream_capacity: tuple[float, ...]) -> dict[str, int]:
    """Weight of one load unit of each stream in a unit's capacity row (module docstring); {} when
    every stream weighs CAP_SCALE (an option without per-stream rates)."""
    if not stream_capacity:
        return {}
    return {s: math.ceil(CAP_SCALE * capacity / rate - 1e-9) if rate > 0 else 0
            for s, rate in zip(serves, stream_capacity, strict=True)}


def units_for_load(capacity: float, weights: dict[str, int], load: dict[str, int]) -> int:
    """Least units of an option that carry `load` (stream -> load units), with the model's rounding."""
    carry = math.floor(capacity * CAP_SCALE)
    weighed = sum(weights.get(s, CAP_SCALE) * units for s, units in load.items())
    return math.ceil(weighed / carry) if carry > 0 else 0


def splits_by_count(w: Workload) -> bool:
    """Whether min_replicas/max_replicas and mixing by instance count apply (real-time and batch)."""
    return isinstance(w, (RealtimeInference, BatchInference))


Levels = tuple[tuple[float, float], ...]
"""(share of peak, hours a month) per load level, the peak first."""


MAX_LEVELS = 8
"""Load levels a workload's model holds at most (the peak included). Each level adds units and
routes per option; past about a dozen CP-SAT no longer settles the tie-break between equal-cost
plans (which region serves whom) within its limit. Finer profiles are merged: see `merged`."""


def profile_levels(w: Workload) -> Levels:
    """A real-time workload's load levels under its traffic profile, hours without traffic left
    out, at most MAX_LEVELS of them; () when it carries its peak all month (no profile, or flat)."""
    if not isinstance(w, RealtimeInference) or w.traffic.profile is None:
        return ()
    found = levels(*w.traffic.week())
    return merged(tuple((share, hours) for share, hours in found if share > 0)) if len(found) > 1 else ()


def merged(found: Levels, most: int = MAX_LEVELS) -> Levels:
    """The levels with the fewest extra load-hours in at most `most` levels: repeatedly, the level
    whose hours cost least to carry at the next higher share (gap x hours) joins that level. The
    load is only ever rounded up, so capacity planned for the merged levels carries the profile."""
    out = list(found)
    while len(out) > most:
        k = min(range(1, len(out)), key=lambda i: ((out[i - 1][0] - out[i][0]) * out[i][1], i))
        out[k - 1] = (out[k - 1][0], out[k - 1][1] + out[k][1])
        del out[k]
    return tuple(out)


def level_demand(demand: dict[str, int], share: float) -> dict[str, int]:
    """Each stream's load units at a level of `share` of peak (rounded up, as the peak is)."""
    return {s: math.ceil(share * units - 1e-9) for s, units in demand.items()}


def units_carrying(demand: dict[str, int], share: float, capacity: float,
                   weights: dict[str, int] | None = None) -> int:
    """Units of `capacity` load units each (streams weighed by `weights`) that carry the whole
    demand at `share` of peak, with the model's rounding."""
    return units_for_load(capacity, weights or {}, level_demand(demand, share))


def units_by_level(demand: dict[str, int], shares: list[float], capacity: float, weights: dict[str, int],
                   least: int) -> list[int]:
    """Units of one option carrying a workload alone at each load level (`shares`, the peak first):
    what the level's load needs, at least `least` (min_replicas), never more than at the peak
    (units run out of the peak fleet)."""
    peak = max(least, units_carrying(demand, shares[0], capacity, weights))
    return [peak] + [min(peak, max(least, units_carrying(demand, share, capacity, weights))) for share in shares[1:]]
