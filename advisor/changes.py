"""Concrete edits to the inputs: what a user would change to relax a rule or a policy setting.

A suggested relaxation is only useful if applying it works, so every suggestion is a list of
`Change`s (document, dotted field, new value) that can be applied to the validated inputs
and re-planned; the explainer does exactly that before it reports a relaxation.
"""

from __future__ import annotations

import math
from typing import Any

from advisor.candidates import Option
from advisor.plan import Change
from advisor.workload.models import WORKLOAD_MODELS, EdgeInference, Policy, RealtimeInference, Workload

POLICY = "policy"

RULE_FIELDS: dict[str, tuple[str, Any]] = {
    "providers": ("constraints.providers", None),
    "regions": ("constraints.regions", None),
    "accelerators": ("constraints.accelerators", None),
    "jurisdiction": ("constraints.jurisdictions", None),
    "portable": ("constraints.portable", False),
    "spot_interruptible": ("constraints.spot", True),
    "pricing": ("constraints.pricing", None),
    "max_replicas": ("constraints.max_replicas", None),
}
"""Workload rules that are lifted by setting one field (None: remove it, so its default applies)."""


def _ceil(value: float, digits: int = 0) -> float | int:
    """Round up, so that the suggested limit admits the option it was read from."""
    scale = 10 ** digits
    up = math.ceil(value * scale - 1e-9) / scale
    return int(up) if digits == 0 else up


def rule_changes(w: Workload, policy: Policy, rule: str, option: Option) -> list[Change] | None:
    """The edits that lift `rule` for workload `w` far enough for `option` (None: no edit can)."""
    if rule in RULE_FIELDS:
        field, value = RULE_FIELDS[rule]
        return [Change(document=w.name, field=field, value=value)]
    if rule == "allowed_providers":
        allowed = sorted({*(policy.allowed_providers or []), option.provider})
        return [Change(document=POLICY, field="allowed_providers", value=allowed)]
    if rule == "latency_slo" and isinstance(w, (RealtimeInference, EdgeInference)):
        return _latency_changes(w, option)
    if rule == "commitment_term":
        return [Change(document=POLICY, field="budget.max_commitment_term_months", value=option.term_months)]
    if rule == "power_budget" and isinstance(w, EdgeInference) and option.sizing.power_w_per_site is not None:
        return [Change(document=w.name, field="sites.max_power_w", value=_ceil(option.sizing.power_w_per_site))]
    return None


def _latency_changes(w: RealtimeInference | EdgeInference, option: Option) -> list[Change]:
    """Raise each latency objective the workload sets to what `option` achieves (network included)."""
    network = option.network_rtt_ms or 0.0
    sizings = [s for _, s in option.bucket_sizings] or [option.sizing]  # under a request-size mix: the slowest size

    def worst(values: list[float | None], plus: float) -> float | None:
        known = [v for v in values if v is not None]
        return max(known) + plus if known else None

    achieved = {
        "p95_latency_ms": worst([s.compute_latency_ms for s in sizings], network),
        "ttft_ms": worst([s.ttft_ms for s in sizings], network),
        "tpot_ms": worst([s.tpot_ms for s in sizings], 0.0),
    }
    changes = []
    for name, value in achieved.items():
        limit = getattr(w.slo, name)
        if limit is not None and value is not None and value > limit:
            changes.append(Change(document=w.name, field=f"slo.{name}", value=_ceil(value, 1)))
    return changes


def describe_change(change: Change) -> str:
    """`chat: set slo.ttft_ms to 1800` / `policy: remove allowed_providers`."""
    if change.value is None:
        return f"{change.document}: remove {change.field}"
    value = change.value
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list):
        value = "[" + ", ".join(value) + "]"
    elif isinstance(value, dict):
        value = "{" + ", ".join(f"{k}: {v:g}" for k, v in sorted(value.items())) + "}"
    return f"{change.document}: set {change.field} to {value}"


def _set(data: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """A copy of `data` with the dotted field set (None: removed); in a list of named records
    (`fleets.fra-dgx.count`) the part after the list's name picks the record by its name."""
    head, _, rest = dotted.partition(".")
    copy = dict(data)
    if rest and isinstance(copy.get(head), list):  # a list of named records: the next part is a name
        name, _, field = rest.partition(".")
        copy[head] = [_set(item, field, value) if item.get("name") == name else item for item in copy[head]]
    elif rest:
        copy[head] = _set(dict(copy.get(head) or {}), rest, value)
    elif value is None:
        copy.pop(head, None)
    else:
        copy[head] = value
    return copy


def apply_changes(workloads: list[Workload], policy: Policy,
                  changes: list[Change]) -> tuple[list[Workload], Policy]:
    """The inputs with `changes` applied, validated again like a user's edit would be."""
    edits: dict[str, list[Change]] = {}
    for change in changes:
        edits.setdefault(change.document, []).append(change)
    new_workloads = []
    for w in workloads:
        if w.name not in edits:
            new_workloads.append(w)
            continue
        data = w.model_dump(exclude_none=True)
        for change in edits[w.name]:
            data = _set(data, change.field, change.value)
        new_workloads.append(WORKLOAD_MODELS[w.kind].model_validate(data))  # type: ignore[arg-type]
    if POLICY in edits:
        data = policy.model_dump(exclude_none=True)
        for change in edits[POLICY]:
            data = _set(data, change.field, change.value)
        policy = Policy.model_validate(data)
    return new_workloads, policy
