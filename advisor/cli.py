"""Command line: `advisor plan | validate | schema | catalog`.

Exit codes (the contract): 0 a plan was found (or input is valid); 1 no feasible plan, the
report explaining why is still written; 2 invalid input or usage, nothing written; 3 the
solver's time limit came before any plan was found (nothing is proven; the report says so);
128 + N when signal N stopped the run (130 Ctrl-C, 143 SIGTERM), nothing written.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from collections.abc import Sequence
from pathlib import Path

from advisor import __version__
from advisor.catalog import load_catalog
from advisor.catalog_cli import add_catalog_commands
from advisor.diff import check_increase, diff_plans, load_plan, render_diff
from advisor.output import write_atomic
from advisor.problems import InputError
from advisor.progress import for_stderr
from advisor.render import FORMATS, plan_schema, render
from advisor.schema import document_schema
from advisor.signals import Interrupted, signals_interrupt
from advisor.terminal import problem_line, terminal_safe
from advisor.workload.loader import load_inputs

EXIT_OK, EXIT_INFEASIBLE, EXIT_INPUT, EXIT_TIMEOUT = 0, 1, 2, 3
SUFFIX_FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".json": "json", ".csv": "csv"}


def _format_for(args: argparse.Namespace) -> str | None:
    """--format, else the output file's suffix, else Markdown; None if the suffix says nothing."""
    if args.format:
        return args.format
    if args.output:
        return SUFFIX_FORMATS.get(Path(args.output).suffix.lower())
    return "md"


def _output_problem(output: str) -> str | None:
    """Why the report cannot be written to `output`, checked before any work is done."""
    path = Path(output)
    if path.is_dir():
        return f"cannot write '{output}': it is a directory"
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        return f"cannot write '{output}': directory '{parent}' does not exist"
    return None


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got '{text}'")
    return value


def _jobs(text: str) -> int:
    """--jobs: a positive whole number, or `auto` (the cores over the subsolvers each search uses)."""
    if text == "auto":
        from advisor.counterfactuals import default_jobs

        return default_jobs()
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number or 'auto', got '{text}'")
    return int(text)


def cmd_plan(args: argparse.Namespace) -> int:
    from advisor.planner import make_plan

    fmt = _format_for(args)
    if fmt is None:
        print(terminal_safe(f"advisor: cannot tell the format from '{args.output}'; use --format "
                            f"{{{','.join(FORMATS)}}}"), file=sys.stderr)
        return EXIT_INPUT
    problem = _output_problem(args.output) if args.output else None
    if problem:
        print(terminal_safe(f"advisor: {problem}"), file=sys.stderr)
        return EXIT_INPUT
    catalog = load_catalog(args.catalog, include_shipped=not args.no_shipped_catalog)
    inputs = load_inputs(args.paths, catalog)

    def outcome(message: str) -> None:
        if not args.quiet:
            print(terminal_safe(f"advisor: {message}"), file=sys.stderr, flush=True)

    progress = for_stderr("none" if args.quiet else args.progress)
    try:
        plan = make_plan(inputs, catalog, time_limit_s=args.time_limit, explain_time_limit_s=args.explain_time_limit,
                         explain_constraints=not args.no_constraint_costs, explain=args.explain,
                         explain_budget_s=args.explain_budget, jobs=args.jobs, progress=progress)
    finally:
        progress.close()
    text = render(plan, fmt)
    if args.output:
        try:
            write_atomic(Path(args.output), text)
        except OSError as exc:
            print(terminal_safe(f"advisor: cannot write '{args.output}': {exc.strerror or exc}"), file=sys.stderr)
            return EXIT_INPUT
        outcome(f"wrote {args.output} ({plan.status})")
    else:
        sys.stdout.write(terminal_safe(text) if fmt == "md" else text)
    if plan.status in ("infeasible", "timeout"):
        outcome(plan.infeasibility.message if plan.infeasibility else "no feasible plan")
        return EXIT_INFEASIBLE if plan.status == "infeasible" else EXIT_TIMEOUT
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    catalog = load_catalog(args.catalog, include_shipped=not args.no_shipped_catalog)
    inputs = load_inputs(args.paths, catalog)
    if not args.quiet:
        print(terminal_safe(f"{len(inputs.files)} files OK: {len(inputs.workloads)} workloads, "
                            f"policy '{inputs.policy.name}'"))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    schema = plan_schema() if args.plan else document_schema()
    sys.stdout.write(json.dumps(schema, indent=2, sort_keys=True) + "\n")
    return EXIT_OK


EXIT_COST_INCREASE = 3
"""`advisor diff --fail-on-increase PCT`: the new plan costs more than PCT percent above the old."""


