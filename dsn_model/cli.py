"""The ``dsn`` command: inspect routings, derive bounds, reproduce, check.

Each sub-command is one function taking the parsed arguments; ``theory`` is
imported only inside the commands that need it.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from ._io import atomic_writer, writable_file

__all__ = ["main"]

#: The most weights ``dsn inspect`` builds (80 MB of float64).
_INSPECT_WEIGHTS = 10**7


def _inspect(args: argparse.Namespace) -> int:
    from .model.dsm import DSM
    from .model.graph import active_subgraph, draw_graph

    if not np.isfinite(args.step):
        raise ValueError(f"`--step` must be a finite number. Got {args.step}.")
    if args.d * args.t > _INSPECT_WEIGHTS:
        raise ValueError(
            f"`--d` x `--t` = {args.d * args.t:.3g} weights; `dsn inspect` shows one network "
            f"in seconds and takes at most {_INSPECT_WEIGHTS:.0e} (build larger ones with "
            "DSM.random in Python)."
        )
    net = DSM.random(args.d, args.t, args.s, router=args.router, random_state=args.seed)
    rng = np.random.default_rng(args.seed)
    x = rng.uniform(-1, 1, size=args.d)
    with np.errstate(over="ignore", invalid="ignore"):
        near = x + args.step * rng.standard_normal(args.d) / np.sqrt(args.d)
    if not np.all(np.isfinite(near)):
        raise ValueError(
            f"`--step` {args.step:g} moves x beyond the float range; use a step below about 1e300."
        )
    print(f"DSM(d={net.input_dim}, s={net.sparsity}, t={net.n_units}), router={args.router}")
    for name, point in (("x", x), ("x + step", near)):
        units = net.route(point[None]).units[0]
        print(
            f"  {name:>9}: active units {sorted(units[units >= 0].tolist())}, "
            f"g = {net.predict(point[None])[0]:+.6f}"
        )
    flops = net.flops(x[None])
    print(
        f"  FLOPs: {int(flops.paper[0])} active (paper), {int(flops.routing[0])} routing, "
        f"{int(flops.total[0])} total"
    )
    if args.png:
        draw_graph(
            active_subgraph(net, x, include_routing=True),
            path=args.png,
            title=f"active sub-DAG ({args.router})",
        )
        print(f"  saved {args.png}")
    return 0


def _bounds(args: argparse.Namespace) -> int:
    import json

    import sympy as sp

    from theory import bounds

    meanings = {
        "table_size": "Thm 4.1: hash-table size, buckets",
        "sample_complexity": "Thm 4.1: training samples",
        "forward_cost_sparse": "Thm 4.1: LSH forward cost, word operations per input",
        "dense_width_lower_bound": "Thm 4.3: dense width needed, units (max of grid and packing)",
        "dense_sample_lower_bound": "Thm 4.3: samples any learner needs",
        "forward_cost_dense": "Eq. (1): dense forward cost d (L sqrt(d)/(C eps))^k, C = 5.17",
        "inference_gap": "Eq. (1): dense / sparse forward cost",
    }
    names = list(meanings)
    values = {"d": args.d, "k": args.k, "L": args.L, "eps": args.eps}
    if args.json:
        writable_file(args.json, name="--json")
    if args.d >= 1 and args.L > 0 and np.isfinite(args.L) and 0 < args.eps < np.inf:
        top = args.L * np.sqrt(args.d)
        if not args.eps < top:
            raise ValueError(
                f"`--eps` must be below L sqrt(d) = {top:.6g}, where the bounds' logarithm "
                f"log(L sqrt(d) / eps) is positive (a larger eps asks for no accuracy). "
                f"Got {args.eps}."
            )

    def number(value):
        """A float where it fits, else the value's decimal text (JSON has no Infinity)."""
        exact = sp.N(value, 20, maxn=100_000)
        as_float = float(exact)
        return as_float if np.isfinite(as_float) else sp.sstr(sp.N(exact, 7))

    rows = []
    for name in names:
        symbolic = getattr(bounds, name)(*(bounds.SYMBOLS[s] for s in ("d", "k", "L", "eps")))
        value = getattr(bounds, name)(args.d, args.k, args.L, args.eps)
        rows.append(
            {
                "bound": name,
                "meaning": meanings[name],
                "expression": sp.latex(symbolic) if args.latex else str(symbolic),
                "value": number(value),
            }
        )
    print(
        f"bounds at d={args.d}, k={args.k}, L={args.L}, eps={args.eps} "
        "(hidden constants: defaults of docs/theory.md)"
    )
    width = max(len(r["bound"]) for r in rows)

    def shown(v):
        return f"{v:>14.6g}" if isinstance(v, float) else f"{v:>14}"

    for r in rows:
        print(f"  {r['bound']:<{width}}  {shown(r['value'])}   {r['meaning']}")
        print(f"  {'':<{width}}  {'':>14}   = {r['expression']}")
    ratio = rows[-1]["value"]
    print(
        f"  Eq. (1): dense / sparse forward cost = {shown(ratio).strip()} (tends to infinity as "
        "eps -> 0)"
    )
    if args.json:
        record = {"parameters": values, "bounds": rows, "dense_over_sparse": ratio}
        with atomic_writer(args.json) as fh:
            json.dump(record, fh, indent=2)
        print(f"  wrote {args.json}")
    return 0


