"""Terminal tables that fit the width: nothing is ever cut.

``show`` prints a table as it is when it fits the console; otherwise with long names
(policies, dotted field paths) abbreviated and a legend under it; otherwise stacked,
one block per row (its key cells as a heading, then one line per column).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

#: names up to this long are never abbreviated
_SHORT = 8


def abbreviations(names: Sequence[str]) -> dict[str, str]:
    """A short unique code for each long name: a dotted path's last part, a snake_case name's initials."""
    codes: dict[str, str] = {}
    for name in dict.fromkeys(names):
        if len(name) <= _SHORT:
            continue
        if "." in name:
            code = name.rsplit(".", 1)[-1]
        elif "_" in name:
            code = "".join(w[0] for w in name.split("_") if w)
        else:
            code = name[:4]
        base, k = code, 2
        while code in codes.values() or code in names:
            code, k = f"{base}{k}", k + 1
        codes[name] = code
    return codes


def _build(title: str, header: Sequence[str], rows: Sequence[Sequence[str]], left: int, sections: set[int]) -> Table:
    t = Table(title=title, title_justify="left")
    for i, h in enumerate(header):
        t.add_column(h, justify="left" if i < left else "right", no_wrap=True)
    for i, r in enumerate(rows):
        t.add_row(*r, end_section=i in sections)
    return t


def _fits(con: Console, t: Table) -> bool:
    """Whether the table's natural width (unconstrained by the console) fits the console."""
    return Measurement.get(con, con.options.update_width(1_000_000), t).maximum <= con.width


def show(con: Console, title: str, header: Sequence[str], rows: Sequence[Sequence[str]], *, keys: int = 1,
         names: Sequence[str] = (), sections: Sequence[int] = ()) -> None:
    """Print a table that fits ``con``: as is, else with ``names`` and dotted headers abbreviated (legend), else stacked.

    ``keys``: how many leading columns identify a row (left-aligned; the heading of a stacked block);
    ``sections``: rows after which a rule is drawn.
    """
    rows = [[str(c) for c in r] for r in rows]
    t = _build(title, header, rows, keys, set(sections))
    if _fits(con, t):
        con.print(t)
        return
    codes = abbreviations([*names, *(h for h in header if "." in h)])
    short_header = [codes.get(h, h) for h in header]
    short_rows = [[codes.get(c, c) for c in r] for r in rows]
    legend = "where " + "; ".join(f"{c} = {n}" for n, c in codes.items()) if codes else ""
    t = _build(title, short_header, short_rows, keys, set(sections))
    if _fits(con, t):
        con.print(t)
        if legend:
            con.print(legend)
        return
    stacked = Table(title=title, title_justify="left", show_header=False)
    stacked.add_column(justify="left", overflow="fold")
    stacked.add_column(justify="right", overflow="fold")
    for r in short_rows:
        stacked.add_row(" · ".join(f"{h} {c}" if h else c for h, c in zip(short_header[:keys], r[:keys])), "",
                        style="bold")
        for h, c in zip(short_header[keys:], r[keys:]):
            stacked.add_row("  " + h, c)
        stacked.add_section()
    con.print(stacked)
    if legend:
        con.print(legend)
