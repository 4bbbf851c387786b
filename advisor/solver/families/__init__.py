"""Constraint families: one object per rule, in its own module.

A family owns everything about one rule: the names it adds (`budget_total`,
`provider_share:aws`, `min_regions:chat`), how it adds itself to the model behind an
enforcement literal (so it can be switched off to price it, or returned in an infeasibility
core), how it describes itself, the policy or workload setting a user edits to change it,
how it suggests a relaxation, and how it finds its own violations in finished placements
without the solver. Adding a rule means adding one module here and listing it in FAMILIES.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from advisor.candidates import CandidateSet, Option
from advisor.plan import Change
from advisor.solver.result import Placement
from advisor.solver.variables import PlacementModel
from advisor.workload.models import Policy


@dataclass(frozen=True)
class Context:
    """What a family reads: the policy, the candidates and the providers lock-in rules count."""

    policy: Policy
    candidates: CandidateSet
    counted: frozenset[str]


Placements = dict[str, list[Placement]]


@dataclass(frozen=True)
class SpendRow:
    """A rule as one linear row over spend: sum over options of coefficient(o) x cost(o) <= rhs,
    in the model's units (milli-cents, shares in hundredths of a percent). The coefficient may
    read only the option's provider, vendor and team (what advisor.solver.lagrange prices)."""

    coefficient: Callable[[Option], int]
    rhs: int


class Family:
    """Base of the constraint families; subclasses set the class attributes and override the methods."""

    prefix: ClassVar[str]
    setting: ClassVar[str]
    template: ClassVar[str]  # description; {} is the argument after the colon
    lp_unit: ClassVar[str] = ""
    """What one unit of slack in this rule is (for its LP dual price), e.g. "$1 more budget"."""
    lp_scale: ClassVar[float] = 0.0
    """Model row units in one `lp_unit` (0: no dual price; the rule has no single row)."""

    def names(self, ctx: Context) -> list[str]:
        raise NotImplementedError

    def add(self, mm: PlacementModel, ctx: Context, name: str) -> None:
        raise NotImplementedError

    def broken(self, ctx: Context, placements: Placements) -> list[str]:
        """Names of this family's constraints that `placements` break."""
        raise NotImplementedError

    def relax(self, name: str, ctx: Context, placements: Placements) -> Change | None:
        """The edit that admits `placements` (a plan found without `name`), if one exists."""
        return None

    def spend_row(self, ctx: Context, name: str) -> SpendRow | None:
        """The rule as a row over spend (the same row `add` adds), for Lagrangian bounds; None when
        it is no such row (min_providers counts providers; per-workload rules)."""
        return None

    def describe(self, name: str) -> str:
        return self.template.format(name.partition(":")[2])

    def owns(self, name: str) -> bool:
        return name.partition(":")[0] == self.prefix


def spend_cents(placements: Placements, keep=lambda p: True) -> float:
    """Cents a month of the placements `keep` selects."""
    return sum(p.cost_cents for ps in placements.values() for p in ps if keep(p))


def _registry() -> list[Family]:
    from advisor.solver.families.budget_team import BudgetTeam
    from advisor.solver.families.budget_total import BudgetTotal
    from advisor.solver.families.commitment_total import CommitmentTotal
    from advisor.solver.families.fleet import FleetCount
    from advisor.solver.families.min_providers import MinProviders
    from advisor.solver.families.min_regions import MinRegions
    from advisor.solver.families.provider_share import ProviderShare
    from advisor.solver.families.quota import Quota
    from advisor.solver.families.region_loss import RegionLoss
    from advisor.solver.families.replicas import Replicas
    from advisor.solver.families.vendor_share import VendorShare

    return [BudgetTotal(), BudgetTeam(), ProviderShare(), VendorShare(), MinProviders(), CommitmentTotal(), Quota(),
            FleetCount(), Replicas(), MinRegions(), RegionLoss()]


FAMILIES: list[Family] = _registry()
"""Every constraint family, in the order the model adds them."""

COUPLING = frozenset({"budget_total", "budget_team", "provider_share", "vendor_share", "min_providers",
                      "commitment_total", "quota", "fleet"})
"""Families that tie workloads together; the others constrain one workload each."""


def couples(name: str) -> bool:
    """Whether the family `name` (`provider_share:aws`) ties workloads together."""
    return name.partition(":")[0] in COUPLING


def family_of(name: str) -> Family | None:
    return next((f for f in FAMILIES if f.owns(name)), None)