def _reproduce(args: argparse.Namespace) -> int:
    from .experiments.runner import render_report, reproduce

    if args.render_only:
        path = render_report(args.out)
        print(f"redrew {path} from the records in {args.out}")
        return 0
    if args.jobs == 0:
        raise ValueError(
            "`--jobs` must be a number of processes, or negative as in joblib (-1: all cores, "
            "-2: all but one). Got 0."
        )
    created = not Path(args.out).exists()
    path = reproduce(
        args.experiments,
        args.out,
        quick=args.quick,
        seeds=args.seeds,
        jobs=args.jobs,
        dask_address=args.dask,
        progress=not args.no_progress,
        force=args.force,
    )
    if created:
        print(f"created the folder {args.out}")
    print(f"wrote {path} (figures, CSV and JSON records beside it)")
    return 0


def _parameters(values: dict) -> str:
    """``d=8, k=1, eps=0.2``: the parameters a claim was tested at, in one line."""
    return ", ".join(f"{k}={v}" for k, v in values.items() if v is not None and k != "records")


def _print_evidence(e) -> None:
    quote = f' -- the paper: "{e.quote}"' if e.quote else ""
    print(f"[{e.verdict}] {e.claim} (Section {e.section}, {e.method}, {e.seconds:.1f} s)")
    print(f"    claim:     {e.statement}{quote}")
    print(f"    checked:   {e.checked}")
    print(f"    tested at: {_parameters(e.parameters)}")
    print(f"    result:    {e.summary}")
    if e.breaking:
        b = e.breaking
        print(
            f"    broken:    {_parameters(b['input'])} -> {b['verdict']}"
            f"{'' if b['flipped'] else ' (did NOT flip the verdict)'}"
        )


