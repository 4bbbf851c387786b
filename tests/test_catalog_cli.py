"""`advisor catalog list|show|import-skypilot`, run as users run them."""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SMALL = ["--no-shipped-catalog", "--catalog", str(FIXTURES / "small-catalog")]
LAYERS = FIXTURES / "layers"
VMS_CSV = FIXTURES / "skypilot" / "vms.csv"
Run = Callable[..., tuple[int, str, str]]  # the `run_cli` fixture of conftest.py: advisor.cli.main + capsys


def rows(table: str) -> list[list[str]]:
    """The data rows of a printed table, split on runs of two or more spaces."""
    return [re.split(r"\s{2,}", line.strip()) for line in table.splitlines()[2:] if line.strip()]


def small_list(run_cli: Run, *argv: str) -> list[list[str]]:
    code, out, err = run_cli("catalog", "list", *argv, *SMALL)
    assert code == 0, err
    return rows(out)


# --- list and show ----------------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "first_column"), [
    ("accelerators", ["asic-x", "edge-e", "gpu-a"]),
    ("offerings", ["alpha", "alpha", "alpha", "beta", "edge"]),
    ("regions", ["alpha", "alpha", "beta", "beta"]),
    ("providers", ["alpha", "beta", "edge"]),
    ("locations", ["eu-central", "us-east"]),
])
def test_list_each_kind(run_cli: Run, kind: str, first_column: list[str]) -> None:
    assert [r[0] for r in small_list(run_cli, kind)] == first_column


def test_list_without_kind_prints_accelerators_offerings_and_regions(run_cli: Run) -> None:
    code, out, _ = run_cli("catalog", "list", *SMALL)
    assert code == 0
    assert [line for line in out.splitlines() if line in {"accelerators", "offerings", "regions"}] == [
        "accelerators", "offerings", "regions"]


def test_list_filters(run_cli: Run) -> None:
    assert [r[:2] for r in small_list(run_cli, "offerings", "--provider", "beta")] == [["beta", "b1"]]
    assert [r[1] for r in small_list(run_cli, "offerings", "--region", "eu-1")] == ["a1", "b1"]
    assert [r[1] for r in small_list(run_cli, "offerings", "--vendor", "aws")] == ["x1"]
    assert [r[0] for r in small_list(run_cli, "accelerators", "--vendor", "nvidia")] == ["edge-e", "gpu-a"]
    assert [r[:2] for r in small_list(run_cli, "regions", "--provider", "beta", "--region", "eu-1")] == [
        ["beta", "eu-1"]]


def test_list_shipped_catalog_with_filters(run_cli: Run) -> None:
    code, out, _ = run_cli("catalog", "list", "offerings", "--provider", "aws", "--region", "us-east-1",
                       "--vendor", "nvidia")
    assert code == 0
    offerings = {r[1]: r for r in rows(out)}
    assert "p5.48xlarge" in offerings and "inf2.xlarge" not in offerings
    assert {r[0] for r in rows(out)} == {"aws"}
    assert offerings["p5.48xlarge"][2:4] == ["8 x h100-sxm", "efa"]


def test_show_accelerator_from_shipped_catalog(run_cli: Run) -> None:
    code, out, _ = run_cli("catalog", "show", "h100-sxm")
    assert code == 0
    sections = out.split("# ")[1:]
    assert [s.splitlines()[0] for s in sections] == ["accelerators: h100-sxm", "mig: h100-sxm"]
    record = yaml.safe_load(sections[0].split("\n", 1)[1])
    assert (record["vendor"], record["memory_gb"], record["software_stack"]) == ("nvidia", 80.0, "cuda")


def test_show_unknown_name_exits_2(run_cli: Run) -> None:
    code, out, err = run_cli("catalog", "show", "h999", *SMALL)
    assert (code, out) == (2, "")
    assert "nothing named 'h999' in the catalog" in err


