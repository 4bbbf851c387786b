"""The catalog: the shipped data is complete and consistent, and layers can change it safely."""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from pathlib import Path

import pytest

from advisor.catalog import Catalog, load_catalog, skypilot
from advisor.problems import InputError

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL = FIXTURES / "small-catalog"
LAYERS = FIXTURES / "layers"
MIG_GPUS = ("a100-40gb", "a100-80gb", "h100-sxm", "h200")


@pytest.fixture(scope="module")
def shipped() -> Catalog:
    return load_catalog()


def small(*layers: Path) -> Catalog:
    """The synthetic test catalog with `layers` over it (no shipped catalog)."""
    return load_catalog([SMALL, *layers], include_shipped=False)


def write_layer(tmp_path: Path, text: str, name: str = "layer.yaml") -> Path:
    layer = tmp_path / "layer"
    layer.mkdir(exist_ok=True)
    (layer / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return layer


def problems_of(*layers: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        small(*layers)
    return [str(p) for p in caught.value.problems]


# --- the shipped catalog ----------------------------------------------------------------------


def test_shipped_catalog_loads(shipped: Catalog) -> None:
    assert {"aws", "gcp", "azure", "lambda", "coreweave", "onprem", "edge"} <= set(shipped.providers)
    assert len(shipped.offerings) >= 50
    assert shipped.layers[0].files > 0


def test_every_offering_reference_resolves(shipped: Catalog) -> None:
    for key, offering in shipped.offerings.items():
        assert offering.provider in shipped.providers, key
        assert offering.accelerator in shipped.accelerators, key
        for price in offering.prices:
            assert shipped.region(offering.provider, price.region) is not None, (key, price.region)
        for region in offering.regions:
            assert shipped.region(offering.provider, region) is not None, (key, region)


def test_shipped_prices_are_positive_and_discounts_below_on_demand(shipped: Catalog) -> None:
    for key, offering in shipped.offerings.items():
        assert offering.prices or offering.purchase, key
        for price in offering.prices:
            assert price.on_demand > 0, key
            for model in ("spot", "reserved_1y", "reserved_3y"):
                value = getattr(price, model)
                assert value is None or 0 < value < price.on_demand, (key, price.region, model)
        if offering.purchase:
            assert offering.purchase.monthly_usd > 0, key


def test_shipped_regions_have_location_jurisdiction_and_carbon(shipped: Catalog) -> None:
    complete = [r for r in shipped.regions.values()
                if r.jurisdiction and r.country and r.carbon_gco2_per_kwh is not None
                and -90 <= r.lat <= 90 and -180 <= r.lon <= 180 and (r.lat, r.lon) != (0, 0)]
    assert len(complete) >= 25
    assert len({r.provider for r in complete}) >= 5
    assert all(r.source and r.as_of for r in shipped.regions.values())


def test_shipped_accelerators_are_the_ones_docs_list(shipped: Catalog) -> None:
    text = (ROOT / "docs" / "CATALOG.md").read_text(encoding="utf-8")
    section = text.split("## Shipped accelerators", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([a-z0-9.\-]+)` \|", section, flags=re.M))
    assert {"h100-sxm", "h200", "b200", "a100-40gb", "a100-80gb", "mi300x", "tpu-v5e", "trainium2",
            "inferentia2", "l4", "t4", "jetson-orin-nano"} <= documented
    assert documented == set(shipped.accelerators)


@pytest.mark.parametrize("gpu", MIG_GPUS)
def test_mig_gpu_has_full_and_smallest_profiles(shipped: Catalog, gpu: str) -> None:
    profiles = shipped.mig[gpu].profiles
    full = [p for p in profiles if p.name.startswith("7g.")]
    assert len(full) == 1 and full[0].placements == [0] and full[0].size == 8
    smallest = [p for p in profiles if p.name.startswith("1g.") and "+me" not in p.name and p.size == 1]
    assert len(smallest) == 1 and smallest[0].placements == list(range(7))


# --- rejected input names file, line and field -------------------------------------------------

OFFERING = """
    provider: alpha
    offerings:
      - name: bad
        accelerator: {accelerator}
        accelerator_count: 1
        source: test
        as_of: 2026-01-01
        prices:
          - region: {region}
            on_demand: 2.0
            {extra}
            source: test
            as_of: 2026-01-01
    """


@pytest.mark.parametrize("extra", ["spot: 2.0", "reserved_1y: 2.5", "reserved_3y: 3"])
def test_discount_price_not_below_on_demand_is_rejected(tmp_path: Path, extra: str) -> None:
    layer = write_layer(tmp_path, OFFERING.format(accelerator="gpu-a", region="us-1", extra=extra))
    [problem] = problems_of(layer)
    model = extra.split(":")[0]
    assert problem.startswith(f"{layer / 'layer.yaml'}:9:")
    assert f"{model} price" in problem and "must be below the on-demand price 2.0" in problem


def test_unknown_accelerator_in_offering_is_rejected(tmp_path: Path) -> None:
    layer = write_layer(tmp_path, OFFERING.format(accelerator="gpu-zz", region="us-1", extra=""))
    assert problems_of(layer) == [f"{layer / 'layer.yaml'}:4:18: 'accelerator': unknown accelerator 'gpu-zz'"]


def test_unknown_region_in_offering_is_rejected(tmp_path: Path) -> None:
    layer = write_layer(tmp_path, OFFERING.format(accelerator="gpu-a", region="mars-1", extra=""))
    assert problems_of(layer) == [f"{layer / 'layer.yaml'}:9:17: 'prices.0.region': "
                                  "unknown region 'mars-1' for provider 'alpha'"]


@pytest.mark.parametrize(("old", "new", "where", "words"), [
    ("on_demand: 2.0", "on_demand: .inf", "10:20", "'prices.0.on_demand': Input should be a finite number"),
    ("on_demand: 2.0", "on_demand: .nan", "10:20", "'prices.0.on_demand': Input should be a finite number"),
    ("on_demand: 2.0", "on_demand: 1.0e+300", "10:20", "'prices.0.on_demand': Input should be less than "
                                                     "or equal to 10000"),
    ("accelerator_count: 1", "accelerator_count: 1000000000000", "5:24",
     "'accelerator_count': Input should be less than or equal to 1024"),
    ("accelerator_count: 1", "accelerator_count: 1\n        vcpus: 10000000", "6:12",
     "'vcpus': Input should be less than or equal to 100000"),
    ("accelerator_count: 1", "accelerator_count: 1\n        interconnect: {nvlink_domain: 100000}", "6:35",
     "'interconnect.nvlink_domain': Input should be less than or equal to 1024"),
])
def test_infinite_or_absurd_offering_numbers_are_rejected(tmp_path: Path, old: str, new: str, where: str,
                                                          words: str) -> None:
    text = OFFERING.format(accelerator="gpu-a", region="us-1", extra="").replace(old, new)
    layer = write_layer(tmp_path, text)
    [problem] = problems_of(layer)
    assert problem.startswith(f"{layer / 'layer.yaml'}:{where}: {words}"), problem


ACCELERATOR = """
    accelerators:
      - {{name: gpu-z, display_name: Z, vendor: nvidia, kind: gpu, memory_gb: 80, memory_bandwidth_gbps: 2000,
         bf16_tflops: 400, tdp_w: 700, software_stack: cuda, portable: true, source: test, as_of: 2026-01-01,
         {field}: {value}}}
    """


@pytest.mark.parametrize(("field", "value", "words"), [
    ("fp8_tflops", ".inf", "Input should be a finite number"),
    ("int8_tops", "-.inf", "Input should be a finite number"),
    ("fp8_tflops", "1.0e+7", "Input should be less than or equal to 1000000"),
])
def test_infinite_or_absurd_accelerator_specs_are_rejected(tmp_path: Path, field: str, value: str,
                                                           words: str) -> None:
    text = ACCELERATOR.format(field=field, value=value)
    layer = write_layer(tmp_path, text)
    [problem] = problems_of(layer)
    assert "layer.yaml:4:" in problem and f"'{field}': {words}" in problem, problem


@pytest.mark.parametrize(("text", "words"), [
    ("regions:\n  - {provider: alpha, name: r9, display_name: R, lat: 1, lon: 1, jurisdiction: us, country: US,"
     " carbon_gco2_per_kwh: .inf, source: test, as_of: 2026-01-01}\n",
     "'carbon_gco2_per_kwh': Input should be a finite number"),
    ("regions:\n  - {provider: alpha, name: r9, display_name: R, lat: .nan, lon: 1, jurisdiction: us, country: US,"
     " source: test, as_of: 2026-01-01}\n", "'lat': Input should be a finite number"),
    ("providers:\n  - {name: gamma, display_name: G, kind: cloud, egress: {internet_usd_per_gb: .inf,"
     " inter_region_usd_per_gb: 0, source: test, as_of: 2026-01-01}}\n",
     "'egress.internet_usd_per_gb': Input should be a finite number"),
    ("price_overrides:\n  - {offering: 'alpha:a1', on_demand: .inf, source: test, as_of: 2026-01-01}\n",
     "'on_demand': Input should be a finite number"),
])
def test_infinite_numbers_in_other_records_are_rejected(tmp_path: Path, text: str, words: str) -> None:
    layer = write_layer(tmp_path, text)
    [problem] = problems_of(layer)
    assert problem.startswith(f"{layer / 'layer.yaml'}:2:") and words in problem, problem


@pytest.mark.parametrize(("field", "value", "limit"), [
    ("unit_price_usd", "1.0e+300", "100000000"),
    ("unit_price_usd", ".inf", None),
    ("lifetime_months", "100000", "240"),
    ("power_w", "1.0e+12", "1000000"),
    ("electricity_usd_per_kwh", "50", "10"),
])
def test_absurd_purchase_numbers_are_rejected(tmp_path: Path, field: str, value: str, limit: str | None) -> None:
    purchase = {"unit_price_usd": "360", "lifetime_months": "36", "power_w": "15", "electricity_usd_per_kwh": "0.1"}
    purchase[field] = value
    body = ", ".join(f"{k}: {v}" for k, v in purchase.items())
    layer = write_layer(tmp_path, f"""
        offerings:
          - {{provider: edge, name: e9, accelerator: edge-e, accelerator_count: 1, source: test, as_of: 2026-01-01,
             purchase: {{{body}, source: test, as_of: 2026-01-01}}}}
        """)
    [problem] = problems_of(layer)
    words = f"less than or equal to {limit}" if limit else "a finite number"
    assert f"'purchase.{field}': Input should be {words}" in problem, problem
    assert problem.startswith(f"{layer / 'layer.yaml'}:3:")


def test_mig_placement_past_last_slice_is_rejected(tmp_path: Path) -> None:
    layer = write_layer(tmp_path, """
        mig:
          - accelerator: gpu-a
            compute_slices: 7
            memory_slices: 8
            source: test
            as_of: 2026-01-01
            profiles:
              - {name: 2g.20gb, compute_slices: 2, memory_slices: 2, memory_gb: 19.5, max_instances: 3,
                 placements: [0, 2, 7], size: 2}
        """)
    [problem] = problems_of(layer)
    assert problem.startswith(f"{layer / 'layer.yaml'}:9:29: 'profiles.0.placements.2':")
    assert "placement 7 of 2g.20gb runs past slice 8" in problem


# --- layering ---------------------------------------------------------------------------------


def test_layer_overrides_one_price_and_keeps_the_rest() -> None:
    base = small().offerings["alpha:a1"]
    a1 = small(LAYERS / "override-price").offerings["alpha:a1"]
    us, eu = a1.prices
    assert (us.region, us.on_demand, us.spot, us.reserved_1y) == ("us-1", 1.6, 1.0, 1.5)
    assert us.source == "Alpha enterprise agreement 2026 (test fixture)"
    assert us.as_of == dt.date(2026, 2, 1) and us.notes.startswith("negotiated")
    assert eu == base.prices[1]
    assert a1.model_copy(update={"prices": base.prices}) == base


def test_layer_discount_scales_every_price_in_every_region() -> None:
    catalog = small(LAYERS / "discount")
    us, eu = catalog.offerings["alpha:a1"].prices
    assert (us.on_demand, us.spot, us.reserved_1y, us.reserved_3y) == (1.8, 0.9, 1.35, None)
    assert eu.on_demand == 2.25
    assert {us.source, eu.source} == {"Alpha committed-use discount (test fixture)"}
    assert catalog.layers[-1].newest_as_of == dt.date(2026, 2, 1)


def test_layer_removes_a_provider_with_its_regions_and_offerings() -> None:
    catalog = small(LAYERS / "remove-provider")
    assert "beta" not in catalog.providers
    assert not [k for k in [*catalog.regions, *catalog.offerings] if k.startswith("beta:")]
    assert "alpha:x1" not in catalog.offerings and "alpha:a1" in catalog.offerings


def test_layer_adds_region_and_offering_and_overrides_it_in_the_same_layer() -> None:
    catalog = small(LAYERS / "add-offering")
    assert catalog.region("alpha", "ap-1").jurisdiction == "jp"
    a4 = catalog.offerings["alpha:a4"]
    ap, us = a4.prices
    assert (ap.region, ap.on_demand, ap.source) == ("ap-1", 8.5, "Alpha Japan quote (test fixture)")
    assert (us.region, us.on_demand, us.spot, us.source) == ("us-1", 8.0, 4.0, "test fixture")
    assert a4.interconnect.nvlink_domain == 4


def test_negotiated_layer_over_shipped_catalog(shipped: Catalog) -> None:
    catalog = load_catalog([LAYERS / "negotiated-aws"])
    p5 = {p.region: p for p in catalog.offerings["aws:p5.48xlarge"].prices}
    assert p5["us-east-1"].on_demand == 40.0 and "negotiated" in p5["us-east-1"].source
    assert p5["us-east-1"].spot == shipped.offerings["aws:p5.48xlarge"].prices[0].spot
    assert p5["us-east-2"] == {p.region: p for p in shipped.offerings["aws:p5.48xlarge"].prices}["us-east-2"]
    for before, after in zip(shipped.offerings["aws:g6.xlarge"].prices,
                             catalog.offerings["aws:g6.xlarge"].prices, strict=True):
        assert after.on_demand == pytest.approx(before.on_demand * 0.82)
        assert after.spot == (None if before.spot is None else pytest.approx(before.spot * 0.82))
        assert "negotiated" in after.source and after.as_of == dt.date(2026, 1, 1)


OVERRIDE = """
    price_overrides:
      - offering: {offering}
        region: {region}
        {extra}
        source: test
        as_of: 2026-03-01
    """


@pytest.mark.parametrize(("offering", "region", "extra", "where", "message"), [
    ("alpha:a11", "us-1", "on_demand: 1", "2:15", "'offering': unknown offering 'alpha:a11'; did you mean 'alpha:a1'?"),
    ("alpha:a8", "eu-1", "on_demand: 1", "3:13",
     "'region': offering 'alpha:a8' has no price in region 'eu-1'; priced in: us-1"),
    ("alpha:a1", "us-1", "spot: 2.5", "4:11",
     "'spot': after this override, spot price 2.5 in region 'us-1' is not below the on-demand price 2"),
    ("alpha:a8", "us-1", "on_demand: 7.5", "4:16",
     "'on_demand': after this override, spot price 8 in region 'us-1' is not below the on-demand price 7.5"),
    ("edge:e1", "site", "discount_pct: 5", "2:15", "has no hourly prices to override"),
])
def test_bad_price_override_is_rejected_at_its_line(tmp_path: Path, offering: str, region: str, extra: str,
                                                    where: str, message: str) -> None:
    layer = write_layer(tmp_path, OVERRIDE.format(offering=offering, region=region, extra=extra))
    problems = problems_of(layer)
    assert problems[0].startswith(f"{layer / 'layer.yaml'}:{where}: ")
    assert message in problems[0]


def test_override_leaving_reserved_at_on_demand_is_rejected(tmp_path: Path) -> None:
    layer = write_layer(tmp_path, OVERRIDE.format(offering="alpha:a1", region="us-1", extra="on_demand: 1.5"))
    assert problems_of(layer) == [
        f"{layer / 'layer.yaml'}:4:16: 'on_demand': after this override, reserved_1y price 1.5 in region "
        "'us-1' is not below the on-demand price 1.5",
    ]


def test_override_rounding_a_price_to_zero_is_rejected(tmp_path: Path) -> None:
    layer = write_layer(tmp_path, OVERRIDE.format(offering="alpha:a1", region="us-1",
                                                  extra="on_demand: 0.0000001\n        discount_pct: 90"))
    assert problems_of(layer) == [
        f"{layer / 'layer.yaml'}:5:19: 'discount_pct': after this override, the on_demand price in region "
        "'us-1' rounds to 0 USD/h",
    ]


@pytest.mark.parametrize(("fields", "where", "message"), [
    ("offering: a1\n    on_demand: 1", "2:15", "'offering': write the offering as provider:name"),
    ("offering: alpha:a1", "2:5", "'document': a price override needs a price"),
    ("offering: alpha:a1\n    discount_pct: 100", "3:19", "'discount_pct': Input should be less than 100"),
    ("offering: alpha:a1\n    on_demand: -1", "3:16", "'on_demand': Input should be greater than 0"),
    ("offering: alpha:a1\n    on_dmand: 1", "3:5", "unknown field 'on_dmand'; did you mean 'on_demand'?"),
])
def test_price_override_record_is_validated(tmp_path: Path, fields: str, where: str, message: str) -> None:
    layer = write_layer(tmp_path, f"price_overrides:\n  - {fields}\n    source: test\n    as_of: 2026-03-01\n")
    [problem] = problems_of(layer)
    assert problem.startswith(f"{layer / 'layer.yaml'}:{where}: {message}")


@pytest.mark.parametrize(("remove", "where", "message"), [
    ("{providers: 5}", "2:21", "'remove.providers' must be a list of provider names"),
    ("{providers: alpha}", "2:21", "'remove.providers' must be a list of provider names"),
    ("{providers: [[alpha]]}", "2:22", "'remove.providers.0' must be a name, not list (a list of provider names)"),
    ("{offerings: [{a: 1}]}", "2:22", "'remove.offerings.0' must be a name, not dict "
                                      "(a list of offerings as provider:name)"),
    ("{offerings: [alpha:a1, 7]}", "2:32", "'remove.offerings.1' must be a name, not int "
                                           "(a list of offerings as provider:name)"),
])
def test_badly_shaped_remove_is_rejected_at_its_line(tmp_path: Path, remove: str, where: str,
                                                     message: str) -> None:
    layer = write_layer(tmp_path, f"# removals\nremove: {remove}\n")
    assert problems_of(layer) == [f"{layer / 'layer.yaml'}:{where}: {message}"]


def test_unreadable_layer_subdirectory_is_a_problem(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    import advisor.yaml_source

    layer = tmp_path / "layer"
    (layer / "prices").mkdir(parents=True)
    (layer / "prices" / "x.yaml").write_text("remove: {offerings: [alpha:a1]}\n")
    real_scandir = os.scandir

    def scandir(path: object) -> object:
        if Path(str(path)) == layer / "prices":
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(advisor.yaml_source.os, "scandir", scandir)
    assert problems_of(layer) == [f"{layer / 'prices'}:1:1: cannot read directory: Permission denied"]


def test_symlinked_layer_subdirectory_is_read(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "remove.yaml").write_text("remove: {offerings: [alpha:a1]}\n")
    layer = tmp_path / "layer"
    layer.mkdir()
    (layer / "linked").symlink_to(shared, target_is_directory=True)
    assert "alpha:a1" not in small(layer).offerings


def test_unknown_top_level_section_lists_price_overrides(tmp_path: Path) -> None:
    layer = write_layer(tmp_path, "price_override: []\n")
    [problem] = problems_of(layer)
    assert ":1:1: unknown catalog section 'price_override'" in problem and "price_overrides" in problem


# --- SkyPilot conversion ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(shipped: Catalog) -> skypilot.Conversion:
    csv_path = FIXTURES / "skypilot" / "vms.csv"
    return skypilot.convert(csv_path, skypilot.read_rows(csv_path), "aws", shipped, dt.date(2026, 1, 15))


def test_skypilot_rows_collapse_to_the_lowest_price_per_region(converted: skypilot.Conversion) -> None:
    offerings = {o.name: o for o in converted.offerings}
    assert sorted(offerings) == ["g6.xlarge", "p4de.24xlarge", "p5.48xlarge", "trn1.2xlarge"]
    p5 = {p.region: p for p in offerings["p5.48xlarge"].prices}
    assert sorted(p5) == ["us-east-1", "us-west-1"]
    assert (p5["us-east-1"].on_demand, p5["us-east-1"].spot) == (55.04, 12.5)
    assert p5["us-west-1"].spot is None
    [g6] = offerings["g6.xlarge"].prices
    assert (g6.on_demand, g6.spot) == (0.7, 0.3)
    assert p5["us-east-1"].source == "SkyPilot catalog vms.csv" and g6.as_of == dt.date(2026, 1, 15)


def test_skypilot_hardware_comes_from_shipped_record_or_the_name_map(converted: skypilot.Conversion,
                                                                     shipped: Catalog) -> None:
    offerings = {o.name: o for o in converted.offerings}
    assert offerings["p5.48xlarge"].interconnect == shipped.offerings["aws:p5.48xlarge"].interconnect
    assert offerings["p4de.24xlarge"].accelerator == "a100-80gb"
    trn = offerings["trn1.2xlarge"]
    assert (trn.accelerator, trn.accelerator_count, trn.vcpus, trn.ram_gb) == ("trainium1", 1, 8, 32.0)
    assert set(skypilot.ACCELERATORS.values()) <= set(shipped.accelerators)


def test_skypilot_skipped_rows_are_counted(converted: skypilot.Conversion) -> None:
    assert converted.skipped == {
        skypilot.SKIP_NO_ACCELERATOR: 1, skypilot.SKIP_UNKNOWN_ACCELERATOR: 1, skypilot.SKIP_FRACTIONAL: 1,
        skypilot.SKIP_NO_PRICE: 1, skypilot.SKIP_NO_SITE: 1,
    }
    assert converted.unknown_accelerators == {"Gaudi HL-205"}
    assert converted.skipped_regions == {"me-central-1"}
    assert [r.name for r in converted.regions] == ["us-west-1"]


def test_skypilot_bad_number_names_the_line(tmp_path: Path, shipped: Catalog) -> None:
    csv_path = tmp_path / "vms.csv"
    lines = (FIXTURES / "skypilot" / "vms.csv").read_text(encoding="utf-8").splitlines()
    csv_path.write_text("\n".join([*lines[:3], lines[3].replace("55.04", "n/a"), *lines[4:]]) + "\n")
    with pytest.raises(InputError) as caught:
        skypilot.convert(csv_path, skypilot.read_rows(csv_path), "aws", shipped, dt.date(2026, 1, 1))
    assert [str(p) for p in caught.value.problems] == [f"{csv_path}:4:1: column Price: 'n/a' is not a number"]
