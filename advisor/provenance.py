"""Where a plan came from: the advisor's version, its input files by content, and when.

The generation time comes from SOURCE_DATE_EPOCH (reproducible-builds.org) when it is set. Without
it the JSON carries no time at all, so the same inputs still give byte-identical JSON; the HTML
and Markdown reports then state the time they were rendered.
"""

from __future__ import annotations

import datetime as dt
import os

from advisor import __version__
from advisor.plan import InputFile, Provenance
from advisor.problems import single

EPOCH_VARIABLE = "SOURCE_DATE_EPOCH"


def fixed_time() -> dt.datetime | None:
    """The generation time SOURCE_DATE_EPOCH fixes (UTC); None when it is unset or empty."""
    raw = os.environ.get(EPOCH_VARIABLE, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 12:
        raise single(EPOCH_VARIABLE, f"must be a whole number of seconds since 1970-01-01 UTC, not {raw[:40]!r}")
    return dt.datetime.fromtimestamp(int(raw), tz=dt.timezone.utc)


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def provenance(files: list[str], sha256: dict[str, str]) -> Provenance:
    """The plan's provenance: version, each input file with its SHA-256, the fixed time if any."""
    moment = fixed_time()
    return Provenance(advisor_version=__version__, generated_at=stamp(moment) if moment else None,
                      inputs=[InputFile(path=f, sha256=sha256[f]) for f in files if f in sha256])


def shown_time(generated_at: str | None) -> str:
    """The time a human-readable report states: the plan's fixed time, else now."""
    return generated_at or stamp(dt.datetime.now(dt.timezone.utc))