def test_python_dash_m_catalog_list() -> None:
    done = subprocess.run([sys.executable, "-m", "advisor", "catalog", "list", "providers", *SMALL],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert [r[0] for r in rows(done.stdout)] == ["alpha", "beta", "edge"]


# --- layering through the CLI -----------------------------------------------------------------


def layered(run_cli: Run, layer: str, *argv: str) -> dict[str, list[str]]:
    code, out, err = run_cli("catalog", "list", "offerings", *argv, *SMALL, "--catalog", str(LAYERS / layer))
    assert code == 0, err
    return {f"{r[0]}:{r[1]}": r for r in rows(out)}


def test_cli_layer_overrides_price(run_cli: Run) -> None:
    assert layered(run_cli, "override-price")["alpha:a1"][-1] == "$1.60/h from (us-1)"
    code, out, _ = run_cli("catalog", "show", "alpha:a1", *SMALL, "--catalog", str(LAYERS / "override-price"))
    prices = yaml.safe_load(out.split("\n", 1)[1])["prices"]
    assert prices[0]["source"] == "Alpha enterprise agreement 2026 (test fixture)"
    assert prices[1]["source"] == "test fixture"


def test_cli_layer_discount(run_cli: Run) -> None:
    offerings = layered(run_cli, "discount", "--region", "eu-1")
    assert offerings["alpha:a1"][-1] == "$1.80/h from (us-1)"
    assert offerings["beta:b1"][-1] == "$3.00/h from (us-1)"


def test_cli_layer_removes_provider(run_cli: Run) -> None:
    assert sorted(layered(run_cli, "remove-provider")) == ["alpha:a1", "alpha:a8", "edge:e1"]


def test_cli_layer_adds_offering(run_cli: Run) -> None:
    offerings = layered(run_cli, "add-offering", "--region", "ap-1")
    assert list(offerings) == ["alpha:a4"]
    assert offerings["alpha:a4"][2:] == ["4 x gpu-a", "ethernet", "2", "$8.00/h from (us-1)"]


def test_cli_bad_layer_exits_2_with_file_line(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("price_overrides:\n  - offering: alpha:nope\n    on_demand: 1\n"
                                       "    source: test\n    as_of: 2026-01-01\n")
    code, out, err = run_cli("catalog", "list", *SMALL, "--catalog", str(tmp_path))
    assert (code, out) == (2, "")
    assert f"{tmp_path / 'bad.yaml'}:2:15: 'offering': unknown offering 'alpha:nope'" in err


# --- import-skypilot --------------------------------------------------------------------------


def test_import_skypilot_writes_a_layer_that_loads(run_cli: Run, tmp_path: Path) -> None:
    out_dir = tmp_path / "layers" / "aws-skypilot"
    code, out, err = run_cli("catalog", "import-skypilot", str(VMS_CSV), "-o", str(out_dir),
                         "--provider", "aws", "--as-of", "2026-01-15")
    assert code == 0, err
    assert out.splitlines() == [
        f"imported 4 offerings, 5 region prices and 1 new regions from vms.csv into "
        f"{out_dir / 'offerings' / 'aws.yaml'}, {out_dir / 'regions' / 'aws.yaml'}",
        "skipped 5 rows: 1 in regions without known coordinates; 1 with a fractional accelerator count; "
        "1 with unknown accelerators (Gaudi HL-205); 1 without a positive on-demand price; "
        "1 without accelerators",
    ]
    assert "skipped rows in regions" in err and "me-central-1" in err
    assert sorted(p.name for p in tmp_path.joinpath("layers").iterdir()) == ["aws-skypilot"]
    offerings = yaml.safe_load((out_dir / "offerings" / "aws.yaml").read_text())["offerings"]
    assert {o["source"] for o in offerings} == {"SkyPilot catalog vms.csv"}
    assert {str(p["as_of"]) for o in offerings for p in o["prices"]} == {"2026-01-15"}

    code, out, err = run_cli("catalog", "list", "offerings", "--catalog", str(out_dir), "--provider", "aws",
                         "--region", "us-west-1")
    assert code == 0, err
    assert [r[1:3] for r in rows(out)] == [["p5.48xlarge", "8 x h100-sxm"]]


def test_import_skypilot_as_of_defaults_to_file_date_and_keeps_other_files(
        run_cli: Run, tmp_path: Path) -> None:
    csv_path = tmp_path / "vms.csv"
    csv_path.write_text(VMS_CSV.read_text())
    os.utime(csv_path, (1767225600, 1767225600))  # 2026-01-01 00:00 UTC
    out_dir = tmp_path / "layer"
    (out_dir / "prices").mkdir(parents=True)
    (out_dir / "prices" / "mine.yaml").write_text("remove: {providers: [lambda]}\n")
    code, _, err = run_cli("catalog", "import-skypilot", str(csv_path), "-o", str(out_dir), "--provider", "aws")
    assert code == 0, err
    text = (out_dir / "offerings" / "aws.yaml").read_text()
    assert "as_of: 2026-01-01" in text and "2026-01-15" not in text
    assert (out_dir / "prices" / "mine.yaml").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer", "vms.csv"]


@pytest.mark.parametrize(("content", "message"), [
    ("InstanceType,AcceleratorName,Price\np5.48xlarge,H100,55\n",
     ":1:1: not a SkyPilot vms.csv: missing column(s) AcceleratorCount, vCPUs, MemoryGiB, SpotPrice, Region"),
    ("", ":1:1: not a SkyPilot vms.csv: missing column(s) InstanceType"),
    (b"\xff\xfe\x00bad", ":1:1: file is not UTF-8 text"),
])
def test_import_skypilot_bad_file_exits_2_and_writes_nothing(
        run_cli: Run, tmp_path: Path, content: str | bytes, message: str) -> None:
    csv_path = tmp_path / "vms.csv"
    if isinstance(content, bytes):
        csv_path.write_bytes(content)
    else:
        csv_path.write_text(content)
    code, out, err = run_cli("catalog", "import-skypilot", str(csv_path), "-o", str(tmp_path / "out"),
                         "--provider", "aws")
    assert (code, out) == (2, "")
    assert f"{csv_path}{message}" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vms.csv"]


def test_import_skypilot_without_usable_rows_writes_nothing(run_cli: Run, tmp_path: Path) -> None:
    csv_path = tmp_path / "vms.csv"
    csv_path.write_text(VMS_CSV.read_text().splitlines()[0] + "\nm5.large,,,2,8,,0.096,0.04,us-east-1,use1-az1\n")
    code, out, err = run_cli("catalog", "import-skypilot", csv_path, "-o", tmp_path / "o", "--provider", "aws")
    assert (code, out) == (2, "")
    assert "skipped 1 rows: 1 without accelerators" in err and "no usable rows" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vms.csv"]


def test_import_skypilot_missing_file_exits_2(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("catalog", "import-skypilot", str(tmp_path / "none.csv"), "-o", str(tmp_path / "o"),
                       "--provider", "aws")
    assert code == 2
    assert f"{tmp_path / 'none.csv'}:1:1: cannot read file: No such file or directory" in err
    assert not (tmp_path / "o").exists()


def test_import_skypilot_unknown_provider_exits_2(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("catalog", "import-skypilot", str(VMS_CSV), "-o", str(tmp_path / "o"),
                       "--provider", "nimbus")
    assert code == 2
    assert "unknown provider 'nimbus'; known: aws, azure" in err
    assert not (tmp_path / "o").exists()


def test_import_skypilot_bad_date_is_a_usage_error(run_cli: Run, tmp_path: Path) -> None:
    code, _, err = run_cli("catalog", "import-skypilot", VMS_CSV, "-o", tmp_path / "o", "--provider", "aws",
                           "--as-of", "2026-13-01")
    assert code == 2
    assert "'2026-13-01' is not a date; write YYYY-MM-DD" in err


# --- hostile CSVs and failed writes -----------------------------------------------------------

HEADER = VMS_CSV.read_text().splitlines()[0]
P5_ROW = VMS_CSV.read_text().splitlines()[1]


def import_csv(run_cli: Run, tmp_path: Path, *rows: str) -> tuple[int, str, str, Path]:
    csv_path = tmp_path / "vms.csv"
    csv_path.write_text("\n".join([HEADER, *rows]) + "\n")
    out_dir = tmp_path / "layer"
    code, out, err = run_cli("catalog", "import-skypilot", csv_path, "-o", out_dir, "--provider", "aws",
                             "--as-of", "2026-01-15")
    return code, out, err, out_dir


@pytest.mark.parametrize(("old", "new"), [
    (",55.04,", ",inf,"), (",55.04,", ",1e300,"), (",55.04,", ",-inf,"), (",17.6289,", ",inf,"),
    (",55.04,", ",20000,"), ("H100,8.0,", "H100,1000000000000,"), ("H100,8.0,", "H100,inf,"),
    (",192.0,", ",1e12,"), (",2048.0,", ",inf,"),
])
def test_import_skypilot_skips_rows_with_infinite_or_absurd_numbers(run_cli: Run, tmp_path: Path,
                                                                   old: str, new: str) -> None:
    code, out, err, out_dir = import_csv(run_cli, tmp_path, P5_ROW.replace(old, new, 1))
    assert (code, out) == (2, "")
    assert "skipped 1 rows: 1 with a number out of range (infinite, or above the catalog limits)" in err
    assert "no usable rows" in err and not out_dir.exists()


def test_import_skypilot_keeps_good_rows_beside_out_of_range_ones(run_cli: Run, tmp_path: Path) -> None:
    code, out, err, out_dir = import_csv(run_cli, tmp_path, P5_ROW.replace(",55.04,", ",inf,"),
                                         P5_ROW.replace("use1-az1", "use1-az2"))
    assert code == 0, err
    assert "skipped 1 rows: 1 with a number out of range" in out
    text = (out_dir / "offerings" / "aws.yaml").read_text()
    assert "on_demand: 55.04" in text and "inf" not in text


@pytest.mark.parametrize("kind", ["fifo", "device", "directory"])
def test_import_skypilot_reads_only_regular_files(run_cli: Run, tmp_path: Path, kind: str) -> None:
    source = {"fifo": tmp_path / "vms.csv", "device": Path("/dev/zero"), "directory": tmp_path}[kind]
    if kind == "fifo":
        os.mkfifo(source)  # no writer: opening it would block forever
    code, out, err = run_cli("catalog", "import-skypilot", source, "-o", tmp_path / "o", "--provider", "aws")
    assert (code, out) == (2, "")
    assert f"{source}:1:1: cannot read a" in err and "only regular files are read" in err
    assert not (tmp_path / "o").exists()


def test_import_skypilot_refuses_a_csv_over_the_limit(run_cli: Run, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from advisor.catalog import skypilot

    monkeypatch.setattr(skypilot, "MAX_CSV_BYTES", 1000)
    csv_path = tmp_path / "vms.csv"
    csv_path.write_text(HEADER + "\n" + (P5_ROW + "\n") * 10)
    code, out, err = run_cli("catalog", "import-skypilot", csv_path, "-o", tmp_path / "o", "--provider", "aws")
    assert (code, out) == (2, "")
    assert f"{csv_path}:1:1: file is" in err and "the limit is 1,000" in err


def test_import_skypilot_output_under_a_regular_file_exits_2(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "somefile").write_text("x")
    code, out, err = run_cli("catalog", "import-skypilot", VMS_CSV, "-o", tmp_path / "somefile" / "layer",
                             "--provider", "aws")
    assert (code, out) == (2, "")
    assert f"cannot write the layer to '{tmp_path / 'somefile' / 'layer'}': '{tmp_path / 'somefile'}' is a file" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somefile"]


def test_import_skypilot_output_that_is_a_file_exits_2(run_cli: Run, tmp_path: Path) -> None:
    (tmp_path / "layer").write_text("x")
    code, _, err = run_cli("catalog", "import-skypilot", VMS_CSV, "-o", tmp_path / "layer", "--provider", "aws")
    assert code == 2
    assert "it exists and is not a directory" in err
    assert (tmp_path / "layer").read_text() == "x"


def existing_layer(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A layer directory holding an earlier import and a file of the user's own."""
    out_dir = tmp_path / "layer"
    (out_dir / "offerings").mkdir(parents=True)
    (out_dir / "prices").mkdir()
    before = {"offerings/aws.yaml": "provider: aws\nofferings: []\n",
              "prices/mine.yaml": "remove: {providers: [lambda]}\n"}
    for relative, text in before.items():
        (out_dir / relative).write_text(text)
    return out_dir, before


def layer_contents(out_dir: Path) -> dict[str, str]:
    return {str(p.relative_to(out_dir)): p.read_text() for p in sorted(out_dir.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("failing", ["write_text", "rename"])
def test_import_skypilot_write_failure_leaves_the_old_layer_whole(
        run_cli: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str) -> None:
    out_dir, before = existing_layer(tmp_path)
    real_rename, real_write_text = os.rename, Path.write_text

    def full_disk(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    def rename(src: object, dst: object) -> None:
        if Path(str(dst)) == out_dir and "old" not in Path(str(src)).name:
            full_disk()  # the swap itself fails, after the old layer moved aside
        real_rename(src, dst)  # type: ignore[arg-type]

    def write_text(self: Path, text: str, *args: object, **kwargs: object) -> int:
        if self.name == "aws.yaml" and "regions" in self.parts:
            full_disk()  # the second file of the layer: offerings already written
        return real_write_text(self, text, *args, **kwargs)  # type: ignore[arg-type]

    if failing == "rename":
        monkeypatch.setattr(os, "rename", rename)
    else:
        monkeypatch.setattr(Path, "write_text", write_text)
    code, out, err = run_cli("catalog", "import-skypilot", VMS_CSV, "-o", out_dir, "--provider", "aws")
    assert (code, out) == (2, "")
    assert f"advisor: cannot write the layer to '{out_dir}': No space left on device; nothing written" in err
    assert layer_contents(out_dir) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer"]  # no temporary directory left


def test_import_skypilot_into_an_existing_layer_replaces_its_files_and_keeps_the_others(
        run_cli: Run, tmp_path: Path) -> None:
    out_dir, before = existing_layer(tmp_path)
    code, _, err = run_cli("catalog", "import-skypilot", VMS_CSV, "-o", out_dir, "--provider", "aws")
    assert code == 0, err
    after = layer_contents(out_dir)
    assert sorted(after) == ["offerings/aws.yaml", "prices/mine.yaml", "regions/aws.yaml"]
    assert after["prices/mine.yaml"] == before["prices/mine.yaml"]
    assert "p5.48xlarge" in after["offerings/aws.yaml"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["layer"]
