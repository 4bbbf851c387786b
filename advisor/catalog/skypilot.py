"""Turn a SkyPilot catalog CSV (`vms.csv`) into a catalog layer directory.

SkyPilot mirrors the providers' price APIs into one CSV per cloud, one row per instance type
and availability zone. Importing it refreshes prices without hand-editing YAML: rows collapse
to one price per region (the lowest across its zones), and the result is an ordinary layer
(`offerings/<provider>.yaml`, plus `regions/<provider>.yaml` for regions the shipped catalog
lacks) to pass with `--catalog`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import shutil
import tempfile
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from advisor.catalog.models import (
    MAX_ACCELERATOR_COUNT,
    MAX_HOURLY_USD,
    MAX_RAM_GB,
    MAX_VCPUS,
    Catalog,
    Interconnect,
    Offering,
    Price,
    Region,
)
from advisor.catalog.sites import site_region
from advisor.problems import InputError, Problem, single
from advisor.yaml_source import decode_utf8, read_bounded

MAX_CSV_BYTES = 50 * 1024 * 1024  # SkyPilot's largest vms.csv (AWS) is about 10 MB
REQUIRED_COLUMNS = ("InstanceType", "AcceleratorName", "AcceleratorCount", "vCPUs", "MemoryGiB",
                    "Price", "SpotPrice", "Region")
# SkyPilot accelerator names (compared case-insensitively) -> catalog accelerator ids.
ACCELERATORS = {
    "h100": "h100-sxm", "h100-mega": "h100-sxm", "h200": "h200", "b200": "b200",
    "a100": "a100-40gb", "a100-80gb": "a100-80gb", "l4": "l4", "a10g": "a10g", "l40s": "l40s",
    "t4": "t4", "mi300x": "mi300x", "inferentia2": "inferentia2", "trainium": "trainium1",
    "trainium2": "trainium2",
}
SKIP_NO_ACCELERATOR = "without accelerators"
SKIP_UNKNOWN_ACCELERATOR = "with unknown accelerators"
SKIP_FRACTIONAL = "with a fractional accelerator count"
SKIP_NO_INSTANCE = "without an instance type or region"
SKIP_NO_PRICE = "without a positive on-demand price"
SKIP_NO_SITE = "in regions without known coordinates"
SKIP_OUT_OF_RANGE = "with a number out of range (infinite, or above the catalog limits)"
# Column -> the largest value the catalog accepts (docs/CATALOG.md, "Limits").
COLUMN_LIMITS = {"AcceleratorCount": MAX_ACCELERATOR_COUNT, "vCPUs": MAX_VCPUS, "MemoryGiB": MAX_RAM_GB,
                 "Price": MAX_HOURLY_USD, "SpotPrice": MAX_HOURLY_USD}


@dataclass(frozen=True)
class _Row:
    instance_type: str
    accelerator: str
    count: int
    vcpus: int | None
    ram_gib: float | None
    region: str
    price: float | None
    spot: float | None


@dataclass
class Conversion:
    """What an import produced and what it left out, for the summary and the warning."""

    offerings: list[Offering] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    unknown_accelerators: set[str] = field(default_factory=set)
    skipped_regions: set[str] = field(default_factory=set)

    @property
    def prices(self) -> int:
        return sum(len(o.prices) for o in self.offerings)


def read_rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    """The CSV's records with their line numbers; InputError when unreadable or columns are missing.

    Only a regular file of at most MAX_CSV_BYTES is read (a FIFO or /dev/zero is refused).
    """
    text = decode_utf8(read_bounded(path, MAX_CSV_BYTES), str(path), encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        found = reader.fieldnames or []
        missing = [c for c in REQUIRED_COLUMNS if c not in found]
        if missing:
            raise single(str(path), f"not a SkyPilot vms.csv: missing column(s) {', '.join(missing)} "
                                    f"(header: {', '.join(found) or 'none'})")
        return [(reader.line_num, record) for record in reader]
    except csv.Error as exc:
        line = reader.line_num + 1  # the line being read when the error came
        raise InputError([Problem(str(path), line, 1, f"not a readable CSV file: {exc}")]) from None


def _number(path: Path, line: int, column: str, text: str | None) -> float | None:
    """A CSV cell as a number; empty and NaN cells (how pandas writes missing values) are None."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError([Problem(str(path), line, 1, f"column {column}: '{text}' is not a number")]) from None
    return None if math.isnan(value) else value


