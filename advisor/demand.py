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
"""

from __future__ import annotations

import math

from advisor.workload.models import BatchInference, RealtimeInference, Training, Workload

ALL = "all"
RT_UNITS_PER_RPS = 1000
BATCH_UNITS = 1000


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
