"""The summary comes first in every format and agrees with the plan's rows: spend by team and
pricing model, what is committed and paid up front, and the policy's budget checks.

The fixture plan (tests/fixtures/workloads on the hand-made catalog): cameras buy 10 e1 devices
($360 each, over 36 months: $100 a month, $3,600 up front and over the term); the rest is rented
by the hour; the policy's monthly budget is $100,000.
"""

from __future__ import annotations

import json

import pytest
from conftest import CATALOG_ARGS, WORKLOADS

from advisor.plan import ConstraintCost, Plan
from advisor.summary import summarise
from advisor.workload.models import Policy


def test_the_summary_comes_first_in_every_format(run_cli):
    code, md, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q")
    assert code == 0, err
    assert md.index("## Summary") < md.index("## What goes where")
    code, html, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "html")
    assert html.index("<h2>Summary</h2>") < html.index("<h2>What goes where</h2>")
    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")
    assert json.loads(out)["summary"]["sentences"][0].startswith("The plan costs $855.70 a month")


def test_the_summary_agrees_with_the_rows(run_cli):
    code, out, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")
    data = json.loads(out)
    summary, rows = data["summary"], data["assignments"]
    for view, field in (("spend_by_team", "team"), ("spend_by_pricing", "pricing")):
        expected = {}
        for a in rows:
            expected[a[field]] = expected.get(a[field], 0.0) + a["monthly_cost_usd"]
        assert {s["name"]: s["monthly_cost_usd"] for s in summary[view]} == pytest.approx(expected)
    assert sum(s["share_pct"] for s in summary["spend_by_team"]) == pytest.approx(100, abs=0.05)
    assert (summary["committed_monthly_usd"], summary["commitment_liability_usd"], summary["upfront_usd"]) == \
        pytest.approx((100.0, 3600.0, 3600.0))
    assert "$3,600.00 is paid up front" in summary["sentences"][1]
    (check,) = summary["checks"]
    assert check == {"rule": "budget.monthly_usd", "limit_usd": 100000.0,
                     "plan_usd": data["total_monthly_cost_usd"], "passed": True}


def test_a_team_budget_is_checked_against_the_teams_spend(run_cli, workdir):
    (workdir / "policy.yaml").write_text(
        "kind: policy\nbudget: {monthly_usd: 100000, per_team_monthly_usd: {product: 800, ops: 150}}\n",
        encoding="utf-8")
    code, out, err = run_cli("plan", workdir, *CATALOG_ARGS, "-q", "--format", "json")
    assert code == 0, err
    data = json.loads(out)
    checks = {c["rule"]: c for c in data["summary"]["checks"]}
    spent = sum(a["monthly_cost_usd"] for a in data["assignments"] if a["team"] == "product")
    assert checks["budget.per_team_monthly_usd.product"]["plan_usd"] == pytest.approx(spent)
    assert checks["budget.per_team_monthly_usd.ops"] == {"rule": "budget.per_team_monthly_usd.ops",
                                                         "limit_usd": 150.0, "plan_usd": 100.0, "passed": True}
    code, md, err = run_cli("plan", workdir, *CATALOG_ARGS, "-q")
    assert "| `budget.per_team_monthly_usd.ops` | $150.00 | $100.00 | pass |" in md


def test_constraints_that_do_not_bind_are_folded_away(run_cli):
    code, md, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q")
    section = md[md.index("## What each constraint costs"):md.index("## Spend, first year and carbon")]
    table, folded = section.split("<details>")
    assert "(`spot_interruptible`) | yes | $5.39 |" in table and "budget_total" not in table
    assert "<summary>1 constraint that does not bind</summary>" in folded and "(`budget_total`)" in folded
    code, html, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "html")
    assert "<details><summary>1 constraint that does not bind</summary>" in html


def test_cost_differences_carry_the_dollar_sign_and_separators(run_cli):
    code, md, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q")
    assert "| b1 (beta eu-1) | 1 (1 x gpu-a) | on_demand | $2,190.00 | +$1,460.00 | 4,722 ms | costs $1,460.00 more " \
           "per month |" in md
    code, html, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "html")
    assert '<td class="num">+$1,460.00</td>' in html


def test_rules_that_were_not_re_solved_are_never_called_free(run_cli):
    """Under --explain summary a coupling rule priced by LP duals alone has no verdict: the summary
    says so and names it, instead of "every workload runs at its cheapest plan"."""
    data = json.loads(run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")[1])
    plan = Plan.model_validate(data)
    policy = Policy.model_validate({"kind": "policy"})
    total = plan.total_monthly_cost_usd or 0.0
    free = summarise(plan.assignments, plan.shared_gpus, [], policy, total, True, [])
    assert "No rule raises the cost" in " ".join(free.sentences)
    row = ConstraintCost(name="provider_share:alpha", description="provider share",
                         setting="lock_in.max_provider_share_pct", binding=None, cost_usd=None, proven=False,
                         detail="not re-solved (--explain summary)")
    text = " ".join(summarise(plan.assignments, plan.shared_gpus, [row], policy, total, True, [],
                              full=False).sentences)
    assert "No rule raises the cost" not in text
    assert "1 rule (lock_in.max_provider_share_pct) was not re-solved" in text and "--explain full" in text


def test_a_full_run_that_could_not_settle_a_rule_asks_for_more_work_not_for_full_mode(run_cli):
    """In full mode a rule is left unpriced when the explanation budget is spent: the remedy is a
    larger budget, not the mode the run already used."""
    data = json.loads(run_cli("plan", WORKLOADS, *CATALOG_ARGS, "-q", "--format", "json")[1])
    plan = Plan.model_validate(data)
    row = ConstraintCost(name="provider_share:alpha", description="provider share",
                         setting="lock_in.max_provider_share_pct", binding=None, cost_usd=None, proven=False,
                         detail="not determined within the explanation budget")
    text = " ".join(summarise(plan.assignments, plan.shared_gpus, [row], Policy.model_validate({"kind": "policy"}),
                              plan.total_monthly_cost_usd or 0.0, True, [], full=True).sentences)
    assert "a larger --explain-budget" in text and "--explain full" not in text
