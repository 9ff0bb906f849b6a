#!/usr/bin/env python3
"""Reference values for aiwb's drift tests, computed with numpy and scipy.

  drift_reference.py report BASELINE CURRENT [--test COL=T]... [--ks-method M] [--js-base B]
      Reads both CSV files (.gz too) with the rules of docs/drift.md (missing
      tokens, numeric when at most 10% of the present values fail to parse)
      and prints, per column and test, the statistic and p-value scipy gives,
      as JSON: {"columns": {COL: {TEST: {"statistic": x, "p_value": p}}}}.
      Without --test every applicable test runs on every column.
  drift_reference.py compare AIWB_JSON REFERENCE_JSON
      Checks `aiwb drift report --json` against `report` output: statistics to
      1e-9 (relative above 1), p-values to 1e-6 relative (both below 1e-300
      count as equal). Prints TAP lines; exit 1 on a difference.
  drift_reference.py fixtures
      Prints tests/data/drift/stats_reference.json: synthetic cases (ties,
      tiny, identical, disjoint samples, both KS methods) and grids of the
      special functions, for tests/unit/test_drift_stats.c.

scipy 1.10 (Debian bookworm's python3-scipy) is the reference.
"""
import csv
import gzip
import io
import json
import math
import sys

import numpy as np
from scipy import special, stats
from scipy.spatial import distance

MISSING = {"", "?", "NA", "N/A", "n/a", "NaN", "nan", "-nan", "-NaN", "null", "NULL", "None", "<NA>", "#N/A", "#NA"}
PSI_EPS = 1e-4
NUMERIC_TESTS = ["ks", "wasserstein", "psi", "jensenshannon", "chisquare", "z", "linf"]
CATEGORICAL_TESTS = ["psi", "jensenshannon", "chisquare", "z", "linf"]


def open_text(path):
    if path.endswith(".gz"):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")


def as_number(s):
    try:
        v = float(s)
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def read_columns(path):
    with open_text(path) as f:
        rows = list(csv.reader(f))
    header = rows[0]
    cols = {h: [] for h in header}
    for r in rows[1:]:
        if len(r) != len(header) or r == []:
            continue
        for h, v in zip(header, r):
            v = v.strip(" \t")
            cols[h].append(None if v in MISSING else v)
    out = {}
    for h, vals in cols.items():
        present = [v for v in vals if v is not None]
        nums = [as_number(v) for v in present]
        nnum = sum(x is not None for x in nums)
        if present and nnum > 0 and (len(present) - nnum) * 10 <= len(present):
            out[h] = ("numeric", np.array([x for x in nums if x is not None], dtype=float))
        elif present:
            out[h] = ("categorical", present)
    return out


def label_counts(kind, a, b):
    """Aligned counts over the union of values: numbers sorted by value, text by code point."""
    if kind == "numeric":
        keys = np.unique(np.concatenate([a, b]))
        ra = np.array([np.sum(a == k) for k in keys], dtype=float)
        rb = np.array([np.sum(b == k) for k in keys], dtype=float)
        return ra, rb
    keys = sorted(set(a) | set(b))
    ca, cb = {}, {}
    for v in a:
        ca[v] = ca.get(v, 0) + 1
    for v in b:
        cb[v] = cb.get(v, 0) + 1
    return (np.array([ca.get(k, 0) for k in keys], dtype=float), np.array([cb.get(k, 0) for k in keys], dtype=float))


def psi_numeric(a, b):
    edges = np.unique(np.quantile(np.sort(a), np.arange(1, 10) / 10))
    ra = np.bincount(np.searchsorted(edges, a, side="left"), minlength=len(edges) + 1) / len(a)
    rb = np.bincount(np.searchsorted(edges, b, side="left"), minlength=len(edges) + 1) / len(b)
    return psi_shares(ra, rb)


def psi_shares(ra, rb):
    ra = np.where(ra == 0, PSI_EPS, ra)
    rb = np.where(rb == 0, PSI_EPS, rb)
    return float(np.sum((rb - ra) * np.log(rb / ra)))


