#!/usr/bin/env python3
"""Data and the numpy/scipy reference for bench/drift_bench.sh.

  drift_bench.py make ROWS OUT_BASELINE OUT_CURRENT
      Two CSV files of ROWS rows x 10 numeric + 2 categorical columns (seeded):
      the current one shifted in 4 numeric and 1 categorical column.
  drift_bench.py reference BASELINE CURRENT
      Reads both with numpy.loadtxt (numpy's C parser) and computes what
      `aiwb drift report` computes by default for > 1,000 rows: per numeric
      column the Wasserstein distance / max(std, 0.001) and the L-inf (KS)
      statistic, per categorical column the Jensen-Shannon distance of the
      category shares and their L-inf. Prints one JSON line with its wall time.
  drift_bench.py measure OUT CMD...
      Runs CMD with stdout to OUT; prints "wall_s=X cpu_s=Y peak_rss_mb=Z rc=N"
      (os.wait4: the child's own CPU time and ru_maxrss).
  drift_bench.py agree AIWB_JSON REFERENCE_JSON
      The largest relative difference between aiwb's statistic / L-inf and the
      reference's, over all columns.
"""
import os
import json
import sys
import time

import numpy as np

NUM = 10
CAT = 2


def make(rows, base, cur):
    rng = np.random.default_rng(2011)
    for path, shift in ((base, 0.0), (cur, 1.0)):
        with open(path, "w") as f:
            f.write(",".join([f"n{i}" for i in range(NUM)] + [f"c{i}" for i in range(CAT)]) + "\n")
            chunk = 100000
            for start in range(0, rows, chunk):
                k = min(chunk, rows - start)
                cols = []
                for i in range(NUM):
                    mu = shift * 0.3 if i < 4 else 0.0
                    cols.append(np.char.mod("%.6f", rng.normal(mu + i, 1 + i * 0.1, k)))
                letters = np.array(list("ABCDEFGH"))
                p0 = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05])
                p1 = p0[::-1].copy() if shift else p0
                cols.append(letters[rng.choice(8, k, p=p1)])
                cols.append(np.char.add("city_", np.char.mod("%d", rng.integers(0, 50, k))))
                lines = [",".join(r) for r in zip(*[c.tolist() for c in cols])]
                f.write("\n".join(lines) + "\n")


def reference(base, cur):
    from scipy import stats
    from scipy.spatial import distance
    t0 = time.monotonic()
    out = {}
    arrays = []
    for path in (base, cur):
        nums = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(NUM), dtype=float)
        cats = np.loadtxt(path, delimiter=",", skiprows=1, usecols=range(NUM, NUM + CAT), dtype=str)
        arrays.append((nums, cats))
    (an, ac), (bn, bc) = arrays
    for i in range(NUM):
        a, b = an[:, i], bn[:, i]
        w = stats.wasserstein_distance(a, b) / max(np.std(a), 0.001)
        linf = stats.ks_2samp(a, b).statistic
        out[f"n{i}"] = (w, linf)
    for i in range(CAT):
        keys, inv = np.unique(np.concatenate([ac[:, i], bc[:, i]]), return_inverse=True)
        ra = np.bincount(inv[:len(ac)], minlength=len(keys))
        rb = np.bincount(inv[len(ac):], minlength=len(keys))
        js = distance.jensenshannon(ra, rb)
        linf = np.max(np.abs(ra / ra.sum() - rb / rb.sum()))
        out[f"c{i}"] = (js, linf)
    print(json.dumps({"wall_s": time.monotonic() - t0, "columns": out}))


def measure(out, cmd):
    t0 = time.monotonic()
    with open(out, "wb") as f:
        pid = os.fork()
        if pid == 0:
            os.dup2(f.fileno(), 1)
            os.execvp(cmd[0], cmd)
        _, status, ru = os.wait4(pid, 0)
    wall = time.monotonic() - t0
    print(f"wall_s={wall:.2f} cpu_s={ru.ru_utime + ru.ru_stime:.2f} peak_rss_mb={ru.ru_maxrss / 1024:.0f} "
          f"rc={os.waitstatus_to_exitcode(status)}")


def agree(aiwb_json, ref_json):
    a = {c["name"]: c for c in json.load(open(aiwb_json))["columns"]}
    text = open(ref_json).read()
    r = json.loads(text[text.index("{"):])["columns"]
    worst = 0.0
    for name, (stat, linf) in r.items():
        for got, want in ((a[name]["statistic"], stat), (a[name]["linf"], linf)):
            worst = max(worst, abs(got - want) / max(abs(want), 1e-300))
    print(f"{worst:.1e}")


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(int(sys.argv[2]), sys.argv[3], sys.argv[4])
    elif sys.argv[1] == "reference":
        reference(sys.argv[2], sys.argv[3])
    elif sys.argv[1] == "measure":
        measure(sys.argv[2], sys.argv[3:])
    elif sys.argv[1] == "agree":
        agree(sys.argv[2], sys.argv[3])
