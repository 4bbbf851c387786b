"""The CSV bill of materials: one row per line item, each one a reader can recompute.

A rented placement is one item (unit price per instance-hour x billed instance-hours); spot
capacity is two, the spot hours and the on-demand hours that replace what is reclaimed; bought
hardware is its purchase (unit price x count, paid up front and spread over its term), its
operations and its energy; owned hardware, operations and energy. The monthly, up-front and
first-year columns add up to the JSON's totals to the cent. After a blank line, lines starting
with `#` state those totals and the plan's provenance (readers such as pandas skip them with
`comment="#"`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from advisor.candidates import COMMITMENT_MONTHS
from advisor.plan import Assignment, Plan
from advisor.render.formats import BOM_COLUMNS, IDLE_ROW, csv_field, csv_text_cell, serves_text
from advisor.rows import amortised_cents

ROW_TEXT = ("model", "description")


def _cents(usd: float | None) -> int:
    return round((usd or 0.0) * 100)


def _hours(a: Assignment) -> float:
    """Instance-hours a month the placement bills (all of them under a traffic profile)."""
    if a.instance_hours_per_month is not None:
        return a.instance_hours_per_month
    return a.instances * a.estimate.busy_hours_per_month


def _item(a: Assignment, item: str, monthly_cents: int, unit_price: float | None, unit: str | None,
          hours: float | None, upfront: float | None = None, term: int | None = None,
          first_year_cents: int | None = None) -> dict[str, Any]:
    months = 1 if a.once else 12
    first = months * monthly_cents if first_year_cents is None else first_year_cents
    row = a.model_dump(mode="json")
    row.update(item=item, monthly_cost_usd=monthly_cents / 100, annual_cost_usd=months * monthly_cents / 100,
               unit_price_usd=unit_price, price_unit=unit,
               billed_hours=round(hours, 2) if hours is not None else None,
               upfront_usd=upfront, commitment_term_months=term, first_year_usd=first / 100,
               serves=serves_text(a), workloads=a.workload)
    return row


def _items(a: Assignment) -> Iterator[dict[str, Any]]:
    """The line items of one placement (see the module docstring)."""
    monthly = _cents(a.monthly_cost_usd)
    if a.pricing in ("capex", "owned"):
        amortisation = 0
        if a.pricing == "capex" and a.upfront_usd is not None and a.amortisation_months:
            amortisation = amortised_cents(a.upfront_usd, a.amortisation_months)
            yield _item(a, "purchase", amortisation, round(a.upfront_usd / max(1, a.instances), 2), "instance",
                        None, a.upfront_usd, a.amortisation_months, _cents(a.upfront_usd))
        operations = _cents(a.operations_monthly_usd)
        if operations:
            yield _item(a, "operations", operations, None, None, None)
        yield _item(a, "energy", monthly - amortisation - operations, None, None, None)
        return
    term = COMMITMENT_MONTHS.get(a.pricing)
    if a.mig_profile is not None:  # a share of shared GPUs: the GPUs are priced in their group
        yield _item(a, "MIG slice", monthly, None, None, None, term=term)
        return
    hours = _hours(a)
    if a.pricing == "spot" and a.spot_interruption_pct:
        reclaimed = a.spot_interruption_pct / 100
        fallback = _cents(a.fallback_monthly_usd)
        yield _item(a, "spot", monthly - fallback, a.hourly_usd, "instance-hour", hours * (1 - reclaimed))
        fallback_row = _item(a, "on-demand fallback", fallback, a.fallback_hourly_usd, "instance-hour",
                             hours * reclaimed)
        yield {**fallback_row, "pricing": "on_demand", "hourly_usd": a.fallback_hourly_usd}
        return
    yield _item(a, "instances", monthly, a.hourly_usd, "instance-hour", hours, term=term)


def bom_rows(plan: Plan) -> list[dict[str, Any]]:
    """Every line item of the plan, placements first (in plan order), then idle parts of shared GPUs."""
    details = {e.workload: e for e in plan.explanations}
    rows = []
    for a in plan.assignments:
        explanation = details.get(a.workload)
        for row in _items(a):
            row.update(model=explanation.model if explanation else None,
                       description=explanation.description if explanation else None)
            rows.append(row)
    for g in plan.shared_gpus:
        holders = sorted({s.workload for s in g.slices if s.workload})
        rows.append({"workload": IDLE_ROW, "provider": g.provider, "region": g.region, "instance": g.instance,
                     "accelerator": g.accelerator, "accelerator_count": g.count, "instances": g.count,
                     "pricing": g.pricing, "monthly_cost_usd": g.idle_monthly_usd,
                     "annual_cost_usd": round(12 * g.idle_monthly_usd, 2), "item": "idle part of shared GPUs",
                     "commitment_term_months": COMMITMENT_MONTHS.get(g.pricing),
                     "first_year_usd": g.idle_first_year_usd, "workloads": "; ".join(holders)})
    return rows


def _comment(text: str) -> str:
    return "# " + csv_text_cell(" ".join(text.split()))


def render_csv(plan: Plan) -> str:
    rows = bom_rows(plan)
    lines = [",".join(BOM_COLUMNS)]
    lines += [",".join(csv_field(row.get(c)) for c in BOM_COLUMNS) for row in rows]
    summary = plan.summary
    notes = [f"total monthly_cost_usd {plan.total_monthly_cost_usd}",
             f"total upfront_usd {summary.upfront_usd if summary else 0.0}",
             f"total first_year_usd {summary.first_year_usd if summary else None}",
             f"status {plan.status}; solver {plan.solver.engine} {plan.solver.status}, bound "
             f"{plan.solver.bound_usd}, gap {plan.solver.gap_pct}%"]
    if plan.provenance is not None:
        notes.append(f"advisor {plan.provenance.advisor_version}, output schema {plan.schema_version}, generated "
                     f"{plan.provenance.generated_at or 'at no fixed time (set SOURCE_DATE_EPOCH)'}")
        notes += [f"input {f.path} sha256 {f.sha256}" for f in plan.provenance.inputs]
    notes += [f"catalog layer {layer.path}: {layer.files} files as of {layer.oldest_as_of} to {layer.newest_as_of}"
              + (f", sha256 {layer.sha256}" if layer.sha256 else "") for layer in plan.catalog_layers]
    return "\n".join(lines) + "\n\n" + "\n".join(map(_comment, notes)) + "\n"