def run_test(kind, test, a, b, ks_method="auto", js_base=None):
    if test == "ks":
        r = stats.ks_2samp(a, b, method=ks_method)
        return float(r.statistic), float(r.pvalue)
    if test == "wasserstein":
        return float(stats.wasserstein_distance(a, b) / max(np.std(a), 0.001)), None
    if test == "psi":
        if kind == "numeric":
            return psi_numeric(a, b), None
        ra, rb = label_counts(kind, a, b)
        return psi_shares(ra / ra.sum(), rb / rb.sum()), None
    if test == "jensenshannon":
        if kind == "numeric" and len(np.unique(a)) > 20:
            edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
            ra, rb = np.histogram(a, edges)[0], np.histogram(b, edges)[0]
        else:
            ra, rb = label_counts(kind, a, b)
        return float(distance.jensenshannon(ra, rb, base=js_base)), None
    ra, rb = label_counts(kind, a, b)
    if test == "chisquare":
        if len(ra) < 2:
            return 0.0, 1.0
        r = stats.chi2_contingency(np.array([ra, rb]))
        return float(r[0]), float(r[1])
    if test == "z":
        n1, n2 = ra.sum(), rb.sum()
        p1, p2 = ra[0] / n1, rb[0] / n2
        pool = (p1 * n1 + p2 * n2) / (n1 + n2)
        den = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
        if den == 0:
            return 0.0, 1.0
        z = (p1 - p2) / den
        return float(z), float(2 * stats.norm.sf(abs(z)))
    if test == "linf":
        if kind == "numeric":
            return float(stats.ks_2samp(a, b).statistic), None
        return float(np.max(np.abs(ra / ra.sum() - rb / rb.sum()))), None
    raise ValueError(test)


def cmd_report(args):
    base, cur = args[0], args[1]
    tests, ks_method, js_base = {}, "auto", None
    i = 2
    while i < len(args):
        if args[i] == "--test":
            col, t = args[i + 1].rsplit("=", 1)
            tests.setdefault(col, []).append(t)
        elif args[i] == "--ks-method":
            ks_method = args[i + 1]
        elif args[i] == "--js-base":
            js_base = float(args[i + 1])
        i += 2
    ref, now = read_columns(base), read_columns(cur)
    out = {}
    for col, (kind, a) in ref.items():
        if col not in now or now[col][0] != kind:
            continue
        b = now[col][1]
        wanted = tests.get(col, NUMERIC_TESTS if kind == "numeric" else CATEGORICAL_TESTS) if tests else (
            NUMERIC_TESTS if kind == "numeric" else CATEGORICAL_TESTS)
        if tests and col not in tests:
            continue
        res = {}
        for t in wanted:
            s, p = run_test(kind, t, a, b, ks_method, js_base)
            res[t] = {"statistic": s, "p_value": p}
        out[col] = res
    json.dump({"columns": out}, sys.stdout, indent=1)
    print()


def close(got, want, rel, floor=0.0):
    if want is None:
        return got is None
    if got is None:
        return False
    if abs(want) < floor and abs(got) < floor:
        return True
    return abs(got - want) <= rel * max(1.0, abs(want)) if rel == 1e-9 else abs(got - want) <= rel * abs(want)


def cmd_compare(args):
    got = json.load(open(args[0]))
    want = json.load(open(args[1]))["columns"]
    n, bad = 0, 0
    by_name = {c["name"]: c for c in got["columns"]}
    for col, tests in want.items():
        for t, ref in tests.items():
            c = by_name.get(col)
            n += 1
            if c is None or c["test"] != t:
                bad += 1
                print(f"not ok {n} - {col} {t}: aiwb ran {c and c['test']}")
                continue
            ok = close(c["statistic"], ref["statistic"], 1e-9) and close(c["p_value"], ref["p_value"], 1e-6, 1e-300)
            if ok:
                print(f"ok {n} - {col} {t} statistic {c['statistic']!r} p {c['p_value']!r}")
            else:
                bad += 1
                print(f"not ok {n} - {col} {t}: aiwb {c['statistic']!r} p {c['p_value']!r}, "
                      f"scipy {ref['statistic']!r} p {ref['p_value']!r}")
    return 1 if bad else 0


