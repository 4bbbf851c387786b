"""Load catalog layers (shipped default first, then each --catalog DIR) and check references.

A later layer replaces records with the same key, may remove providers or offerings, and may
override prices (`price_overrides`, applied after the rest of its layer), so a company can add
private or negotiated prices without copying the shipped files. Every problem names the file,
line and field.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from advisor.catalog.models import (
    DISCOUNTABLE,
    UNSITED_PURCHASE,
    Accelerator,
    Catalog,
    CatalogLayer,
    CatalogMeasurement,
    Fleet,
    Location,
    MigGpu,
    Offering,
    Price,
    PriceOverride,
    Provider,
    QuotaRecord,
    Region,
    fleet_problems,
)
from advisor.problems import InputError, Problem, single
from advisor.resources import shipped_catalog_dir
from advisor.validation import validate
from advisor.yaml_source import SourceDoc, load_files, yaml_files_in

SECTIONS: dict[str, type[BaseModel]] = {
    "accelerators": Accelerator,
    "mig": MigGpu,
    "locations": Location,
    "providers": Provider,
    "regions": Region,
    "offerings": Offering,
    "measurements": CatalogMeasurement,
    "fleets": Fleet,
    "quotas": QuotaRecord,
}
TOP_LEVEL = set(SECTIONS) | {"provider", "remove", "price_overrides"}


@dataclass
class _Origin:
    doc: SourceDoc
    path: tuple[Any, ...]

    def problem(self, sub: tuple[Any, ...], message: str) -> Problem:
        """A problem at a field of this record, named like validation errors name fields."""
        named = f"'{'.'.join(str(p) for p in sub)}': {message}" if sub else message
        return self.doc.problem(self.path + sub, named)


@dataclass
class _Merged:
    records: dict[str, dict[str, Any]] = field(default_factory=lambda: {s: {} for s in SECTIONS})
    origins: dict[tuple[str, str], _Origin] = field(default_factory=dict)
    layers: list[CatalogLayer] = field(default_factory=list)


_Override = tuple[_Origin, PriceOverride]


def _key(section: str, record: Any) -> str:
    if section in ("regions", "offerings"):
        return f"{record.provider}:{record.name}"
    if section == "mig":
        return record.accelerator
    if section == "measurements":
        return record.key
    if section == "quotas":
        return record.scope
    return record.name


def _load_layer(directory: Path, merged: _Merged, problems: list[Problem]) -> None:
    if not directory.is_dir():
        raise single(str(directory), "catalog layer is not a directory")
    files = yaml_files_in(directory, problems)
    dates: list[dt.date] = []
    overrides: list[_Override] = []
    digest = hashlib.sha256()
    for loaded in load_files(files, problems):
        digest.update(f"{loaded.path.relative_to(directory).as_posix()}\0{loaded.sha256}\n".encode())
        for doc in loaded.docs:
            _load_doc(doc, merged, problems, dates)
            overrides.extend(_read_overrides(doc, problems))
    for origin, override in overrides:
        problems.extend(_apply_override(origin, override, merged))
        dates.append(override.as_of)
    merged.layers.append(
        CatalogLayer(
            path=str(directory),
            files=len(files),
            oldest_as_of=min(dates) if dates else None,
            newest_as_of=max(dates) if dates else None,
            sha256=digest.hexdigest(),
        )
    )


def _load_doc(doc: SourceDoc, merged: _Merged, problems: list[Problem], dates: list[dt.date]) -> None:
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "a catalog file must be a mapping of sections"))
        return
    for key in doc.data:
        if key not in TOP_LEVEL:
            problems.append(doc.problem((key,), f"unknown catalog section '{key}'; "
                                        f"known: {', '.join(sorted(TOP_LEVEL))}", prefer_key=True))
    _apply_removals(doc, merged, problems)
    for section, model in SECTIONS.items():
        for i, item in enumerate(_section_items(doc, section, problems)):
            try:
                record = validate(model, doc, _with_default_provider(doc, section, item), base=(section, i))
            except InputError as exc:
                problems.extend(exc.problems)
                continue
            key = _key(section, record)
            merged.records[section][key] = record
            merged.origins[(section, key)] = _Origin(doc, (section, i))
            dates.extend(_dates(record))


def _with_default_provider(doc: SourceDoc, section: str, item: Any) -> Any:
    """Regions and offerings take the file's `provider:` unless they name their own."""
    default = doc.data.get("provider")
    if section in ("regions", "offerings") and isinstance(item, dict) and "provider" not in item and default:
        return {"provider": default, **item}
    return item


def _section_items(doc: SourceDoc, section: str, problems: list[Problem]) -> list[Any]:
    """The records of one top-level section (none when absent or not a list)."""
    items = doc.data.get(section) if isinstance(doc.data, dict) else None
    if items is None:
        return []
    if not isinstance(items, list):
        problems.append(doc.problem((section,), f"'{section}' must be a list"))
        return []
    return items


