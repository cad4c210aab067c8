"""`relsim customers`: the reader (and its bad files), the statistics on a hand-made file, the sBG on a
contractual file, and the command end to end on the CDNOW sample."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from sim.cli import app
from sim.customers import btyd as B
from sim.customers import stats as S
from sim.customers.figures import make_figures
from sim.customers.reader import CustomerFileError, read_customers

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "cdnow_sample"

#: four customers over three months (Jan-Mar 2023); every statistic below is worked out by hand
HAND = """customer_id,date,revenue,quantity,segment,channel
A,2023-01-05,100,1,big,web
A,2023-01-20,50,1,big,phone
A,2023-03-02,30,2,big,web
B,2023-01-10,20,1,small,web
C,2023-02-14,200,4,big,phone
C,2023-03-01,100,2,big,web
D,2023-02-28,10,1,small,web
"""
#: Fader & Hardie (2007): survivors of 1,000 high-end customers at the start of years 1..13
HIGH_END = [1000, 869, 743, 653, 593, 551, 517, 491, 468, 445, 427, 409, 394]


def invoke(*args):
    return CliRunner().invoke(app, ["customers", *[str(a) for a in args]])


def one_error_line(res) -> str:
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.output
    return lines[0]


def write(tmp_path: Path, text: str, name: str = "c.csv") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# ---- the statistics on the hand-made file ----------------------------------------------------------
@pytest.fixture()
def hand(tmp_path):
    data = read_customers(write(tmp_path, HAND))
    return data, S.customer_table(data.rows, 2)


def test_reader_maps_dates_to_calendar_months(hand):
    data, _ = hand
    assert data.period == "month" and str(data.origin.date()) == "2023-01-01"
    assert data.rows["period"].tolist() == [0, 0, 2, 0, 1, 2, 1]
    assert data.kind == "transactions"  # A skips February
    assert data.period_end_day(1) == 31 + 28 - 1  # the last day of February, days since 1 January
    assert list(data.period_start([0, 1, 2])) == ["2023-01-01", "2023-02-01", "2023-03-01"]


def test_customer_table_by_hand(hand):
    _, c = hand
    c = c.set_index("customer_id")
    assert c["cohort"].to_dict() == {"A": 0, "B": 0, "C": 1, "D": 1}
    assert c["purchases"].to_dict() == {"A": 3, "B": 1, "C": 2, "D": 1}
    assert c["active_periods"].to_dict() == {"A": 2, "B": 1, "C": 2, "D": 1}
    assert c["revenue"].to_dict() == {"A": 180, "B": 20, "C": 300, "D": 10}
    assert c["tenure"].to_dict() == {"A": 3, "B": 1, "C": 2, "D": 1}
    assert c["censored"].to_dict() == {"A": True, "B": False, "C": True, "D": False}
    assert c["segment"].to_dict() == {"A": "big", "B": "small", "C": "big", "D": "small"}


def test_cohorts_and_retention_by_hand(hand):
    data, c = hand
    co = S.cohort_table(c)
    assert co.to_dict("list") == {"cohort": [0, 1], "customers": [2, 2], "share": [0.5, 0.5], "revenue": [200, 310]}
    r = S.retention_table(data.rows, c, 2)
    assert [tuple(x) for x in r[["cohort", "age", "cohort_size", "active"]].to_numpy()] == [
        (0, 0, 2, 2), (0, 1, 2, 0), (0, 2, 2, 1), (1, 0, 2, 2), (1, 1, 2, 1)]
    assert r["retention"].tolist() == [1.0, 0.0, 0.5, 1.0, 0.5]


def test_retention_and_revenue_by_age_by_hand(hand):
    data, c = hand
    a = S.by_age_table(data.rows, c, 2)
    assert a["cohorts"].tolist() == [2, 2, 1]
    assert a["cohort_customers"].tolist() == [4, 4, 2]
    assert a["active_customers"].tolist() == [4, 1, 1]
    assert a["retention"].tolist() == [1.0, 0.25, 0.5]
    # age 0: A 150 (January), B 20, C 200, D 10; age 1: C 100 (March); age 2: A 30 (March)
    assert a["revenue"].tolist() == [380, 100, 30]
    assert a["revenue_per_customer"].tolist() == [95, 25, 15]
    assert a["revenue_per_active_customer"].tolist() == [95, 100, 30]


def test_frequency_tenure_concentration_segments_by_hand(hand):
    data, c = hand
    f = S.frequency_table(c)
    assert f.to_dict("list") == {"purchases": [1, 2, 3], "customers": [2, 1, 1], "share": [0.5, 0.25, 0.25]}
    t = S.tenure_table(c)
    assert t.to_dict("list") == {"tenure": [1, 2, 3], "customers": [2, 1, 1], "churned": [2, 0, 0],
                                 "censored": [0, 1, 1]}
    k = S.concentration(c["revenue"])
    assert k["top20_customers"] == 1  # ceil(0.2 * 4)
    assert k["top20_share"] == pytest.approx(300 / 510)
    assert k["hhi"] == pytest.approx((180**2 + 20**2 + 300**2 + 10**2) / 510**2)
    assert k["effective_customers"] == pytest.approx(1 / k["hhi"])
    lz = S.lorenz_table(c["revenue"])
    assert lz["revenue_share"].tolist() == pytest.approx([0, 300 / 510, 480 / 510, 500 / 510, 1.0])
    seg = S.segment_table(data.rows, c).set_index(["dimension", "value"])
    assert seg.loc[("segment", "big"), ["customers", "purchases", "revenue"]].tolist() == [2, 5, 480]
    assert seg.loc[("segment", "small"), ["customers", "purchases", "revenue"]].tolist() == [2, 2, 30]
    assert seg.loc[("channel", "web"), ["customers", "purchases", "revenue"]].tolist() == [4, 5, 260]
    assert seg.loc[("channel", "phone"), ["customers", "purchases", "revenue"]].tolist() == [2, 2, 250]
    s = S.summary(data.rows, c, 2)
    assert (s["customers"], s["purchases"], s["revenue"], s["periods"]) == (4, 7, 510, 3)
    assert s["repeat_share"] == 0.5 and s["mean_tenure"] == 1.75


def test_weeks_are_seven_day_blocks_from_the_first_date(tmp_path):
    data = read_customers(write(tmp_path, HAND), period="week")
    # A: 5 Jan (day 0), 20 Jan (day 15), 2 Mar (day 56); B: 10 Jan (day 5); C: 14 Feb, 1 Mar; D: 28 Feb
    assert data.rows["period"].tolist() == [0, 2, 8, 0, 5, 7, 7]


# ---- contractual data -------------------------------------------------------------------------------
def _contractual_csv(tmp_path: Path, survivors: list[int]) -> Path:
    """One row per customer per year subscribed: of 1,000 customers acquired in year 1, survivors[t] are
    still subscribed in year t+1."""
    rows = []
    for t in range(len(survivors)):
        for i in range(survivors[t]):
            rows.append(f"c{i},{t + 1},12.5")
    return write(tmp_path, "customer_id,period,revenue\n" + "\n".join(rows) + "\n", "subs.csv")


def test_contractual_file_is_detected_and_its_sbg_has_the_published_estimates(tmp_path):
    f = _contractual_csv(tmp_path, HIGH_END)
    data = read_customers(f)
    assert data.kind == "contractual" and data.period == "integer"
    out = tmp_path / "out"
    res = invoke(f, "--until", 8, "--out", out)  # years 1..8 = the paper's t = 0..7
    assert res.exit_code == 0, res.output
    p = pd.read_csv(out / "baseline_params.csv").set_index("parameter")["estimate"]
    assert p["alpha"] == pytest.approx(0.668, abs=0.0006) and p["beta"] == pytest.approx(3.806, abs=0.0006)
    b = pd.read_csv(out / "baseline.csv")
    cal = b[b["phase"] == "calibration"]
    assert cal["actual"].tolist() == HIGH_END[:8]
    assert cal["expected"].to_numpy() == pytest.approx(1000 * B.sbg_survival(p["alpha"], p["beta"], np.arange(8)))
    hold = b[b["phase"] == "holdout"]
    assert hold["period"].tolist() == list(range(9, 14)) and hold["actual"].tolist() == HIGH_END[8:]
    s7 = B.sbg_survival(p["alpha"], p["beta"], 7)
    assert hold["expected_conditional"].to_numpy() == pytest.approx(
        491 * B.sbg_survival(p["alpha"], p["beta"], 7 + np.arange(1, 6)) / s7)
    # retention curve of the only cohort = survivors / 1000
    r = pd.read_csv(out / "retention.csv")
    assert r["retention"].tolist() == pytest.approx([n / 1000 for n in HIGH_END])
    m = json.loads((out / "manifest.json").read_text())
    assert m["options"]["kind"] == "contractual" and m["baseline"]["model"] == "sbg"


def test_kind_can_be_forced_and_contractual_gaps_are_refused(tmp_path):
    f = write(tmp_path, HAND)
    assert read_customers(f, kind="contractual", period="quarter").kind == "contractual"  # no gap in quarters
    with pytest.raises(CustomerFileError, match="customer 'A' skips periods"):
        read_customers(f, kind="contractual")
    subs = _contractual_csv(tmp_path, [3, 2, 1])
    assert read_customers(subs, kind="transactions").kind == "transactions"


# ---- other shapes of good files ----------------------------------------------------------------------
def test_mapped_columns_whitespace_and_yyyymmdd_dates(tmp_path):
    f = write(tmp_path, " id  day  cds  dollars\n 0001 19970101  1  11.77\n 0002 19970112  5  77.00\n"
                        " 0001 19970301  2  20.00\n", "cd.txt")
    data = read_customers(f, columns={"customer_id": "id", "date": "day", "quantity": "cds", "revenue": "dollars"})
    assert data.rows["customer_id"].tolist() == ["0001", "0002", "0001"]
    assert data.rows["period"].tolist() == [0, 0, 2]
    assert data.rows["revenue"].tolist() == [11.77, 77.0, 20.0]
    assert data.columns == {"customer_id": "id", "date": "day", "revenue": "dollars", "quantity": "cds"}


def test_parquet_with_datetimes_reads_like_the_csv(tmp_path):
    csv = write(tmp_path, HAND)
    df = pd.read_csv(csv, parse_dates=["date"])
    pq = tmp_path / "c.parquet"
    df.to_parquet(pq)
    a, b = read_customers(csv), read_customers(pq)
    pd.testing.assert_frame_equal(a.rows, b.rows)


# ---- bad files: one line, exit 2, nothing written ------------------------------------------------
BAD = {
    "missing revenue": ("customer_id,date,amount\nA,2023-01-01,5\n", [], "column 'revenue' missing"),
    "missing mapped": ("customer_id,date,revenue\nA,2023-01-01,5\n", ["--revenue-col", "dollars"],
                       "column 'dollars' missing"),
    "missing date": ("customer_id,when,revenue\nA,2023-01-01,5\n", [], "column 'date' missing"),
    "bad date": ("customer_id,date,revenue\nA,2023-01-01,5\nB,2023-02-01,5\nC,2023-13-45,5\n", [],
                 "line 4: date '2023-13-45'"),
    "bad format": ("customer_id,date,revenue\nA,01/02/2023,5\nB,31/02/2023,5\n", ["--date-format", "%d/%m/%Y"],
                   "line 3: date '31/02/2023'"),
    "negative revenue": ("customer_id,date,revenue\nA,2023-01-01,5\nB,2023-01-02,-3.5\n", [],
                         "line 3: revenue -3.5 (column 'revenue') is negative"),
    "text revenue": ("customer_id,date,revenue\nA,2023-01-01,five\n", [], "line 2: revenue 'five'"),
    "negative quantity": ("customer_id,date,revenue,quantity\nA,2023-01-01,5,-1\n", [], "line 2: quantity -1"),
    "empty id": ("customer_id,date,revenue\nA,2023-01-01,5\n,2023-01-02,5\n", [], "line 3: customer_id is empty"),
    "bad period": ("customer_id,period,revenue\nA,1,5\nA,2.5,5\n", [], "line 3: period '2.5'"),
    "no rows": ("customer_id,date,revenue\n", [], "no rows"),
    "empty": ("", [], "empty file"),
    "ragged": ("customer_id,date,revenue\nA,2023-01-01,5\nB,2023-01-02,5,7,8\n", [], "line 3"),
    "bad period option": (HAND, ["--period", "fortnight"], "--period 'fortnight' is not allowed"),
    "bad kind": (HAND, ["--kind", "subscription"], "--kind 'subscription' is not allowed"),
    "until outside": (HAND, ["--until", "2024-05-01"], "--until '2024-05-01' (period 16) is not allowed"),
    "until not a date": (HAND, ["--until", "soon"], "--until 'soon' is not allowed"),
    "negative horizon": (HAND, ["--horizon", "-1"], "--horizon -1 is not allowed"),
    "gappy contractual": (HAND, ["--kind", "contractual"], "customer 'A' skips periods"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_file_is_one_line_exit_2_and_nothing_written(tmp_path, case):
    text, opts, needle = BAD[case]
    f = write(tmp_path, text)
    out = tmp_path / "out"
    line = one_error_line(invoke(f, *opts, "--out", out))
    assert needle in line, line
    assert str(f) in line or line.startswith("error: --"), line  # the file is named (options name themselves)
    assert not out.exists()


def test_parquet_errors_name_the_row(tmp_path):
    pq = tmp_path / "c.parquet"
    pd.DataFrame({"customer_id": ["A", "B", "C"], "date": pd.to_datetime(["2023-01-01"] * 3),
                  "revenue": [1.0, 2.0, -4.0]}).to_parquet(pq)
    out = tmp_path / "out"
    assert "row 3: revenue -4 (column 'revenue') is negative" in one_error_line(invoke(pq, "--out", out))
    assert not out.exists()


def test_missing_file_and_bad_parquet(tmp_path):
    out = tmp_path / "out"
    assert "no such file" in one_error_line(invoke(tmp_path / "nope.csv", "--out", out))
    bad = tmp_path / "x.parquet"
    bad.write_bytes(b"not parquet at all")
    assert "not a readable parquet file" in one_error_line(invoke(bad, "--out", out))
    assert not out.exists()


def test_an_existing_folder_is_kept_without_force(tmp_path):
    f = write(tmp_path, HAND)
    out = tmp_path / "out"
    assert invoke(f, "--out", out).exit_code == 0
    before = (out / "manifest.json").read_bytes()
    assert "results folder exists" in one_error_line(invoke(f, "--out", out))
    assert (out / "manifest.json").read_bytes() == before
    res = invoke(f, "--out", out, "--force", "--period", "week")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "manifest.json").read_text())["options"]["period"] == "week"


# ---- end to end on the CDNOW sample -----------------------------------------------------------------
@pytest.fixture(scope="module")
def cdnow(tmp_path_factory):
    out = tmp_path_factory.mktemp("cd") / "cdnow"
    res = invoke(SAMPLE / "transactions.csv", "--period", "week", "--until", "1997-09-30", "--out", out)
    assert res.exit_code == 0, res.output
    return out, res.stdout


def test_cdnow_end_to_end_writes_every_table_and_figure(cdnow):
    out, stdout = cdnow
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and m["kind"] == "customers"
    assert m["options"] == {"period": "week", "kind": "transactions", "until": 38, "horizon": 39,
                            "kind_reason": m["options"]["kind_reason"]}
    for name in m["files"]:
        assert (out / name).is_file(), name
    assert {Path(p).name for p in m["figures"]} == {"retention.png", "cohorts.png", "frequency.png",
                                                     "revenue_by_age.png", "concentration.png", "tenure.png",
                                                     "baseline.png"}
    for p in m["figures"]:
        assert (out / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    raw = pd.read_csv(SAMPLE / "transactions.csv")
    s = pd.read_csv(out / "summary.csv").iloc[0]
    assert s["customers"] == raw["customer_id"].nunique() and s["purchases"] == len(raw)
    assert s["revenue"] == pytest.approx(raw["revenue"].sum())
    assert f"{int(s['customers']):,} customers" in stdout
    c = pd.read_csv(out / "cohorts.csv")
    assert c["customers"].sum() == s["customers"] and c["period_start"].iloc[0] == "1997-01-01"
    # every cohort is 12 weeks of first purchases in the first quarter of 1997
    assert c["cohort"].max() <= 12


def test_cdnow_baseline_is_the_published_bgnbd_and_counts_the_authors_purchases(cdnow):
    out, stdout = cdnow
    p = pd.read_csv(out / "baseline_params.csv").set_index("parameter")["estimate"]
    for k, v in dict(r=0.243, alpha=4.414, a=0.793, b=2.426).items():
        assert p[k] == pytest.approx(v, abs=0.0006), k
    b = pd.read_csv(out / "baseline.csv")
    fhl = pd.read_csv(SAMPLE / "summary_fhl.csv")
    cal, hold = b[b["phase"] == "calibration"], b[b["phase"] == "holdout"]
    assert len(cal) == 39 and len(hold) == 39
    assert cal["actual"].sum() == fhl["x"].sum()  # the repeat purchases of weeks 1-39
    assert hold["expected_conditional"].notna().all() and cal["expected_conditional"].isna().all()
    m = json.loads((out / "manifest.json").read_text())
    e = m["baseline"]["errors"]
    assert e["actual_total"] == hold["actual"].sum()
    assert e["expected_total"] == pytest.approx(hold["expected_conditional"].sum())
    assert f"forecast {e['expected_total']:,.1f}" in stdout


def test_figures_are_drawn_from_the_written_tables(cdnow, tmp_path):
    out, _ = cdnow
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    before = (copy / "figures" / "retention.png").read_bytes()
    make_figures(copy)
    assert (copy / "figures" / "retention.png").read_bytes() == before  # same tables, same figure
    a = pd.read_csv(copy / "by_age.csv")
    a["retention"] = a["retention"] * 0.5
    a.to_csv(copy / "by_age.csv", index=False)
    make_figures(copy)
    assert (copy / "figures" / "retention.png").read_bytes() != before
    (copy / "tenure.csv").unlink()
    with pytest.raises(FileNotFoundError):
        make_figures(copy)


def test_a_file_too_small_for_the_baseline_still_gets_its_statistics(tmp_path):
    out = tmp_path / "out"
    res = invoke(write(tmp_path, HAND), "--out", out)
    assert res.exit_code == 0, res.output
    assert "baseline BG/NBD: not fitted (the likelihood has no maximum inside the parameter range" in \
        " ".join(res.stdout.split())
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "complete" and "skipped" in m["baseline"]
    assert not (out / "baseline.csv").exists() and not (out / "figures" / "baseline.png").exists()
    assert (out / "retention.csv").is_file() and (out / "figures" / "retention.png").is_file()
