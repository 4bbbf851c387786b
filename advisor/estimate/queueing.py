"""The wait a request spends queued at a loaded replica, and the load a replica is planned at.

A replica is modelled as an M/M/c queue (Erlang C): Poisson arrivals at rate lambda, `slots`
requests served at once (the batch of an LLM replica, the devices of a fixed-cost model), each
for `service_s` (an LLM's round: its prefill and every decode step). With utilisation
rho = lambda * service_s / slots, the probability that a request waits is Erlang C, C(slots, rho),
and the wait beyond a quantile q is exponential:

    P(wait > t) = C * exp(-slots * (1 - rho) * t / service_s)
    wait_q      = service_s * ln(C / (1 - q)) / (slots * (1 - rho))     (0 when C <= 1 - q)

A request's p95 time to first token is then its prefill plus wait_q, its p95 end-to-end
latency its round plus wait_q. Two simplifications, both on the safe side: service times are
taken as exponential (a batch's round is nearly constant, and constant service waits about half
as long: M/D/c), and a replica decodes at its full batch's pace at any load (fewer requests in
flight decode faster). A replica is planned at the highest utilisation, in steps of
UTILISATION_STEP and at most MAX_UTILISATION, whose wait keeps every objective; the check against
MLPerf's server scenario is in tests/test_queueing.py and docs/PERFORMANCE_MODEL.md.
"""

from __future__ import annotations

import functools
import math

MAX_UTILISATION = 0.95
"""The highest share of a replica's rate a plan uses: as the load reaches the rate, the queue
grows without bound, and a peak a little above its forecast must not take the service down."""
UTILISATION_STEP = 0.05
"""Planned utilisations are multiples of this (rounded down): a plan states a load a reviewer can
check, and equal replicas get equal capacities whatever their small latency differences."""
P95 = 0.95


@functools.lru_cache(maxsize=65_536)
def wait_probability(slots: int, utilisation: float) -> float:
    """Erlang C: the probability that an arriving request finds every slot busy.

    Computed from the Erlang B recursion, which stays within floating point for thousands of
    slots (the textbook formula's a^c / c! overflows)."""
    if utilisation <= 0:
        return 0.0
    if utilisation >= 1:
        return 1.0
    offered = utilisation * slots
    blocking = 1.0
    for k in range(1, slots + 1):
        blocking = offered * blocking / (k + offered * blocking)
    return blocking / (1 - utilisation * (1 - blocking))


def wait_s(slots: int, service_s: float, utilisation: float, quantile: float = P95) -> float:
    """The wait in the queue that `quantile` of requests stay within, in seconds (inf at or past
    full load)."""
    if utilisation >= 1:
        return math.inf
    waits = wait_probability(slots, utilisation)
    if waits <= 1 - quantile:
        return 0.0
    return service_s * math.log(waits / (1 - quantile)) / (slots * (1 - utilisation))


def planned_utilisation(slots: int, service_s: float, slack_s: float | None, quantile: float = P95) -> float:
    """The highest utilisation (a multiple of UTILISATION_STEP, at most MAX_UTILISATION) at which the
    quantile's wait fits in `slack_s` (None: no objective bounds the wait); 0.0 when none does."""
    steps = round(MAX_UTILISATION / UTILISATION_STEP)
    for k in range(steps, 0, -1):
        utilisation = round(k * UTILISATION_STEP, 6)
        if slack_s is None or wait_s(slots, service_s, utilisation, quantile) <= slack_s:
            return utilisation
    return 0.0


def planned_load(slots: int, service_s: float, slack_s: float | None) -> tuple[float, float]:
    """(utilisation, p95 wait in seconds) of a replica planned at the highest load whose p95 wait
    fits in `slack_s` (None: no objective bounds the wait)."""
    utilisation = planned_utilisation(slots, service_s, slack_s)
    return utilisation, wait_s(slots, service_s, utilisation)
