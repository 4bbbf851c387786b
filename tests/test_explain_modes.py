"""`--explain full|summary|none` and the explanation shortcuts that let fleets skip re-solves.

Shortcuts must give the answers the full re-solves give: a cost difference taken without a
solve must equal the one a solve proves."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from conftest import CATALOG_ARGS, ROOT, WORKLOADS

from advisor.candidates import build_candidates
from advisor.catalog import load_catalog
from advisor.explain import SUMMARY_ABOVE, Explainer, explain_mode
from advisor.plan import ConstraintCost
from advisor.solver import solve
from advisor.topology import Topology
from advisor.workload.models import Policy

sys.path.insert(0, str(ROOT / "bench"))
from bench_scale import synthetic  # noqa: E402  (the benchmark's seeded fleet generator)


def plan(run_cli, *extra: str, workloads: Path = WORKLOADS) -> dict:
    code, out, err = run_cli("plan", workloads, *CATALOG_ARGS, "--format", "json", "-q", *extra)
    assert code == 0, err
    return json.loads(out)


def test_explain_none_skips_alternatives_and_constraint_prices(run_cli):
    data = plan(run_cli, "--explain", "none")
    assert data["solver"]["explanations"] == "none"
    assert data["constraints"] == []
    assert all(e["alternatives"] == [] for e in data["explanations"])
    assert all(e["summary"] for e in data["explanations"])  # what was chosen is still said


def test_explain_summary_keeps_every_proven_answer_of_full(run_cli):
    """Summary re-solves nothing for alternatives: the ones that cost more alone read the same
    as in full mode; the others are marked unproven, never stated as facts."""
    full, summary = plan(run_cli, "--explain", "full"), plan(run_cli, "--explain", "summary")
    assert summary["solver"]["explanations"] == "summary"
    assert summary["assignments"] == full["assignments"]
    for f, s in zip(full["explanations"], summary["explanations"], strict=True):
        assert [a["instance"] for a in f["alternatives"]] == [a["instance"] for a in s["alternatives"]]
        for fa, sa in zip(f["alternatives"], s["alternatives"], strict=True):
            if fa["delta_usd"] > 0:
                assert sa == fa
            else:
                assert sa["proven"] is False and "not re-solved" in sa["why_not"]
    whole = {c["name"]: c for c in full["constraints"] if c["part_of"] is None}
    for c in summary["constraints"]:
        assert c["cost_usd"] == whole[c["name"]]["cost_usd"]


def test_auto_is_full_for_small_fleets_and_summary_above_the_documented_size():
    assert explain_mode("auto", SUMMARY_ABOVE) == "full"
    assert explain_mode("auto", SUMMARY_ABOVE + 1) == "summary"
    assert explain_mode("none", 3) == "none"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"{SUMMARY_ABOVE} workloads" in readme


def test_unknown_explain_mode_is_a_usage_error(run_cli):
    code, _, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "--explain", "some")
    assert code == 2 and "--explain" in err


@pytest.fixture(scope="module")
def fleet_200():
    catalog = load_catalog([])
    fleet = synthetic(200)
    policy = Policy.model_validate({"kind": "policy", "budget": {"monthly_usd": 10_000_000,
                                                                 "per_team_monthly_usd": {"a": 5_000_000}},
                                    "lock_in": {"max_provider_share_pct": 95, "min_providers": 2}})
    candidates = build_candidates(fleet, policy, catalog, Topology(catalog))
    return fleet, policy, candidates


def test_on_200_workloads_prices_taken_without_a_solve_equal_the_re_solved_ones(fleet_200):
    """With every workload at its own optimum, lifting a rule that couples workloads is priced
    without a solve; a real re-solve without that rule must find the same cost."""
    fleet, policy, candidates = fleet_200
    result = solve(candidates, policy)
    assert result.status == "optimal" and result.separable
    explainer = Explainer(fleet, policy, candidates, result, build=lambda *_: candidates, time_limit_s=10)
    coupling = [n for n in explainer.families() if n.partition(":")[0] in
                ("budget_total", "budget_team", "provider_share", "min_providers")]
    assert {n.partition(":")[0] for n in coupling} == {"budget_total", "budget_team", "provider_share",
                                                       "min_providers"}
    for name in coupling:
        shortcut = explainer.relaxed_row(name, frozenset({name}), name)
        assert isinstance(shortcut, ConstraintCost)  # priced at once: no question, no solve
        assert shortcut.binding is False and shortcut.cost_usd == 0.0
        resolved = solve(candidates, policy, disabled=frozenset({name}), tie_break=False)
        assert resolved.cost_millicents == result.cost_millicents, name


def test_on_200_workloads_alternatives_priced_by_cost_alone_match_forced_re_solves(fleet_200):
    """An alternative that alone costs more than the workload's plan is answered without a solve
    ("costs $X more"); forcing it in and re-solving raises the total by exactly that much."""
    fleet, policy, candidates = fleet_200
    result = solve(candidates, policy)
    explainer = Explainer(fleet, policy, candidates, result, build=lambda *_: candidates, time_limit_s=10)
    checked = 0
    for w in fleet[:160]:
        placements = result.placements[w.name]
        if len(placements) != 1:
            continue
        alt = next(o for o in candidates.options[w.name] if o.full_reach and o.key != placements[0].option.key)
        delta = round(alt.monthly_cost_cents - explainer.plan_cents(w.name))
        if delta <= 0:
            continue
        text, proven = explainer.why_not(w, placements[0].option, alt)
        assert proven and text.startswith(f"costs ${delta / 100:,.2f} more")
        forced = solve(candidates, policy, forced={w.name: alt.key}, tie_break=False)
        assert forced.cost_millicents is not None and result.cost_millicents is not None
        assert round((forced.cost_millicents - result.cost_millicents) / 1000) == pytest.approx(delta, abs=1)
        checked += 1
    assert checked >= 10


def test_readme_documents_the_explain_option():
    readme = (Path(ROOT) / "README.md").read_text(encoding="utf-8")
    assert "--explain" in readme


def test_an_explanation_budget_cuts_the_remaining_questions_and_says_so(run_cli, tmp_path):
    """Past the budget no counterfactual runs: each question left says so (never a guess), the
    JSON counts them, and the same inputs cut the same questions (the memo of earlier solves in
    this process does not change what is charged)."""
    fleet = tmp_path / "fleet"
    shutil.copytree(WORKLOADS, fleet)  # a provider cap couples the workloads: counterfactuals need CP-SAT
    (fleet / "policy.yaml").write_text("kind: policy\nlock_in: {max_provider_share_pct: 60, min_providers: 2}\n",
                                       encoding="utf-8")
    first = plan(run_cli, "--explain-budget", "0.000001", workloads=fleet)
    again = plan(run_cli, "--explain-budget", "0.000001", workloads=fleet)
    assert first == again
    assert first["solver"]["explain_budget"] == 0.000001
    assert first["solver"]["explanations_cut_short"] > 0
    cut = [c for c in first["constraints"] if "explanation budget" in c["detail"]]
    assert cut and all(c["proven"] is False and c["binding"] is None for c in cut)
    unlimited = plan(run_cli, workloads=fleet)
    assert unlimited["solver"]["explanations_cut_short"] == 0
    assert not any("explanation budget" in c["detail"] for c in unlimited["constraints"])


def test_counterfactuals_on_several_threads_give_the_same_report_and_cut_the_same_questions(run_cli, tmp_path):
    """--jobs changes how long explanations take, never what they say: with a budget that runs out
    after the first question, the questions started beside it are dropped, as one thread would."""
    fleet = tmp_path / "fleet"
    shutil.copytree(WORKLOADS, fleet)
    (fleet / "policy.yaml").write_text("kind: policy\nlock_in: {max_provider_share_pct: 60, min_providers: 2}\n",
                                       encoding="utf-8")
    for budget in ("2", "1000"):
        one = plan(run_cli, "--explain-budget", budget, "--jobs", "1", workloads=fleet)
        three = plan(run_cli, "--explain-budget", budget, "--jobs", "3", workloads=fleet)
        assert one == three
        cut = one["solver"]["explanations_cut_short"]
        assert (cut > 0) if budget == "2" else (cut == 0)


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "1.5"])
def test_jobs_must_be_a_positive_whole_number(run_cli, jobs):
    code, _, err = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "--jobs", jobs)
    assert code == 2 and "--jobs" in err


def test_summary_prices_a_joint_plans_rules_without_re_solving_the_fleet_and_says_how_far_to_trust_them(
        run_cli, tmp_path):
    """In summary mode a provider cap that moves workloads carries the joint solve's Lagrangian
    price, and a workload's own rule what it costs that workload alone; both unproven, neither a
    re-solve of the fleet (at 1,000 workloads the LP took 155 s and each own rule 32 s)."""
    fleet = tmp_path / "fleet"
    shutil.copytree(WORKLOADS, fleet)
    (fleet / "policy.yaml").write_text("kind: policy\nlock_in: {max_provider_share_pct: 60, min_providers: 2}\n",
                                       encoding="utf-8")
    chat = fleet / "chat.yaml"  # a rule of one workload's own
    chat.write_text(chat.read_text(encoding="utf-8").replace("min_replicas: 1", "survive_region_loss: true"),
                    encoding="utf-8")
    summary = plan(run_cli, "--explain", "summary", workloads=fleet)
    full = plan(run_cli, "--explain", "full", workloads=fleet)
    assert summary["assignments"] == full["assignments"]
    caps = {c["name"]: c for c in summary["constraints"]}["lock_in.max_provider_share_pct"]
    assert caps["proven"] is False and caps["binding"] is None and caps["cost_usd"] is None
    assert caps["first_order_usd"] is not None and caps["first_order_unit"] == "$1 more spend allowed on the provider"
    assert "Lagrangian prices" in caps["detail"] and "not re-solved (--explain summary)" in caps["detail"]
    exact = {c["name"]: c for c in full["constraints"]}["lock_in.max_provider_share_pct"]
    assert exact["binding"] is True and exact["proven"] is True
    assert caps["first_order_usd"] > 0  # a cap that binds has a price

    own = {c["name"]: c for c in summary["constraints"] if c["name"].startswith(("region_loss:", "replicas:"))}
    assert "region_loss:chat" in own
    for row in own.values():
        assert row["proven"] is False and row["binding"] is None and row["cost_usd"] is None
        assert "alone" in row["detail"] and "--explain full re-solves it" in row["detail"]
    # the figure is the rule's price for that workload planned alone, which full mode proves
    alone = tmp_path / "alone"
    alone.mkdir()
    shutil.copy(chat, alone)
    price = {c["name"]: c for c in plan(run_cli, "--explain", "full", workloads=alone)["constraints"]}[
        "region_loss:chat"]
    assert price["proven"] is True and price["cost_usd"] > 0
    assert f"alone it costs ${price['cost_usd']:,.2f} a month" in own["region_loss:chat"]["detail"]


def test_lifting_a_rule_rebuilds_only_what_it_touched_and_prices_it_the_same(tmp_path):
    """A rule sizing does not read changes only the workloads it ruled options out for: rebuilding
    just those gives the same relaxed plan cost as rebuilding every workload."""
    from advisor.workload.loader import load_inputs

    catalog = load_catalog([])
    inputs = load_inputs([ROOT / "workloads"], catalog)
    topology = Topology(catalog)

    def build(subset, rules, disabled):
        return build_candidates(subset, rules, catalog, topology, disabled)

    candidates = build(inputs.workloads, inputs.policy, frozenset())
    result = solve(candidates, inputs.policy)
    explainer = Explainer(inputs.workloads, inputs.policy, candidates, result, build=build, time_limit_s=10)
    rules = [r for r in explainer.relaxable_rules() if r not in ("latency_slo", "power_budget")]
    assert rules, "the examples rule options out by at least one rule sizing does not read"
    for rule in rules:
        quick = explainer.without_rule(rule)
        full = build(inputs.workloads, inputs.policy, frozenset({rule}))
        assert {w: [o.key for o in opts] for w, opts in quick.options.items()} == \
            {w: [o.key for o in opts] for w, opts in full.options.items()}, rule
        assert solve(quick, inputs.policy, tie_break=False).cost_millicents == \
            solve(full, inputs.policy, tie_break=False).cost_millicents, rule


@pytest.mark.parametrize("fmt", ["md", "html"])
def test_reports_say_when_explanations_were_not_fully_re_solved(run_cli, fmt):
    code, out, _ = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "--format", fmt, "-q", "--explain", "summary")
    assert code == 0 and "summary (alternatives compared by cost alone" in out
    code, out, _ = run_cli("plan", WORKLOADS, *CATALOG_ARGS, "--format", fmt, "-q")
    assert code == 0 and "alternatives compared by cost alone" not in out