def _read_overrides(doc: SourceDoc, problems: list[Problem]) -> list[_Override]:
    """Validated `price_overrides` of one document; applied once the whole layer is loaded."""
    found: list[_Override] = []
    for i, item in enumerate(_section_items(doc, "price_overrides", problems)):
        try:
            override = validate(PriceOverride, doc, item, base=("price_overrides", i))
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        found.append((_Origin(doc, ("price_overrides", i)), override))
    return found


def _apply_override(origin: _Origin, override: PriceOverride, merged: _Merged) -> list[Problem]:
    """Replace the targeted price rows; the rest of the offering stays as an earlier layer wrote it."""
    offerings = merged.records["offerings"]
    problem = _target_problem(origin, override, offerings)
    if problem is not None:
        return [problem]
    offering = offerings[override.offering]
    changed = {p.region: override.apply(p) for p in offering.prices if override.region in (None, p.region)}
    problems = [found for region, values in changed.items()
                for found in _below_on_demand(origin, override, region, values)]
    if not problems:
        prices = [_overridden(p, override, changed[p.region]) if p.region in changed else p
                  for p in offering.prices]
        offerings[override.offering] = offering.model_copy(update={"prices": prices})
    return problems


def _target_problem(origin: _Origin, override: PriceOverride, offerings: dict[str, Offering]) -> Problem | None:
    """Why the override's offering or region cannot be overridden, if it cannot."""
    offering = offerings.get(override.offering)
    if offering is None:
        close = difflib.get_close_matches(override.offering, list(offerings), n=1)
        hint = f"; did you mean '{close[0]}'?" if close else " (write provider:name)"
        return origin.problem(("offering",), f"unknown offering '{override.offering}'{hint}")
    priced = [p.region for p in offering.prices]
    if not priced:
        return origin.problem(("offering",), f"offering '{override.offering}' is bought (purchase block); "
                                             "it has no hourly prices to override")
    if override.region is not None and override.region not in priced:
        return origin.problem(("region",), f"offering '{override.offering}' has no price in region "
                                           f"'{override.region}'; priced in: {', '.join(priced)}")
    return None


def _below_on_demand(origin: _Origin, override: PriceOverride, region: str,
                     values: dict[str, float | None]) -> list[Problem]:
    """Prices must stay above zero, and spot and reserved below on-demand, once the override is applied."""
    found = []
    for model in DISCOUNTABLE:
        value = values[model]
        if value is not None and value <= 0:
            field_ = "discount_pct" if override.discount_pct is not None else model
            found.append(origin.problem((field_,), f"after this override, the {model} price in region "
                                        f"'{region}' rounds to 0 USD/h"))
    on_demand = values["on_demand"]
    if found or on_demand is None:
        return found
    for model in DISCOUNTABLE[1:]:
        value = values[model]
        if value is not None and value >= on_demand:
            field_ = model if getattr(override, model) is not None else "on_demand"
            found.append(origin.problem((field_,), f"after this override, {model} price {value:g} in "
                                        f"region '{region}' is not below the on-demand price {on_demand:g}"))
    return found


def _overridden(price: Price, override: PriceOverride, values: dict[str, float | None]) -> Price:
    return Price.model_validate({"region": price.region, **values, "source": override.source,
                                 "as_of": override.as_of, "estimate": override.estimate, "notes": override.notes})


def _apply_removals(doc: SourceDoc, merged: _Merged, problems: list[Problem]) -> None:
    """`remove: {providers: [...], offerings: [provider:name, ...]}` drops earlier records."""
    remove = doc.data.get("remove")
    if remove is None:
        return
    if not isinstance(remove, dict) or set(remove) - {"providers", "offerings"}:
        problems.append(doc.problem(("remove",), "'remove' takes 'providers' and/or 'offerings' lists"))
        return
    for provider in _removal_names(doc, "providers", problems):
        if provider not in merged.records["providers"]:
            problems.append(doc.problem(("remove", "providers"), f"cannot remove unknown provider '{provider}'"))
            continue
        for section in ("providers", "regions", "offerings"):
            for key in list(merged.records[section]):
                record = merged.records[section][key]
                owner = record.name if section == "providers" else record.provider
                if owner == provider:
                    del merged.records[section][key]
    for key in _removal_names(doc, "offerings", problems):
        if merged.records["offerings"].pop(key, None) is None:
            problems.append(doc.problem(("remove", "offerings"), f"cannot remove unknown offering '{key}' "
                                        "(write provider:name)"))


def _removal_names(doc: SourceDoc, section: str, problems: list[Problem]) -> list[str]:
    """The names listed under `remove.<section>`; anything but a list of names is a problem."""
    names = doc.data["remove"].get(section)
    if names is None:
        return []
    noun = "provider names" if section == "providers" else "offerings as provider:name"
    if not isinstance(names, list):
        problems.append(doc.problem(("remove", section), f"'remove.{section}' must be a list of {noun}"))
        return []
    valid = []
    for i, name in enumerate(names):
        if isinstance(name, str):
            valid.append(name)
        else:
            problems.append(doc.problem(("remove", section, i), f"'remove.{section}.{i}' must be a name, "
                                        f"not {type(name).__name__} (a list of {noun})"))
    return valid