def cmd_diff(args: argparse.Namespace) -> int:
    d = diff_plans(load_plan(args.old), load_plan(args.new))
    text = render_diff(d, args.format)
    sys.stdout.write(terminal_safe(text) if args.format == "text" else text)
    if args.fail_on_increase is not None and check_increase(d, args.fail_on_increase):
        return EXIT_COST_INCREASE
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Explained placement plans for AI workloads across accelerators, clouds, regions "
                    "and pricing models.",
        epilog="Exit codes: 0 plan found / input valid, 1 no feasible plan (report still written), "
               "2 invalid input or usage (nothing written), 3 time limit reached before any plan (report "
               "says so; for diff: the cost rose past --fail-on-increase), 130/143 stopped by Ctrl-C/SIGTERM "
               "(nothing written).",
    )
    parser.add_argument("--version", action="version", version=f"advisor {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def catalog_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--catalog", action="append", default=[], metavar="DIR",
                       help="catalog layer over the shipped catalog (repeatable; later layers win)")
        p.add_argument("--no-shipped-catalog", action="store_true",
                       help="use only the --catalog layers, not the catalog shipped with advisor")

    plan = sub.add_parser("plan", help="solve and write an explained placement plan",
                          description="Read workload and policy YAML (files or directories), choose where "
                                      "each workload runs, and write the explained plan.")
    plan.add_argument("paths", nargs="+", metavar="PATH", help="workload/policy YAML files or directories")
    plan.add_argument("-o", "--output", metavar="FILE",
                      help="write the report here (format from the suffix unless --format); default: stdout")
    plan.add_argument("-f", "--format", choices=FORMATS,
                      help="md (default on stdout), html, json (output contract) or csv (bill of materials)")
    plan.add_argument("--time-limit", type=_positive_seconds, default=60.0, metavar="SECONDS",
                      help="limit of the main solve, in deterministic seconds of solver work (default 60): the "
                           "same limit gives the same plan on any machine and under any load")
    plan.add_argument("--explain-time-limit", type=_positive_seconds, default=10.0, metavar="SECONDS",
                      help="limit of each counterfactual solve behind the explanations, in deterministic "
                           "seconds (default 10); a question not settled within it is reported as such")
    plan.add_argument("--explain", choices=("auto", "full", "summary", "none"), default="auto",
                      help="how far to explain: full re-solves with each cheaper alternative forced in; summary "
                           "compares alternatives by cost alone and marks the rest as not re-solved; none skips "
                           "alternatives and constraint prices; auto (default) is full up to 200 workloads and "
                           "summary above")
    plan.add_argument("--explain-budget", type=_positive_seconds, default=None, metavar="SECONDS",
                      help="deterministic seconds of solver work for all counterfactual solves together (default: "
                           "the --time-limit); past it, the remaining questions are reported as not determined, "
                           "and solver.explanations_cut_short counts them")
    plan.add_argument("--jobs", type=_jobs, default="auto", metavar="N",
                      help="counterfactual solves run side by side on N threads (default auto: the cores / 2, "
                           "since each joint search uses 2); the plan and its explanations are the same for any N")
    plan.add_argument("--no-constraint-costs", action="store_true",
                      help="skip re-solving without each constraint (faster on large fleets)")
    plan.add_argument("--progress", choices=("auto", "bars", "lines", "none"), default="auto",
                      help="progress on stderr: bars (counts, ETA, the solver's best plan and bound), lines (plain "
                           "lines for logs) or none; auto (default) is bars on a terminal and none otherwise")
    plan.add_argument("-q", "--quiet", action="store_true",
                      help="print nothing on stderr but errors: no progress, no closing line")
    catalog_option(plan)
    plan.set_defaults(func=cmd_plan)

    validate = sub.add_parser("validate", help="check workload and policy files; print file:line:col problems",
                              description="Check workload and policy files against the schema and the catalog.")
    validate.add_argument("paths", nargs="+", metavar="PATH", help="workload/policy YAML files or directories")
    validate.add_argument("-q", "--quiet", action="store_true", help="print nothing when the files are valid")
    catalog_option(validate)
    validate.set_defaults(func=cmd_validate)

    schema = sub.add_parser("schema", help="print the JSON Schema of workload and policy documents (or, with "
                                           "--plan, of the JSON plan)",
                            description="Print the JSON Schema (draft 2020-12) of workload and policy documents, "
                                        "for editors such as the YAML language server; with --plan, of the plan "
                                        "that `advisor plan --format json` writes (the output contract).")
    schema.add_argument("--plan", action="store_true",
                        help="print the schema of the JSON plan (output contract) instead of the input documents")
    schema.set_defaults(func=cmd_schema)

    diff = sub.add_parser("diff", help="compare two JSON plans: what moved where and what it costs",
                          description="Compare two plans written by `advisor plan --format json`: a headline with "
                                      "the cost change, each workload's old and new cost and placements, the "
                                      "workloads added and removed, and the change per team.")
    diff.add_argument("old", metavar="OLD.json", help="the plan before")
    diff.add_argument("new", metavar="NEW.json", help="the plan after")
    diff.add_argument("-f", "--format", choices=("md", "text"), default="md",
                      help="md (default: fits a pull-request comment) or text (a terminal)")
    diff.add_argument("--fail-on-increase", type=float, default=None, metavar="PCT",
                      help=f"exit {EXIT_COST_INCREASE} when the new plan's monthly cost is more than PCT percent "
                           f"above the old one's (or the new plan is infeasible): a CI gate")
    diff.set_defaults(func=cmd_diff)

    add_catalog_commands(sub, catalog_option)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        with signals_interrupt():
            return args.func(args)
    except InputError as exc:
        for problem in exc.problems:
            print(problem_line(problem), file=sys.stderr)
        print(f"advisor: {len(exc.problems)} problem(s) found", file=sys.stderr)
        return EXIT_INPUT
    except Interrupted as stop:
        print(f"advisor: stopped by {signal.Signals(stop.signum).name}; nothing was written", file=sys.stderr)
        return stop.exit_code
    except KeyboardInterrupt:
        print("advisor: interrupted; nothing was written", file=sys.stderr)
        return 128 + signal.SIGINT
    except BrokenPipeError:
        return EXIT_OK
