"""``python -m sim.validation [--quick] [--out DIR] [--workers N]``: regenerate the validation report."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m sim.validation", description=__doc__)
    ap.add_argument("--quick", action="store_true", help="small settings (a few minutes); written to results/validation-quick unless --out")
    ap.add_argument("--out", default=None, help="folder for data/, figures/ and validation.md (default: docs/ and results/validation/)")
    ap.add_argument("--workers", type=int, default=None, help="worker processes (default: up to 2)")
    ap.add_argument("--only", action="append", default=[], help="run only this section (repeatable): wkh, commitment_trust, lifecycle, retention, sensitivity")
    a = ap.parse_args(argv)
    from .report import SECTIONS, build

    bad = [s for s in a.only if s not in dict(SECTIONS)]
    if bad:
        print(f"--only={bad[0]!r} is not allowed: expected one of {', '.join(dict(SECTIONS))}", file=sys.stderr)
        return 2
    if a.workers is not None and a.workers < 1:
        print(f"--workers={a.workers!r} is not allowed: expected an integer >= 1", file=sys.stderr)
        return 2
    path = build(quick=a.quick, out=a.out, workers=a.workers, only=tuple(a.only))
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