def _out_of_range(path: Path, line: int, record: dict[str, str]) -> bool:
    """Whether a number is infinite or above what the catalog accepts: such a row is never written."""
    for column, limit in COLUMN_LIMITS.items():
        value = _number(path, line, column, record[column])
        if value is not None and not (math.isfinite(value) and value <= limit):
            return True
    return False


def _positive(value: float | None) -> float | None:
    return value if value is not None and value > 0 else None


def _whole(value: float | None) -> int | None:
    return int(value) if value is not None and value > 0 and value.is_integer() else None


def _parse(path: Path, line: int, record: dict[str, str]) -> _Row | str:
    """One CSV record as a row, or the reason it is skipped."""
    name = (record["AcceleratorName"] or "").strip()
    count = _number(path, line, "AcceleratorCount", record["AcceleratorCount"])
    if not name or not count or count <= 0:
        return SKIP_NO_ACCELERATOR
    if name.lower() not in ACCELERATORS:
        return SKIP_UNKNOWN_ACCELERATOR
    if _out_of_range(path, line, record):
        return SKIP_OUT_OF_RANGE
    if not count.is_integer():
        return SKIP_FRACTIONAL
    instance_type, region = (record["InstanceType"] or "").strip(), (record["Region"] or "").strip()
    if not instance_type or not region:
        return SKIP_NO_INSTANCE
    return _Row(
        instance_type=instance_type, accelerator=name, count=int(count),
        vcpus=_whole(_number(path, line, "vCPUs", record["vCPUs"])),
        ram_gib=_positive(_number(path, line, "MemoryGiB", record["MemoryGiB"])),
        region=region,
        price=_positive(_number(path, line, "Price", record["Price"])),
        spot=_positive(_number(path, line, "SpotPrice", record["SpotPrice"])),
    )


def parse_rows(path: Path, records: Iterable[tuple[int, dict[str, str]]],
               result: Conversion) -> list[_Row]:
    """Usable rows; skipped ones are counted in `result`. All bad numbers are reported together."""
    rows: list[_Row] = []
    problems: list[Problem] = []
    for line, record in records:
        try:
            parsed = _parse(path, line, record)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if isinstance(parsed, _Row):
            rows.append(parsed)
            continue
        result.skipped[parsed] += 1
        if parsed == SKIP_UNKNOWN_ACCELERATOR:
            result.unknown_accelerators.add(record["AcceleratorName"].strip())
    if problems:
        raise InputError(problems)
    return rows


@dataclass(frozen=True)
class _Import:
    """What every record of one import shares."""

    provider: str
    shipped: Catalog
    source: str
    as_of: dt.date


def _region_price(ctx: _Import, rows: list[_Row]) -> Price | None:
    """One price per region: the lowest on-demand and spot across its zones; spot only below on-demand."""
    on_demand = min((r.price for r in rows if r.price is not None), default=None)
    if on_demand is None:
        return None
    spot = min((r.spot for r in rows if r.spot is not None), default=None)
    return Price(region=rows[0].region, on_demand=on_demand,
                 spot=spot if spot is not None and spot < on_demand else None,
                 source=ctx.source, as_of=ctx.as_of)


def _offering(ctx: _Import, first: _Row, prices: list[Price]) -> Offering:
    """Hardware facts come from the shipped record when there is one: SkyPilot's names are
    coarser (its A100-80GB covers SXM and PCIe) and its counts are occasionally wrong."""
    known = ctx.shipped.offerings.get(f"{ctx.provider}:{first.instance_type}")
    notes = ("Prices imported from SkyPilot (lowest across each region's availability zones); "
             + ("accelerator, count and interconnect from the shipped catalog record." if known
                else "interconnect unknown, so the default (no NVLink, ethernet) is assumed."))
    return Offering(
        provider=ctx.provider, name=first.instance_type,
        accelerator=known.accelerator if known else ACCELERATORS[first.accelerator.lower()],
        accelerator_count=known.accelerator_count if known else first.count,
        vcpus=first.vcpus, ram_gb=first.ram_gib,
        interconnect=known.interconnect if known else Interconnect(),
        prices=sorted(prices, key=lambda p: p.region), source=ctx.source, as_of=ctx.as_of, notes=notes,
    )


def _region_known(ctx: _Import, region: str, result: Conversion) -> bool:
    """Whether the region is in the shipped catalog or can be added from the site table."""
    if ctx.shipped.region(ctx.provider, region) is not None or region in {r.name for r in result.regions}:
        return True
    site = site_region(ctx.provider, region)
    if site is None:
        result.skipped_regions.add(region)
        return False
    result.regions.append(site)
    return True


