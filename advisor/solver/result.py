"""What a solve returns: placements per workload, cost, bound, and for an infeasible model its core."""

from __future__ import annotations

from dataclasses import dataclass, field

from advisor.candidates import Option


@dataclass(frozen=True)
class Placement:
    """`count` units of one option carrying `load` (stream -> load units) of its workload at peak.

    Under a traffic profile an hourly-billed placement runs `running[l - 1]` of its units at the
    workload's quieter load level l (advisor.demand); a committed one (`running` empty) runs all
    of them at every level."""

    option: Option
    count: int
    load: dict[str, int]
    cost_millicents: int
    demand: dict[str, int]
    running: tuple[int, ...] = ()
    level_loads: tuple[dict[str, int], ...] = ()
    """Under a request-size mix and a traffic profile: the load of each stream it carries at each
    quieter level (its routing there, which the plan states for the checker)."""

    def at_level(self, level: int) -> int:
        """Units running at load level `level` (0: the peak)."""
        return self.count if level == 0 or not self.running else self.running[level - 1]

    @property
    def cost_cents(self) -> float:
        return self.cost_millicents / 1000

    @property
    def instances(self) -> int:
        return self.count * self.option.unit_instances

    @property
    def share(self) -> float:
        """Share of the workload's whole demand this placement carries (0..1)."""
        total = sum(self.demand.values())
        return sum(self.load.values()) / total if total else 0.0

    def stream_share(self, stream: str) -> float:
        """Share of one stream (a user location's traffic) carried here (0..1)."""
        return self.load.get(stream, 0) / self.demand[stream] if self.demand.get(stream) else 0.0


@dataclass
class SolveResult:
    status: str  # optimal | feasible | infeasible | unknown (limit reached before any plan)
    placements: dict[str, list[Placement]] = field(default_factory=dict)
    cost_millicents: int | None = None
    bound_millicents: int | None = None
    core: list[str] = field(default_factory=list)
    empty_workloads: list[str] = field(default_factory=list)
    separable: bool = False
    """Every workload runs at its own optimum (no coupling family binds): each cost is a lower bound."""
    too_large: bool = False
    """The full search did not run because its model was too large (advisor.solver.model,
    FULL_SEARCH_OPTIONS): the plan is the warm start's, and more time would not change it."""
    whole_gpus: list[str] = field(default_factory=list)
    """Workloads that could share MIG GPUs but were solved on whole ones: a policy rule coupled the
    fleet, and the joint search prices each option alone (docs/ARCHITECTURE.md)."""

    @property
    def cost_cents(self) -> int | None:
        return None if self.cost_millicents is None else round(self.cost_millicents / 1000)

    @property
    def bound_cents(self) -> int | None:
        return None if self.bound_millicents is None else self.bound_millicents // 1000

    @property
    def chosen(self) -> dict[str, Option]:
        """Each workload's main placement (the one carrying most of its load)."""
        return {w: max(ps, key=lambda p: (p.share, -p.option.monthly_cost_cents)).option
                for w, ps in self.placements.items() if ps}

    @property
    def proven(self) -> bool:
        return self.status in ("optimal", "infeasible")

    @property
    def gap_pct(self) -> float | None:
        if self.cost_millicents is None or self.bound_millicents is None or self.cost_millicents == 0:
            return None if self.cost_millicents is None else 0.0
        return round(100 * max(0, self.cost_millicents - self.bound_millicents) / self.cost_millicents, 3)
