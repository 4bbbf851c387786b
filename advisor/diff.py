"""`advisor diff OLD.json NEW.json`: what moved where between two plans, and what it costs.

A headline sentence with the direction and the percentage (as a pull-request cost comment has
it), then per workload the old and new monthly cost and placements, the workloads added and
removed, and the change per team. Plans are read as the JSON output contract; the idle part of
shared GPUs counts in the totals, as in the plans themselves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from advisor.plan import Assignment, Plan
from advisor.problems import single
from advisor.render.formats import md_escape, signed_usd, usd
from advisor.text import display_path


def load_plan(path: str) -> Plan:
    """A plan from its JSON file; a clear input error (file, what is wrong) otherwise."""
    shown = display_path(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise single(shown, f"cannot read the plan: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise single(shown, "not a JSON plan: the file is not UTF-8 text") from None
    try:
        return Plan.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(document)"
        try:
            json.loads(text)
        except ValueError:
            raise single(shown, "not a JSON plan: the file is not valid JSON (write one with advisor plan "
                                "--format json)") from None
        raise single(shown, f"not a plan of this advisor's output contract: '{where}': {first['msg']}") from None


@dataclass(frozen=True)
class WorkloadChange:
    workload: str
    team: str
    old_usd: float | None  # None: added
    new_usd: float | None  # None: removed
    old_places: tuple[str, ...]
    new_places: tuple[str, ...]

    @property
    def delta_usd(self) -> float:
        return (self.new_usd or 0.0) - (self.old_usd or 0.0)

    @property
    def moved(self) -> bool:
        return self.old_usd is not None and self.new_usd is not None and self.old_places != self.new_places


@dataclass(frozen=True)
class PlanDiff:
    old_total: float | None
    new_total: float | None
    workloads: list[WorkloadChange]
    teams: list[tuple[str, float, float]]  # team, old, new

    @property
    def increase_pct(self) -> float | None:
        if self.old_total is None or self.new_total is None or not self.old_total:
            return None
        return 100 * (self.new_total - self.old_total) / self.old_total


def _place(a: Assignment) -> str:
    sliced = f"{a.mig_profile} slice{'s' if a.instances > 1 else ''} of " if a.mig_profile else ""
    return f"{a.instances} x {sliced}{a.instance} ({a.provider} {a.region}, {a.pricing})"


def diff_plans(old: Plan, new: Plan) -> PlanDiff:
    def by_workload(plan: Plan) -> dict[str, list[Assignment]]:
        rows: dict[str, list[Assignment]] = {}
        for a in plan.assignments:
            rows.setdefault(a.workload, []).append(a)
        return rows

    before, after = by_workload(old), by_workload(new)
    changes = []
    for name in sorted(set(before) | set(after)):
        was, now = before.get(name, []), after.get(name, [])
        changes.append(WorkloadChange(
            workload=name, team=(now or was)[0].team,
            old_usd=round(sum(a.monthly_cost_usd for a in was), 2) if was else None,
            new_usd=round(sum(a.monthly_cost_usd for a in now), 2) if now else None,
            old_places=tuple(sorted(map(_place, was))), new_places=tuple(sorted(map(_place, now)))))
    teams: dict[str, list[float]] = {}
    for plan, k in ((old, 0), (new, 1)):
        for a in plan.assignments:
            teams.setdefault(a.team, [0.0, 0.0])[k] += a.monthly_cost_usd
    return PlanDiff(old.total_monthly_cost_usd, new.total_monthly_cost_usd, changes,
                    [(t, round(v[0], 2), round(v[1], 2)) for t, v in sorted(teams.items())])


def headline(d: PlanDiff) -> str:
    """One sentence: the direction, the amount and the percentage, and how many workloads changed."""
    if d.old_total is None or d.new_total is None:
        which = "old" if d.old_total is None else "new"
        money = "no monthly cost can be compared"
        return f"The {which} plan has no feasible placement, so {money}."
    delta = d.new_total - d.old_total
    pct = d.increase_pct
    if abs(delta) < 0.005:
        text = f"The monthly cost is unchanged at {usd(d.new_total)}"
    else:
        word = "rises" if delta > 0 else "falls"
        share = f" ({pct:+.1f}%)" if pct is not None else ""
        text = f"The monthly cost {word} by {usd(abs(delta))}{share}, from {usd(d.old_total)} to {usd(d.new_total)}"
    moved = sum(c.moved for c in d.workloads)
    added = sum(c.old_usd is None for c in d.workloads)
    removed = sum(c.new_usd is None for c in d.workloads)
    return f"{text}: {moved} workload{'s' if moved != 1 else ''} moved, {added} added, {removed} removed."


def render_diff(d: PlanDiff, fmt: str) -> str:
    """Markdown (a pull-request comment: headline, tables, the moves in a details block) or text."""
    changed = [c for c in d.workloads if c.moved or c.old_usd is None or c.new_usd is None or abs(c.delta_usd) >= 0.005]
    if fmt == "text":
        lines = [headline(d), ""]
        for c in changed:
            old = "added" if c.old_usd is None else usd(c.old_usd)
            new = "removed" if c.new_usd is None else usd(c.new_usd)
            lines.append(f"{c.workload} ({c.team}): {old} -> {new} ({signed_usd(c.delta_usd)})")
            if c.moved or c.old_usd is None or c.new_usd is None:
                lines += [f"  was: {p}" for p in c.old_places] + [f"  now: {p}" for p in c.new_places]
        lines += ["", "By team:"] + [f"  {t}: {usd(o)} -> {usd(n)} ({signed_usd(n - o)})" for t, o, n in d.teams]
        return "\n".join(lines) + "\n"
    out = [f"## Plan diff\n\n{md_escape(headline(d))}\n"]
    if changed:
        out.append("| Workload | Team | Old monthly | New monthly | Change |\n|---|---|---:|---:|---:|")
        for c in changed:
            old = "added" if c.old_usd is None else usd(c.old_usd)
            new = "removed" if c.new_usd is None else usd(c.new_usd)
            out.append(f"| {md_escape(c.workload)} | {md_escape(c.team)} | {old} | {new} | {signed_usd(c.delta_usd)} |")
        moves = [c for c in changed if c.moved or c.old_usd is None or c.new_usd is None]
        if moves:
            out.append("\n<details><summary>What moved where</summary>\n")
            for c in moves:
                was = "; ".join(map(md_escape, c.old_places)) or "nothing"
                now = "; ".join(map(md_escape, c.new_places)) or "nothing"
                out.append(f"- **{md_escape(c.workload)}**: {was} → {now}")
            out.append("\n</details>")
    else:
        out.append("No workload changed.")
    out.append("\n| Team | Old monthly | New monthly | Change |\n|---|---:|---:|---:|")
    out += [f"| {md_escape(t)} | {usd(o)} | {usd(n)} | {signed_usd(n - o)} |" for t, o, n in d.teams]
    return "\n".join(out) + "\n"


def check_increase(d: PlanDiff, limit_pct: float) -> bool:
    """Whether the cost rose by more than `limit_pct` percent (or a plan became infeasible)."""
    if d.new_total is None:
        return True
    pct = d.increase_pct
    return pct is not None and pct > limit_pct