def _dates(record: Any) -> Iterable[dt.date]:
    as_of = getattr(record, "as_of", None)
    if isinstance(as_of, dt.date):
        yield as_of
    for price in getattr(record, "prices", []) or []:
        yield price.as_of


def _check_references(merged: _Merged) -> list[Problem]:
    """Every name a record uses must resolve; MIG tables must be self-consistent."""
    recs = merged.records
    problems: list[Problem] = []

    def at(section: str, key: str, sub: tuple[Any, ...], message: str) -> None:
        problems.append(merged.origins[(section, key)].problem(sub, message))

    slices = {f"{gpu.accelerator}/{p.name}" for gpu in recs["mig"].values() for p in gpu.profiles}
    for key, measurement in recs["measurements"].items():
        if measurement.accelerator not in recs["accelerators"] and measurement.accelerator not in slices:
            at("measurements", key, ("accelerator",), f"unknown accelerator '{measurement.accelerator}'")
    for key, region in recs["regions"].items():
        if region.provider not in recs["providers"]:
            at("regions", key, ("provider",), f"unknown provider '{region.provider}'")
    for key, offering in recs["offerings"].items():
        if offering.provider not in recs["providers"]:
            at("offerings", key, ("provider",), f"unknown provider '{offering.provider}'")
        accelerator = recs["accelerators"].get(offering.accelerator)
        if accelerator is None:
            at("offerings", key, ("accelerator",), f"unknown accelerator '{offering.accelerator}'")
        elif offering.purchase is not None and not offering.regions and accelerator.kind != "edge":
            at("offerings", key, ("regions",), UNSITED_PURCHASE)
        for i, price in enumerate(offering.prices):
            if f"{offering.provider}:{price.region}" not in recs["regions"]:
                at("offerings", key, ("prices", i, "region"),
                   f"unknown region '{price.region}' for provider '{offering.provider}'")
        for i, region in enumerate(offering.regions):
            if f"{offering.provider}:{region}" not in recs["regions"]:
                at("offerings", key, ("regions", i),
                   f"unknown region '{region}' for provider '{offering.provider}'")
    fleets = list(recs["fleets"].values())
    for i, field_name, message in fleet_problems(fleets, recs["offerings"]):
        at("fleets", fleets[i].name, (field_name,), message)
    for key in recs["quotas"]:
        provider, region, accelerator = key.split(":")
        if f"{provider}:{region}" not in recs["regions"]:
            at("quotas", key, ("scope",), f"unknown region '{region}' of provider '{provider}'")
        elif accelerator not in recs["accelerators"]:
            at("quotas", key, ("scope",), f"unknown accelerator '{accelerator}'")
    for key, gpu in recs["mig"].items():
        if gpu.accelerator not in recs["accelerators"]:
            at("mig", key, ("accelerator",), f"unknown accelerator '{gpu.accelerator}'")
        for i, profile in enumerate(gpu.profiles):
            problems.extend(_check_mig_profile(merged, key, gpu, i, profile))
    return problems


def _check_mig_profile(merged: _Merged, key: str, gpu: MigGpu, i: int, profile: Any) -> list[Problem]:
    origin = merged.origins[("mig", key)]
    found: list[Problem] = []
    where = ("profiles", i)
    if profile.compute_slices > gpu.compute_slices:
        found.append(origin.problem(where + ("compute_slices",),
                                    f"profile {profile.name} uses more compute slices than the GPU has"))
    if profile.memory_slices > gpu.memory_slices:
        found.append(origin.problem(where + ("memory_slices",),
                                    f"profile {profile.name} uses more memory slices than the GPU has"))
    for j, start in enumerate(profile.placements):
        if start < 0 or start + profile.size > gpu.memory_slices:
            found.append(origin.problem(where + ("placements", j),
                                        f"placement {start} of {profile.name} runs past slice {gpu.memory_slices}"))
    if profile.max_instances > max(1, len(profile.placements)):
        found.append(origin.problem(where + ("max_instances",),
                                    f"{profile.name} allows {profile.max_instances} instances but has only "
                                    f"{len(profile.placements)} placements"))
    return found


def load_catalog(layers: Iterable[Path] = (), include_shipped: bool = True) -> Catalog:
    """The merged catalog: shipped layer first (unless excluded), then each directory given."""
    merged = _Merged()
    problems: list[Problem] = []
    directories = ([shipped_catalog_dir()] if include_shipped else []) + [Path(p) for p in layers]
    for directory in directories:
        _load_layer(directory, merged, problems)
    if not problems:
        problems.extend(_check_references(merged))
    if problems:
        raise InputError(problems)
    recs = merged.records
    return Catalog(
        accelerators=dict(sorted(recs["accelerators"].items())),
        mig=dict(sorted(recs["mig"].items())),
        locations=dict(sorted(recs["locations"].items())),
        providers=dict(sorted(recs["providers"].items())),
        regions=dict(sorted(recs["regions"].items())),
        offerings=dict(sorted(recs["offerings"].items())),
        measurements=dict(sorted(recs["measurements"].items())),
        fleets=dict(sorted(recs["fleets"].items())),
        quotas=dict(sorted(recs["quotas"].items())),
        layers=merged.layers,
    )