def _check(args: argparse.Namespace) -> int:
    import json

    from theory.claims import CLAIMS, FINDINGS, VERDICTS, check_claims, check_findings

    if args.list:
        for claim in CLAIMS.values():
            print(f"{claim.name:38s} {claim.kind:11s} Section {claim.section}: {claim.statement}")
        for finding in FINDINGS.values():
            print(
                f"{finding.name:38s} {'finding':11s} Section {finding.section}: {finding.statement}"
            )
        return 0
    if args.json:
        writable_file(args.json, name="--json")  # before the checks, not after them
    progress = not args.no_progress
    claims = check_claims(args.claim, full=args.full, progress=progress, records=args.records)
    findings = [] if args.claim else check_findings(full=args.full, progress=progress)
    paper = [e for e in claims if e.kind == "paper"]
    own = [e for e in claims if e.kind != "paper"]
    for e in paper:
        _print_evidence(e)
    if own:
        print("\nConsistency checks of this implementation (what the verdicts above rely on):")
        for e in own:
            _print_evidence(e)
    if findings:
        print("\nFindings (not claims of the paper; no verdict on it):")
        for e in findings:
            print(
                f"[{'as documented' if e.verdict == 'holds' else 'NOT as documented'}] "
                f"{e.claim}: {e.statement}\n    result:  {e.summary}"
            )
    counts = {v: sum(e.verdict == v for e in paper) for v in VERDICTS}
    own_failed = sum(e.verdict == "fails" for e in own)
    print(
        f"\nThe paper: {counts['holds']} claim(s) hold, {counts['refuted']} quoted sentence(s) "
        f"refuted, {counts['erratum']} erratum (a typo whose correction holds), "
        f"{counts['not reproduced']} measurement(s) not reproduced, {counts['fails']} fail. "
        f"Consistency checks: {len(own) - own_failed} pass, {own_failed} fail"
        " (see docs/theory.md for what each verdict means)"
    )
    if args.json:
        rows = {
            "claims": [e.as_dict() for e in claims],
            "findings": [e.as_dict() for e in findings],
        }
        with atomic_writer(args.json) as fh:
            json.dump(rows, fh, indent=2)
    failed = counts["fails"] + own_failed + sum(e.verdict == "fails" for e in findings)
    return 1 if failed else 0


def _audit(args: argparse.Namespace) -> int:
    from .audit.report import audit_router

    if args.family is not None and args.router != "lsh":
        raise ValueError(f"`--family` applies to --router lsh only. Got --router {args.router}.")
    path = audit_router(
        f"lsh-{args.family or 'hyperplane'}" if args.router == "lsh" else args.router,
        args.out,
        input_dim=args.d,
        n_units=args.t,
        sparsity=args.s,
        width=args.width,
        capacity_factor=args.capacity_factor,
        random_state=args.seed,
    )
    print(path.read_text())
    print(f"wrote {path} and its PNG")
    return 0


class _Names(Sequence):
    """Names read from a registry when first needed: ``choices`` of the parser that would
    otherwise import every model (and scikit-learn) before ``dsn --help`` can answer."""

    def __init__(self, load: Callable[[], Iterable[str]]):
        self._load, self._names = load, None

    def _get(self) -> tuple[str, ...]:
        if self._names is None:
            self._names = tuple(self._load())
        return self._names

    def __getitem__(self, index):
        return self._get()[index]

    def __len__(self) -> int:
        return len(self._get())


def _router_names():
    from .model.routers import ROUTERS

    return ROUTERS


def _experiment_names():
    from .experiments.registry import EXPERIMENTS

    return [*EXPERIMENTS, "all"]


def _family_names():
    from .lsh.families import FAMILIES

    return FAMILIES


