"""`advisor catalog list|show|import-skypilot`: browse the catalog and import price tables."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml

from advisor.catalog import Catalog, load_catalog, skypilot
from advisor.problems import InputError, single
from advisor.terminal import terminal_safe

KINDS = ("accelerators", "offerings", "regions", "providers", "locations")
EXIT_INPUT = 2  # as in advisor.cli: invalid input or usage, nothing written


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table with aligned columns."""
    cells = [[str(h) for h in headers]] + [["" if c is None else str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"


def _accelerators(c: Catalog, a: argparse.Namespace) -> str:
    rows = [(x.name, x.vendor, x.kind, x.memory_gb, x.memory_bandwidth_gbps, x.bf16_tflops, x.fp8_tflops,
             x.int8_tops, x.tdp_w, x.software_stack, "yes" if x.portable else "no", x.as_of)
            for x in c.accelerators.values() if not a.vendor or x.vendor == a.vendor]
    return table(("name", "vendor", "kind", "mem GB", "GB/s", "bf16 TF", "fp8 TF", "int8 TOPS", "TDP W",
                  "stack", "portable", "as_of"), rows)


def _offerings(c: Catalog, a: argparse.Namespace) -> str:
    rows = []
    for o in c.offerings.values():
        acc = c.accelerators[o.accelerator]
        if (a.provider and o.provider != a.provider) or (a.vendor and acc.vendor != a.vendor):
            continue
        regions = [p.region for p in o.prices] or o.regions
        if a.region and a.region not in regions:
            continue
        if o.purchase:
            price = f"${o.purchase.monthly_usd:,.0f}/month (bought)"
        else:
            cheapest = min(o.prices, key=lambda p: p.on_demand)
            price = f"${cheapest.on_demand:,.2f}/h from ({cheapest.region})"
        rows.append((o.provider, o.name, f"{o.accelerator_count} x {o.accelerator}", o.interconnect.fabric,
                     len(regions), price))
    return table(("provider", "offering", "accelerators", "fabric", "regions", "price"), rows)


def _regions(c: Catalog, a: argparse.Namespace) -> str:
    offered: dict[str, set[str]] = {}
    for o in c.offerings.values():
        for region in [p.region for p in o.prices] or o.regions:
            offered.setdefault(f"{o.provider}:{region}", set()).add(o.accelerator)
    rows = [(r.provider, r.name, r.display_name, r.jurisdiction, f"{r.lat:.2f},{r.lon:.2f}",
             r.carbon_gco2_per_kwh, ", ".join(sorted(offered.get(k, set()))))
            for k, r in c.regions.items()
            if (not a.provider or r.provider == a.provider) and (not a.region or r.name == a.region)]
    return table(("provider", "region", "name", "jurisdiction", "lat,lon", "gCO2/kWh", "accelerators"), rows)


def _providers(c: Catalog, a: argparse.Namespace) -> str:
    rows = [(p.name, p.display_name, p.kind, p.egress.internet_usd_per_gb if p.egress else None,
             p.egress.inter_region_usd_per_gb if p.egress else None)
            for p in c.providers.values() if not a.provider or p.name == a.provider]
    return table(("provider", "name", "kind", "egress $/GB", "inter-region $/GB"), rows)


def _locations(c: Catalog, a: argparse.Namespace) -> str:
    rows = [(x.name, x.city, x.jurisdiction, f"{x.lat:.2f},{x.lon:.2f}") for x in c.locations.values()]
    return table(("location", "city", "jurisdiction", "lat,lon"), rows)


LISTERS: dict[str, Callable[[Catalog, argparse.Namespace], str]] = {
    "accelerators": _accelerators, "offerings": _offerings, "regions": _regions,
    "providers": _providers, "locations": _locations,
}


def cmd_list(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog, include_shipped=not args.no_shipped_catalog)
    kinds = [args.kind] if args.kind else ["accelerators", "offerings", "regions"]
    for kind in kinds:
        if len(kinds) > 1:
            sys.stdout.write(f"\n{kind}\n")
        sys.stdout.write(terminal_safe(LISTERS[kind](catalog, args)))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog, include_shipped=not args.no_shipped_catalog)
    name = args.name
    found = []
    for section in ("accelerators", "offerings", "regions", "providers", "locations", "mig"):
        records = getattr(catalog, section)
        for key, record in records.items():
            if key == name or key.split(":")[-1] == name:
                found.append((section, key, record))
    if not found:
        raise _unknown(name)
    for section, key, record in found:
        sys.stdout.write(terminal_safe(f"# {section}: {key}\n"))
        sys.stdout.write(terminal_safe(yaml.safe_dump(record.model_dump(mode="json"), sort_keys=False,
                                                      allow_unicode=True)))
    return 0


def _unknown(name: str) -> InputError:
    return single("catalog", f"nothing named '{name}' in the catalog (try `advisor catalog list`)")


def cmd_import_skypilot(args: argparse.Namespace) -> int:
    path, out = Path(args.path), Path(args.output)
    records = skypilot.read_rows(path)  # file problems first: loading the catalog takes a second
    problem = _output_dir_problem(out)
    if problem:
        return _usage(problem)
    shipped = load_catalog()
    if args.provider not in shipped.providers:
        return _usage(f"unknown provider '{args.provider}'; known: {', '.join(shipped.providers)}")
    as_of = args.as_of or skypilot.file_date(path)
    result = skypilot.convert(path, records, args.provider, shipped, as_of)
    if not result.offerings:
        print(terminal_safe(_skipped_line(result)), file=sys.stderr)
        return _usage(f"no usable rows in {path} for provider '{args.provider}'; nothing written")
    files = skypilot.layer_files(args.provider, result, path.name, as_of)
    try:
        skypilot.write_layer(files, out)
    except OSError as exc:
        return _usage(f"cannot write the layer to '{out}': {exc.strerror or exc}; nothing written")
    print(terminal_safe(f"imported {len(result.offerings)} offerings, {result.prices} region prices and "
                        f"{len(result.regions)} new regions from {path.name} into "
                        f"{', '.join(str(out / f) for f in files)}"))
    print(terminal_safe(_skipped_line(result)))
    if result.skipped_regions:
        print(terminal_safe(f"advisor: warning: skipped rows in regions the shipped catalog lacks and whose "
                            f"location advisor does not know: {', '.join(sorted(result.skipped_regions))}"),
              file=sys.stderr)
    return 0


def _output_dir_problem(out: Path) -> str | None:
    """Why `out` cannot be a layer directory: it, or the nearest existing folder above it, is a file."""
    if out.exists():
        return None if out.is_dir() else f"cannot write the layer to '{out}': it exists and is not a directory"
    for parent in out.parents:
        if parent.exists():
            return None if parent.is_dir() else (f"cannot write the layer to '{out}': "
                                                 f"'{parent}' is a file, not a directory")
    return None


def _skipped_line(result: skypilot.Conversion) -> str:
    if not result.skipped:
        return "skipped 0 rows"
    parts = []
    for reason, rows in sorted(result.skipped.items()):
        names = sorted(result.unknown_accelerators) if reason == skypilot.SKIP_UNKNOWN_ACCELERATOR else []
        parts.append(f"{rows} {reason}" + (f" ({', '.join(names)})" if names else ""))
    return f"skipped {sum(result.skipped.values())} rows: {'; '.join(parts)}"


def _usage(message: str) -> int:
    print(terminal_safe(f"advisor: {message}"), file=sys.stderr)
    return EXIT_INPUT


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a date; write YYYY-MM-DD") from None


def add_catalog_commands(sub: argparse._SubParsersAction, catalog_option: Callable) -> None:
    parser = sub.add_parser("catalog", help="list or show catalog records",
                            description="Browse the catalog: accelerators, offerings, regions, providers, locations.")
    csub = parser.add_subparsers(dest="catalog_command", required=True, metavar="SUBCOMMAND")
    lister = csub.add_parser("list", help="print a table of catalog records")
    lister.add_argument("kind", nargs="?", choices=KINDS, help="what to list (default: accelerators, "
                                                                "offerings and regions)")
    lister.add_argument("--provider", help="only this provider (offerings, regions, providers)")
    lister.add_argument("--region", help="only offerings priced in / regions named this (offerings, regions)")
    lister.add_argument("--vendor", help="only accelerators of this vendor (accelerators, offerings)")
    catalog_option(lister)
    lister.set_defaults(func=cmd_list)
    show = csub.add_parser("show", help="print one record in full (any kind, by name)")
    show.add_argument("name", help="e.g. h100-sxm, p5.48xlarge, aws:us-east-1")
    catalog_option(show)
    show.set_defaults(func=cmd_show)
    importer = csub.add_parser(
        "import-skypilot", help="convert a SkyPilot vms.csv into a catalog layer directory",
        description="Convert a SkyPilot catalog CSV (vms.csv) into a catalog layer for --catalog: "
                    "one price per region (lowest across availability zones), mapped to catalog "
                    "accelerator ids. Writes DIR/offerings/PROVIDER.yaml and, for regions the shipped "
                    "catalog lacks, DIR/regions/PROVIDER.yaml.")
    importer.add_argument("path", metavar="PATH", help="SkyPilot vms.csv")
    importer.add_argument("-o", "--output", required=True, metavar="DIR", help="layer directory to write")
    importer.add_argument("--provider", required=True, metavar="NAME", help="catalog provider, e.g. aws")
    importer.add_argument("--as-of", type=_date, metavar="DATE",
                          help="as-of date of the prices (default: the file's modification date)")
    importer.set_defaults(func=cmd_import_skypilot)
