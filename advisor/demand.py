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
"""

from __future__ import annotations

import math

from advisor.workload.models import BatchInference, RealtimeInference, Training, Workload
from advisor.workload.profile import levels

ALL = "all"
RT_UNITS_PER_RPS = 1000
BATCH_UNITS = 1000
CAP_SCALE = 1000
"""Capacities are floored to 1/1000 of a load unit, so the model never over-states what a unit carries."""


def demand_units(w: Workload) -> dict[str, int]:
    """Stream -> units the workload's placements must carry together."""
    if isinstance(w, RealtimeInference):
        return {loc: max(1, math.ceil(w.traffic.peak_rps * share * RT_UNITS_PER_RPS - 1e-9))
                for loc, share in sorted(w.traffic.users.items())}
    if isinstance(w, BatchInference):
        return {ALL: BATCH_UNITS}
    if isinstance(w, Training):
        runs = w.runs_per_month
        return {ALL: int(runs) if float(runs).is_integer() and runs >= 1 else 1}
    return {ALL: 1}


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


def units_carrying(demand: dict[str, int], share: float, capacity: float) -> int:
    """Units of `capacity` load units each that carry the whole demand at `share` of peak, with
    the model's rounding (a unit carries floor(CAP_SCALE x capacity) / CAP_SCALE)."""
    carry = math.floor(capacity * CAP_SCALE)
    need = sum(level_demand(demand, share).values())
    return math.ceil(CAP_SCALE * need / carry) if carry > 0 else 0
