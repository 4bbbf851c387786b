"""Read workload and policy files (or directories of them) and check names against the catalog."""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from advisor.catalog.models import Catalog, fleet_problems
from advisor.mig import slice_accelerators
from advisor.problems import InputError, Problem, single
from advisor.validation import validate
from advisor.workload.models import WORKLOAD_KINDS, WORKLOAD_MODELS, Policy, Workload
from advisor.yaml_source import SourceDoc, load_files, yaml_files_in


@dataclass
class Inputs:
    """Everything the user asked for, with where each workload was written."""

    workloads: list[Workload]
    policy: Policy
    docs: dict[str, SourceDoc] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    sha256: dict[str, str] = field(default_factory=dict)  # file -> SHA-256 of the bytes read (provenance)


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files as given; directories contribute every *.yaml / *.yml below them, sorted.

    Symlinked subdirectories are read too, and a directory that cannot be listed is a problem
    (never silently skipped). A file named twice (`workloads/ workloads/policy.yaml`) is read once.
    """
    found: list[Path] = []
    seen: set[str] = set()
    problems: list[Problem] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files = yaml_files_in(path, problems)
        elif path.exists() or path.is_symlink():
            files = [path]  # anything but a regular file is refused, with a reason, when read
        else:
            raise single(str(path), "no such file or directory")
        for file in files:
            real = os.path.realpath(file)  # unlike Path.resolve, no error on a symlink loop
            if real not in seen:
                seen.add(real)
                found.append(file)
    if problems:
        raise InputError(problems)
    return found


def _did_you_mean(value: str, known: Iterable[str]) -> str:
    """Names that extend what was written (h100 -> h100-nvl, h100-sxm), else the closest spelling."""
    names = sorted(known)
    extended = [n for n in names if n.startswith(value) and n != value][:3]
    if extended:
        return "; did you mean " + " or ".join(f"'{n}'" for n in extended) + "?"
    close = difflib.get_close_matches(value, names, n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _read_doc(doc: SourceDoc, catalog: Catalog, workloads: list[tuple[Workload, SourceDoc]],
              policies: list[tuple[Policy, SourceDoc]], problems: list[Problem]) -> None:
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "a workload or policy document must be a mapping"))
        return
    kind = doc.data.get("kind")
    if kind is None:
        problems.append(doc.problem((), f"missing field 'kind' (one of: {', '.join(WORKLOAD_KINDS)}, policy)"))
        return
    if kind == "policy":
        try:
            policies.append((validate(Policy, doc), doc))
        except InputError as exc:
            problems.extend(exc.problems)
        return
    model = WORKLOAD_MODELS.get(kind) if isinstance(kind, str) else None
    if model is None:
        hint = _did_you_mean(str(kind), list(WORKLOAD_KINDS) + ["policy"])
        problems.append(doc.problem(("kind",), f"unknown kind '{kind}'{hint} "
                                    f"(one of: {', '.join(WORKLOAD_KINDS)}, policy)"))
        return
    try:
        workloads.append((validate(model, doc), doc))  # type: ignore[arg-type]
    except InputError as exc:
        problems.extend(exc.problems)
    problems.extend(_check_names(doc, catalog))


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _check_names(doc: SourceDoc, catalog: Catalog) -> list[Problem]:
    """Names that must exist in the catalog: jurisdictions, providers, accelerators, regions, user
    locations, and accelerators of measurements. Read from the raw document, so they are reported
    together with schema errors rather than on the next run."""
    data = doc.data
    constraints = data.get("constraints") if isinstance(data.get("constraints"), dict) else {}
    problems: list[Problem] = []
    checks = [
        ("jurisdictions", catalog.jurisdictions, "jurisdiction"),
        ("providers", catalog.providers, "provider"),
        ("accelerators", catalog.accelerators, "accelerator"),
        ("regions", catalog.regions, "region"),
    ]
    for field_name, known, noun in checks:
        for i, value in enumerate(_strings(constraints.get(field_name))):
            if value not in known:
                form = " (write provider:region, e.g. aws:us-east-1)" if noun == "region" and ":" not in value else ""
                problems.append(doc.problem(("constraints", field_name, i),
                                            f"unknown {noun} '{value}'{_did_you_mean(value, known)}{form}"))
    traffic: dict[str, Any] = data["traffic"] if isinstance(data.get("traffic"), dict) else {}
    users: dict[str, Any] = traffic["users"] if isinstance(traffic.get("users"), dict) else {}
    for location in users:
        if location not in catalog.locations and location not in catalog.regions:
            problems.append(doc.problem(("traffic", "users", location),
                                        f"unknown user location '{location}'"
                                        f"{_did_you_mean(str(location), [*catalog.locations, *catalog.regions])}"
                                        f" (a city from `advisor catalog list locations`, or a region "
                                        f"provider:region for callers in that region)", prefer_key=True))
    measured = data.get("measured") if isinstance(data.get("measured"), list) else []
    for i, entry in enumerate(measured):
        accelerator = entry.get("accelerator") if isinstance(entry, dict) else None
        if isinstance(accelerator, str) and accelerator not in catalog.accelerators \
                and accelerator not in slice_accelerators(catalog):
            problems.append(doc.problem(("measured", i, "accelerator"), f"unknown accelerator '{accelerator}'"
                                        f"{_did_you_mean(accelerator, catalog.accelerators)}"))
    return problems


def _check_policy_names(policy: Policy, doc: SourceDoc, catalog: Catalog, teams: set[str]) -> list[Problem]:
    """Providers must exist; a team budget must name a team that has a workload (a typo would cap nothing)."""
    problems: list[Problem] = []
    for i, provider in enumerate(policy.allowed_providers or []):
        if provider not in catalog.providers:
            problems.append(doc.problem(("allowed_providers", i), f"unknown provider '{provider}'"
                                        f"{_did_you_mean(provider, catalog.providers)}"))
    for key in policy.quotas:
        provider, region, accelerator = key.split(":")
        where = ("quotas", key)
        if provider not in catalog.providers:
            problems.append(doc.problem(where, f"quota for unknown provider '{provider}'"
                                        f"{_did_you_mean(provider, catalog.providers)}", prefer_key=True))
        elif catalog.region(provider, region) is None:
            known = {r.name for r in catalog.regions.values() if r.provider == provider}
            problems.append(doc.problem(where, f"quota for unknown region '{region}' of {provider}"
                                        f"{_did_you_mean(region, known)}", prefer_key=True))
        elif accelerator not in catalog.accelerators:
            problems.append(doc.problem(where, f"quota for unknown accelerator '{accelerator}'"
                                        f"{_did_you_mean(accelerator, catalog.accelerators)}", prefer_key=True))
    for i, field_name, message in fleet_problems(policy.fleets, catalog.offerings):
        problems.append(doc.problem(("fleets", i, field_name), message))
    for team in policy.budget.per_team_monthly_usd:
        if team not in teams:
            problems.append(doc.problem(("budget", "per_team_monthly_usd", team),
                                        f"no workload belongs to team '{team}'{_did_you_mean(team, teams)}",
                                        prefer_key=True))
    return problems


def load_inputs(paths: Iterable[str | Path], catalog: Catalog) -> Inputs:
    """Load and validate all workload and policy documents; raise InputError listing every problem."""
    files = expand_paths(paths)
    if not files:
        raise single(", ".join(str(p) for p in paths) or ".", "no *.yaml or *.yml files found")
    problems: list[Problem] = []
    workloads: list[tuple[Workload, SourceDoc]] = []
    policies: list[tuple[Policy, SourceDoc]] = []
    loaded = load_files(files, problems)
    for one in loaded:
        if not one.docs:
            problems.append(Problem(str(one.path), 1, 1, "file holds no YAML document"))
        for doc in one.docs:
            _read_doc(doc, catalog, workloads, policies, problems)
    seen: dict[str, SourceDoc] = {}
    for workload, doc in workloads:
        if workload.name in seen:
            first = seen[workload.name]
            line, _ = first.where(("name",))
            problems.append(doc.problem(("name",), f"workload name '{workload.name}' is already used "
                                        f"in {first.file}:{line}"))
        else:
            seen[workload.name] = doc
    if len(policies) > 1:
        first = policies[0][1]
        line, _ = first.where(("kind",))
        for _, doc in policies[1:]:
            problems.append(doc.problem(("kind",), f"only one policy document is allowed; "
                                        f"another is in {first.file}:{line}"))
    for policy, doc in policies[:1]:
        problems.extend(_check_policy_names(policy, doc, catalog, {w.team for w, _ in workloads}))
    if problems:
        raise InputError(problems)
    policy = policies[0][0] if policies else Policy(kind="policy", name="default")
    ordered = sorted(workloads, key=lambda pair: pair[0].name)
    return Inputs(
        workloads=[w for w, _ in ordered],
        policy=policy,
        docs={w.name: d for w, d in ordered},
        files=[str(f) for f in files],
        sha256={str(one.path): one.sha256 for one in loaded},
    )