class _DefaultsShown(argparse.ArgumentDefaultsHelpFormatter):
    """Defaults in ``--help``, except a flag's (off) and an absent value's (None)."""

    def _get_help_string(self, action: argparse.Action) -> str:
        if action.default in (None, False) or "default" in (action.help or ""):
            return action.help or ""
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command (registries are read only when a
    sub-command's arguments are checked or shown)."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="dsn", description="Data-dependent sparse networks: simulate and check."
    )
    parser.add_argument("--version", action="version", version=f"dsn {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name,
            help=text,
            description=text,
            formatter_class=_DefaultsShown,
        )

    p = command("inspect", "route two nearby inputs through a random DSM")
    p.add_argument(
        "--router",
        default="switch",
        choices=_Names(_router_names),
        metavar="ROUTER",  # a metavar: argparse would otherwise list the choices at once
        help="one of %(choices)s",
    )
    p.add_argument("--d", type=int, default=8, help="input dimension d")
    p.add_argument("--t", type=int, default=64, help="width t of the sparse layer")
    p.add_argument("--s", type=int, default=4, help="sparsity s")
    p.add_argument("--step", type=float, default=1e-3, help="distance of the second input")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--png", default=None, help="save the active sub-DAG to this PNG")
    p.set_defaults(func=_inspect)
    p = command("bounds", "evaluate the paper's bounds (Theorems 4.1, 4.3, Eq. 1)")
    p.add_argument("--d", type=int, default=64, help="input dimension d")
    p.add_argument("--k", type=int, default=3, help="subspace dimension k")
    p.add_argument("--L", type=float, default=1.0, help="Lipschitz constant L")
    p.add_argument("--eps", type=float, default=0.05, help="uniform error eps")
    p.add_argument("--latex", action="store_true", help="print expressions as LaTeX")
    p.add_argument("--json", default=None, help="also write the table to this JSON file")
    p.set_defaults(func=_bounds)
    p = command("reproduce", "reproduce the paper's figures and tables")
    p.add_argument(
        "experiments",
        nargs="+",
        choices=_Names(_experiment_names),
        metavar="EXPERIMENT",
        help="one or more of %(choices)s",
    )
    p.add_argument(
        "--quick", action="store_true", help="small sizes and few tasks: a preview of the full run"
    )
    p.add_argument("--seeds", type=int, default=3, help="seeds per point")
    p.add_argument(
        "--out",
        default="out",
        help="output folder (created if missing, its parent must exist)",
    )
    p.add_argument(
        "--jobs",
        type=int,
        default=-1,
        help="worker processes, joblib's convention: -1 all cores, -2 all but one",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="rerun finished tasks; replace a run of another mode or seed count in --out",
    )
    p.add_argument(
        "--dask",
        default=None,
        metavar="ADDRESS",
        help="run on this Dask scheduler (needs the 'dask' extra)",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.add_argument(
        "--render-only",
        action="store_true",
        help="redraw figures and REPORT.md from the records in --out (mode and seeds are "
        "read from its run.json)",
    )
    p.set_defaults(func=_reproduce)
    p = command("check", "check the paper's claims and print the evidence")
    p.add_argument(
        "--claim", action="append", default=None, help="a claim name (repeatable; default: all)"
    )
    size = p.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small trials (default)")
    size.add_argument("--full", action="store_true", help="larger trials, smaller eps")
    p.add_argument("--json", default=None, help="also write the evidence to this JSON file")
    p.add_argument("--list", action="store_true", help="name every claim and finding, and exit")
    p.add_argument(
        "--records",
        default=None,
        metavar="DIR",
        help="judge the Section 5 claims on the fig4 records of a `dsn reproduce` folder",
    )
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=_check)
    p = command("audit", "locality, balance and capacity of a router")
    p.add_argument(
        "--router",
        required=True,
        choices=_Names(_router_names),
        metavar="ROUTER",
        help="one of %(choices)s (the names of `dsn inspect` and DSM.random)",
    )
    p.add_argument(
        "--family",
        default=None,
        choices=_Names(_family_names),
        metavar="FAMILY",
        help="the hash family of --router lsh: one of %(choices)s (None: hyperplane)",
    )
    p.add_argument("--d", type=int, default=8, help="input dimension d")
    p.add_argument("--t", type=int, default=256, help="units t")
    p.add_argument("--s", type=int, default=4, help="sparsity s (LSH: tables)")
    p.add_argument("--width", type=float, default=0.5, help="Euclidean LSH slab width")
    p.add_argument(
        "--capacity-factor",
        type=float,
        default=None,
        help="Switch expert capacity factor (None: dropless)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="audit", help="output folder")
    p.set_defaults(func=_audit)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``dsn`` console command."""
    args = build_parser().parse_args(argv)

    def note(message, *_args, **_kwargs):  # a warning is one line, not a source excerpt
        print(f"dsn {args.command}: note: {message}", file=sys.stderr)

    try:
        with warnings.catch_warnings():
            warnings.showwarning = note
            return args.func(args)
    except ValueError as exc:
        print(f"dsn {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f" {exc.filename!r}" if exc.filename else ""
        print(f"dsn {args.command}: error: cannot write{where}: {exc.strerror}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        kept = ""
        if args.command == "reproduce":
            records = Path(args.out) / "records"
            n = sum(1 for _ in records.glob("*/*.json")) if records.is_dir() else 0
            kept = f"; {n} finished task records kept in {records} (rerun to resume)"
        print(f"dsn {args.command}: interrupted{kept}", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
