"""A synthetic knowledge base for bench/kb_big.sh: N documents of 20 to 60
words drawn from a 50,000-word vocabulary with Zipf-distributed frequencies
(s = 1.07, as word counts in English text), as JSONL, and a query set of 50
queries per class: rare (two words of rank 5,000..50,000), mid (rank
100..1,000), common (two of the 10 most frequent words), mixed (one common,
one rare) and long (four words across the ranks). Deterministic (fixed seed).

    kb_zipf.py N CORPUS.jsonl QUERIES.jsonl
"""
import json, sys
import numpy as np
n = int(sys.argv[1]); out = sys.argv[2]; qout = sys.argv[3]
V = 50000
rng = np.random.default_rng(20261207)
C, Vw = "bcdfghjklmnprstvz", "aeiou"
def word(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i, len(C) * len(Vw))
        s += C[r // len(Vw)] + Vw[r % len(Vw)]
    return s + "x"
vocab = [word(i) for i in range(V)]
p = 1.0 / np.arange(1, V + 1) ** 1.07
p /= p.sum()
lens = rng.integers(20, 61, size=n)
words = rng.choice(V, size=int(lens.sum()), p=p)
with open(out, "w") as f:
    o = 0
    for d in range(n):
        L = lens[d]
        f.write(json.dumps({"id": "d%d" % d, "text": " ".join(vocab[w] for w in words[o:o + L])}) + "\n")
        o += L
classes = {"rare": (5000, 50000, 2), "mid": (100, 1000, 2), "common": (0, 10, 2), "mixed": None, "long": None}
with open(qout, "w") as f:
    for cls in ("rare", "mid", "common", "mixed", "long"):
        for i in range(50):
            if cls == "mixed":
                t = [vocab[rng.integers(0, 10)], vocab[rng.integers(5000, 50000)]]
            elif cls == "long":
                t = [vocab[rng.integers(0, 10)], vocab[rng.integers(10, 100)], vocab[rng.integers(100, 1000)], vocab[rng.integers(1000, 20000)]]
            else:
                lo, hi, k = classes[cls]
                t = [vocab[x] for x in rng.choice(np.arange(lo, hi), size=k, replace=False)]
            f.write(json.dumps({"class": cls, "text": " ".join(t)}) + "\n")
