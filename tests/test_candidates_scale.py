"""The candidates stage at fleet scale: what workloads share must not change what any one gets.

`build_candidates` shares sizings, rule checks and whole results among the workloads of a build
(advisor.candidates._Reuse); `reuse=False` computes every workload on its own. Both must give the
same options (every field, in the same order) and the same ruled-out records, for the shipped
examples, a seeded synthetic fleet, and fleets where workloads differ from each other in one field
only, so that a cache keyed on too little hands one workload another's sizing and fails here.
"""

from __future__ import annotations

import copy
import gc
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT

import advisor.candidates as C
from advisor.candidates import (
    CandidateSet,
    Option,
    RuledOut,
    RuledOutByWorkload,
    build_candidates,
    merge_ruled_out,
)
from advisor.catalog import load_catalog
from advisor.estimate import Sizing, Unfit, size
from advisor.topology import Topology
from advisor.workload.loader import load_inputs
from advisor.workload.models import WORKLOAD_MODELS, Policy, RealtimeInference, Workload

sys.path.insert(0, str(ROOT / "bench"))
from bench_scale import synthetic  # noqa: E402  (the benchmark's seeded fleet generator)

CATALOG = load_catalog()
TOPOLOGY = Topology(CATALOG)
EXAMPLES = load_inputs(sorted((ROOT / "workloads").glob("*.yaml")), CATALOG)
NO_POLICY = Policy(kind="policy")
RELAXATIONS = [frozenset(), frozenset({"latency_slo"}), frozenset({"power_budget", "max_replicas"}),
               frozenset({"jurisdiction", "regions", "spot_interruptible"})]


def differences(shared: CandidateSet, separate: CandidateSet) -> list[str]:
    """Where two candidate sets differ: options field by field and in order, ruled-out records,
    demands, unserved streams and limits."""
    found = []
    if list(shared.options) != list(separate.options):
        found.append("workloads differ")
    for w, options in separate.options.items():
        mine = shared.options.get(w, [])
        if [type(o) for o in mine] != [Option] * len(options):
            found.append(f"{w}: not Option objects")
        if [(list(o.fields().items()), o.key) for o in mine] != \
                [(list(o.fields().items()), o.key) for o in options]:  # fields in field order
            found.append(f"{w}: options differ")
        if shared.ruled_out[w] != separate.ruled_out[w]:
            found.append(f"{w}: ruled-out options differ")
        if (shared.demands[w], shared.unserved[w], shared.limits[w]) != \
                (separate.demands[w], separate.unserved[w], separate.limits[w]):
            found.append(f"{w}: demands, unserved streams or limits differ")
    return found


def both(fleet: list[Workload], policy: Policy = NO_POLICY,
         disabled: frozenset[str] = frozenset()) -> tuple[CandidateSet, CandidateSet]:
    return (build_candidates(fleet, policy, CATALOG, TOPOLOGY, disabled),
            build_candidates(fleet, policy, CATALOG, TOPOLOGY, disabled, reuse=False))


# --- fleets whose workloads differ in one field at a time ------------------------------------

ALTERNATIVES: dict[str, list[Any]] = {
    "precision": ["bf16", "fp8", "int8"], "method": ["full", "lora"],
    "sharding": ["fsdp", "zero1", "replicated"], "spot": [True, False], "portable": [True, False],
}
LOCATIONS = ["us-east", "eu-central", "asia-east", "us-west"]
SKIPPED = {"name", "team", "description", "kind", "source", "accelerator", "as_of"}