def cmd_fixtures():
    rng = np.random.default_rng(20111)
    cases = []

    def add(name, a, b, methods=("auto",)):
        a = np.asarray(a, dtype=float)
        b = np.asarray(b, dtype=float)
        for m in methods:
            r = stats.ks_2samp(a, b, method=m)
            edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
            cases.append({
                "name": name, "method": m, "a": a.tolist(), "b": b.tolist(),
                "ks_statistic": float(r.statistic), "ks_p_value": float(r.pvalue),
                "wasserstein": float(stats.wasserstein_distance(a, b)), "std_a": float(np.std(a)),
                "psi": psi_numeric(a, b),
                "js_sturges": float(distance.jensenshannon(np.histogram(a, edges)[0], np.histogram(b, edges)[0])),
                "js_sturges_base2": float(distance.jensenshannon(np.histogram(a, edges)[0],
                                                                  np.histogram(b, edges)[0], base=2)),
            })

    add("identical", [1, 2, 3, 4, 5], [1, 2, 3, 4, 5])
    add("constant equal", [7] * 12, [7] * 30)
    add("disjoint", range(20), range(100, 137), ("auto", "exact", "asymp"))
    add("disjoint square", range(50), range(50, 100), ("auto", "asymp"))
    add("one value each", [1.5], [2.5])
    add("tiny", [0.1, 0.4, 0.3], [0.2, 0.9])
    add("ties small", [1, 1, 2, 2, 2, 3, 5], [1, 2, 2, 3, 3, 3, 4, 5, 5])
    add("ties integers", rng.integers(0, 8, 300), rng.integers(0, 9, 410), ("auto", "asymp"))
    add("normal shift", rng.normal(0, 1, 700), rng.normal(0.2, 1, 650), ("auto", "asymp"))
    add("equal sizes", rng.normal(0, 1, 500), rng.normal(0.1, 1.1, 500), ("auto", "asymp"))
    add("unequal exact", rng.exponential(1, 120), rng.exponential(1.3, 4000))
    add("large asymp", rng.normal(0, 1, 12000), rng.normal(0.02, 1, 11000))
    add("large vs tiny", rng.normal(0, 1, 15000), rng.normal(0.3, 1, 40))
    add("large vs small", rng.normal(0, 1, 20000), rng.normal(0.1, 1, 300))
    add("negative zero", [-0.0, 0.0, 1.0, -1.0], [0.0, 0.0, 2.0])

    cats = []

    def add_counts(name, ra, rb):
        ra = np.asarray(ra, dtype=float)
        rb = np.asarray(rb, dtype=float)
        c = {"name": name, "ref": ra.tolist(), "cur": rb.tolist(),
             "js": float(distance.jensenshannon(ra, rb)),
             "js_base2": float(distance.jensenshannon(ra, rb, base=2)),
             "psi": psi_shares(ra / ra.sum(), rb / rb.sum()),
             "linf": float(np.max(np.abs(ra / ra.sum() - rb / rb.sum())))}
        if np.count_nonzero(ra + rb) >= 2:
            r = stats.chi2_contingency(np.array([ra, rb]))
            c.update(chi2_statistic=float(r[0]), chi2_p_value=float(r[1]), chi2_dof=int(r[2]))
        else:
            c.update(chi2_statistic=0.0, chi2_p_value=1.0, chi2_dof=0)
        n1, n2 = ra.sum(), rb.sum()
        p1, p2 = ra[0] / n1, rb[0] / n2
        pool = (p1 * n1 + p2 * n2) / (n1 + n2)
        den = math.sqrt(pool * (1 - pool) * (1 / n1 + 1 / n2))
        c["z_p_value"] = 1.0 if den == 0 else float(2 * stats.norm.sf(abs((p1 - p2) / den)))
        cats.append(c)

    add_counts("two categories", [30, 70], [45, 55])
    add_counts("yates small", [3, 9], [7, 2])
    add_counts("five categories", [10, 20, 30, 25, 15], [12, 18, 40, 20, 10])
    add_counts("new category", [50, 50, 0], [40, 40, 20])
    add_counts("identical", [5, 6, 7], [5, 6, 7])
    add_counts("constant", [10], [25])
    add_counts("large", [10000, 2000, 300, 45], [9000, 2600, 320, 80])

    special_cases = []
    for n in (1, 2, 5, 10, 50, 140, 141, 500, 3000, 20000, 200000, 1500000):
        for x in (1e-4, 0.003, 0.01, 0.05, 0.1, 0.2, 0.35, 0.5, 0.7, 0.95):
            special_cases.append({"f": "smirnov", "n": n, "x": x, "v": float(special.smirnov(n, x))})
            special_cases.append({"f": "kolmogorov", "n": n, "x": x, "v": float(stats.kstwo.sf(x, n))})
    for k in (1, 2, 3, 10, 57, 1000):
        for x in (0.0, 0.01, 0.5, 1.0, 3.84, 10.0, 50.0, 200.0, 2000.0):
            special_cases.append({"f": "chi2", "k": k, "x": x, "v": float(stats.chi2.sf(x, k))})
    json.dump({"numeric": cases, "counts": cats, "special": special_cases}, sys.stdout, separators=(",", ":"))
    print()


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "report":
        cmd_report(args)
    elif cmd == "compare":
        sys.exit(cmd_compare(args))
    elif cmd == "fixtures":
        cmd_fixtures()
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