def _prices(ctx: _Import, by_region: dict[str, list[_Row]], result: Conversion) -> list[Price]:
    """The priced regions of one instance type; rows of unusable regions are counted as skipped."""
    prices = []
    for region, rows in by_region.items():
        if not _region_known(ctx, region, result):
            result.skipped[SKIP_NO_SITE] += len(rows)
            continue
        price = _region_price(ctx, rows)
        if price is None:
            result.skipped[SKIP_NO_PRICE] += len(rows)
            continue
        prices.append(price)
    return prices


def convert(path: Path, records: Iterable[tuple[int, dict[str, str]]], provider: str, shipped: Catalog,
            as_of: dt.date) -> Conversion:
    """Build the layer's records from `read_rows(path)` (nothing is written here)."""
    ctx = _Import(provider, shipped, f"SkyPilot catalog {path.name}", as_of)
    result = Conversion()
    groups: dict[str, dict[str, list[_Row]]] = defaultdict(lambda: defaultdict(list))
    for row in parse_rows(path, records, result):
        groups[row.instance_type][row.region].append(row)
    for instance_type in sorted(groups):
        by_region = groups[instance_type]
        prices = _prices(ctx, by_region, result)
        if prices:
            first_row = next(iter(by_region.values()))[0]
            result.offerings.append(_offering(ctx, first_row, prices))
    used = {p.region for o in result.offerings for p in o.prices}
    result.regions = sorted((r for r in result.regions if r.name in used), key=lambda r: r.name)
    return result


_LAST = ("source", "as_of", "estimate", "notes", "prices")


def _readable(data: dict) -> dict:
    """Identity fields first, provenance and the price list last, as in the shipped files."""
    if "prices" in data:
        data = {**data, "prices": [_readable(p) for p in data["prices"]]}
    return {k: v for k, v in data.items() if k not in _LAST} | {k: data[k] for k in _LAST if k in data}


class _Dumper(yaml.SafeDumper):
    """Writes a shared value (the as-of date) out each time instead of as a YAML alias."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def _dump(provider: str, section: str, records: list[Offering] | list[Region], header: str) -> str:
    body = [_readable(r.model_dump(mode="python", exclude={"provider"}, exclude_defaults=True))
            for r in records]
    return header + yaml.dump({"provider": provider, section: body}, Dumper=_Dumper, sort_keys=False,
                              allow_unicode=True, width=100)


def layer_files(provider: str, result: Conversion, csv_name: str, as_of: dt.date) -> dict[str, str]:
    """The layer's files (relative path -> YAML text)."""
    header = (f"# Generated by `advisor catalog import-skypilot` from {csv_name} (as of {as_of}).\n"
              "# Prices: USD per instance-hour, the lowest across each region's availability zones.\n")
    files = {f"offerings/{provider}.yaml": _dump(provider, "offerings", result.offerings, header)}
    if result.regions:
        files[f"regions/{provider}.yaml"] = _dump(provider, "regions", result.regions, header)
    return files


def write_layer(files: dict[str, str], out: Path) -> None:
    """Build the whole layer in a temporary directory beside `out`, then swap it in by rename.

    An existing `out` is copied first (its other files stay: another provider's import, price
    overrides), so `out` is always either the old layer or the complete new one, never a mix.
    Raises OSError (full disk, no permission, ...) with the temporary directory removed.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    staging = tmp / "layer"  # made by mkdir or copytree, not mkdtemp, so it gets the usual permissions
    try:
        if out.is_dir():
            shutil.copytree(out, staging, symlinks=True)
        else:
            staging.mkdir()
        for relative, text in files.items():
            (staging / relative).parent.mkdir(parents=True, exist_ok=True)
            (staging / relative).write_text(text, encoding="utf-8")
        _swap_in(staging, out, tmp / "old")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _swap_in(staging: Path, out: Path, old: Path) -> None:
    """Put `staging` at `out`; an existing `out` moves to `old` and comes back if the swap fails."""
    if not out.exists():
        os.rename(staging, out)
        return
    os.rename(out, old)
    try:
        os.rename(staging, out)
    except OSError:
        os.rename(old, out)
        raise


def file_date(path: Path) -> dt.date:
    """The CSV's modification date, the best as-of a snapshot file carries."""
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, tz=dt.timezone.utc).date()
    except OSError as exc:
        raise single(str(path), f"cannot read file: {exc.strerror}") from None