def _changed(value: Any, key: str) -> list[Any]:
    """Other values a field may take: numbers scaled both ways, a choice's other choices."""
    if key in ALTERNATIVES:
        return [v for v in ALTERNATIVES[key] if v != value]
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, int):
        return [value + 1, max(1, value // 3)]
    if isinstance(value, float):
        return [value * 1.7, value * 0.6]
    return []


def _leaves(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    if isinstance(data, dict):
        return [leaf for k, v in data.items() if k not in SKIPPED for leaf in _leaves(v, (*path, k))]
    if isinstance(data, list):
        return [leaf for i, v in enumerate(data) for leaf in _leaves(v, (*path, i))]
    return [(path, data)]


def _with(data: dict, path: tuple[Any, ...], value: Any) -> dict:
    copy = _deep_copy(data)
    node = copy
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = value
    return copy


def _deep_copy(data: Any) -> Any:
    if isinstance(data, dict):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, list):
        return [_deep_copy(v) for v in data]
    return data


def variants(w: Workload) -> list[Workload]:
    """The workload once more under another name and team (the same shape), then once per change
    of one field it has (every number up and down, every choice, the model's name, where its users
    are), each under its own name; changes the models refuse are left out."""
    data = w.model_dump(exclude_none=True)
    model = WORKLOAD_MODELS[w.kind]
    changes: list[dict] = [{**data, "team": "other", "description": "same shape, another name"}]
    for path, value in _leaves(data):
        for new in _changed(value, str(path[-1])):
            changes.append(_with(data, path, new))
    changes.append(_with(data, ("model", "name"), data["model"]["name"] + "-other"))
    if isinstance(w, RealtimeInference):
        users = data["traffic"]["users"]
        moved = {loc: share for loc, share in zip(LOCATIONS, users.values(), strict=False)}
        changes.append(_with(data, ("traffic", "users"), moved))
        changes.append(_with(data, ("traffic", "users"), {**users, "asia-southeast": 0.2}))
    found = []
    for i, change in enumerate(changes):
        try:
            found.append(model.model_validate({**change, "name": f"{w.name}-v{i}"}))
        except ValueError:
            continue
    return found


def one_field_apart(bases: list[Workload]) -> list[Workload]:
    return [v for w in bases for v in [w, *variants(w)]]


# --- the tests --------------------------------------------------------------------------------

@pytest.mark.parametrize("disabled", RELAXATIONS, ids=lambda d: "+".join(sorted(d)) or "strict")
def test_shipped_examples_get_what_each_gets_alone(disabled):
    shared, separate = both(EXAMPLES.workloads, EXAMPLES.policy, disabled)
    assert sum(len(v) for v in separate.options.values()) > 0
    assert differences(shared, separate) == []


def test_examples_one_field_apart_get_what_each_gets_alone():
    fleet = one_field_apart(EXAMPLES.workloads)
    assert len(fleet) > 100
    shared, separate = both(fleet, EXAMPLES.policy)
    assert differences(shared, separate) == []


def test_synthetic_fleet_gets_what_each_workload_gets_alone():
    fleet = synthetic(80, seed=11)
    policy = Policy.model_validate({"kind": "policy", "allowed_providers": sorted(CATALOG.providers)[1:]})
    shared, separate = both(fleet, policy)
    assert sum(len(v) for v in separate.options.values()) > 20_000
    assert differences(shared, separate) == []


def test_synthetic_workloads_one_field_apart_get_what_each_gets_alone():
    kinds: dict[str, Workload] = {}
    for w in synthetic(40, seed=3):
        kinds.setdefault(w.kind, w)
    fleet = one_field_apart(list(kinds.values()))
    shared, separate = both(fleet, NO_POLICY, frozenset({"latency_slo"}))
    assert differences(shared, separate) == []


def test_the_comparison_catches_a_cache_keyed_on_too_little(monkeypatch):
    """A sizing cache that ignores traffic, or a result cache that sees only the model, hands some
    workload another's results: the comparison above must see it."""
    fleet = one_field_apart([w for w in EXAMPLES.workloads if w.name in ("chat-assistant", "nightly-summaries")])
    monkeypatch.setattr(C, "sizing_key", lambda w: w.model.model_dump_json())
    shared, separate = both(fleet, EXAMPLES.policy)
    assert any("options differ" in d for d in differences(shared, separate))
    monkeypatch.undo()
    monkeypatch.setattr(C, "shape_key", lambda w: f"{w.kind}{w.model.model_dump_json()}")
    shared, separate = both(fleet, EXAMPLES.policy)
    assert any("options differ" in d for d in differences(shared, separate))
    monkeypatch.undo()
    monkeypatch.setattr(C, "static_key", lambda w: w.kind)
    shared, separate = both(fleet, EXAMPLES.policy)
    assert any("ruled-out options differ" in d for d in differences(shared, separate))


def test_real_time_sizing_is_monotone_in_the_round_trip():
    """What the shared sizings rely on to size a round trip between two others: a round trip
    between two that give one sizing gives it too, so equal sizings form one run."""
    workloads = [w for w in [*EXAMPLES.workloads, *synthetic(30, seed=5)] if isinstance(w, RealtimeInference)]
    rtts = [2.0 + 7.3 * i for i in range(60)]
    runs_checked = 0
    for w in workloads:
        for offering in CATALOG.offerings.values():
            accelerator = CATALOG.accelerators[offering.accelerator]
            if accelerator.kind == "edge":
                continue  # never sized for real-time serving (rule kind_match)
            results: list[Sizing | str] = []
            for rtt in rtts:
                try:
                    results.append(size(w, offering, accelerator, rtt))
                except Unfit as unfit:
                    results.append(unfit.rule)
            seen: list[Sizing] = []
            for previous, result in zip(results, results[1:], strict=False):
                if isinstance(result, Sizing) and result != previous:
                    assert all(result != s for s in seen), (w.name, offering.name)
                    runs_checked += 1
                if isinstance(previous, Sizing):
                    seen.append(previous)
            fits = [isinstance(r, Sizing) for r in results]
            assert fits == sorted(fits, reverse=True), (w.name, offering.name)  # a longer trip never fits more
    assert runs_checked > 0


def test_ruled_out_reads_like_a_dict_of_lists():
    shared, separate = both(EXAMPLES.workloads[:3], EXAMPLES.policy)
    ruled = shared.ruled_out
    assert isinstance(ruled, RuledOutByWorkload)
    name = next(iter(ruled))
    records = ruled[name]
    assert isinstance(records, list) and records and all(isinstance(r, RuledOut) for r in records)
    assert {r.workload for r in records} == {name}
    assert len(ruled) == len(separate.ruled_out) and name in ruled and "nobody" not in ruled
    assert ruled.count(name) == len(records)
    assert ruled.rules_used() == {rule for rs in separate.ruled_out.values() for r in rs for rule in r.rules}
    assert {**ruled} == dict(separate.ruled_out.items())
    ruled["extra"] = []
    assert ruled["extra"] == [] and "extra" in ruled
    kept = [RuledOut("extra", "p", "r", "o", "on_demand", ("providers",), ("not allowed",))]
    ruled["extra"] = kept
    assert ruled["extra"] is kept and ruled.rules_used() >= {"providers"}
    merged = merge_ruled_out(separate.ruled_out, ruled)
    assert merged == {**separate.ruled_out, **ruled} and merged._data["extra"] is kept
    del ruled["extra"]
    assert "extra" not in ruled
    assert CandidateSet().ruled_out == {}


def test_options_are_built_as_the_constructor_builds_them():
    option = build_candidates(EXAMPLES.workloads[:1], EXAMPLES.policy, CATALOG, TOPOLOGY).options
    built = next(o for opts in option.values() for o in opts)
    reference = Option(**built.fields())
    assert built == reference and hash(built) == hash(reference) and repr(built) == repr(reference)
    assert built.key == reference.key and built.region_key == reference.region_key == f"{built.provider}:{built.region}"
    assert Option.model_construct(**built.fields()) == built
    assert list(built.fields()) == list(Option.FIELDS)


def test_options_are_immutable_hashable_and_pickle():
    options = build_candidates(EXAMPLES.workloads, EXAMPLES.policy, CATALOG, TOPOLOGY).options
    every = [o for opts in options.values() for o in opts]
    built = every[0]
    with pytest.raises(AttributeError):
        built.instances = 99  # type: ignore[misc]
    with pytest.raises(AttributeError):
        built.jurisdiction = "elsewhere"  # type: ignore[misc]
    assert len(set(every)) == len(every)  # options of one workload differ in key, workloads in name
    again = pickle.loads(pickle.dumps(every))
    assert again == every and all(type(o) is Option for o in again)
    assert [o.fields() for o in again] == [o.fields() for o in every]
    assert copy.copy(built) == built and copy.deepcopy(built) == built


def test_option_fields_are_checked_by_the_constructor():
    fields = next(iter(build_candidates(EXAMPLES.workloads[:1], EXAMPLES.policy, CATALOG, TOPOLOGY)
                       .options.values()))[0].fields()
    with pytest.raises(TypeError, match="unknown fields \\['colour'\\]"):
        Option(**fields, colour="red")
    with pytest.raises(TypeError, match="missing fields \\['sizing'\\]"):
        Option(**{k: v for k, v in fields.items() if k != "sizing"})
    with pytest.raises(ValueError, match="pricing"):
        Option(**{**fields, "pricing": "on-demand"})
    assert Option(**{k: v for k, v in fields.items() if k != "serves"}).serves == ()


def test_options_share_what_repeats():
    """Options of one place share the catalog's listing; equal numbers are one object."""
    fleet = synthetic(30, seed=5)
    options = [o for opts in build_candidates(fleet, NO_POLICY, CATALOG, TOPOLOGY).options.values() for o in opts]
    listings = {o.key.split("|")[0]: o.listing for o in options}
    assert all(o.listing is listings[o.key.split("|")[0]] for o in options)
    capacities: dict[float, float] = {}
    assert all(capacities.setdefault(o.capacity, o.capacity) is o.capacity for o in options if o.capacity)
    assert len({id(o.key) for o in options}) == len({o.key for o in options})


@pytest.mark.parametrize("enabled", [True, False])
def test_the_collector_is_left_as_it_was(enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        build_candidates(EXAMPLES.workloads[:2], EXAMPLES.policy, CATALOG, TOPOLOGY)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


def test_examples_are_where_the_test_reads_them():
    assert Path(ROOT / "workloads").is_dir() and len(EXAMPLES.workloads) >= 5
