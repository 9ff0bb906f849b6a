#!/usr/bin/env python3
"""Writes SageMaker endpoint data-capture lines (JSON Lines) from the demo's
drift CSVs (examples/drift), for tests/e2e/drift_watch.sh:

  reference.jsonl  the first 300 rows of reference.csv (no drift)
  current.jsonl    the first 300 rows of current.csv (drifted)

Each line is one captured request: the first nine columns are the endpoint
input (CSV, or JSON / BASE64 for every 7th and 11th row), `count` the output,
as the SageMaker docs show data capture. Times are one second apart."""
import base64, csv, json, os, sys

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.join(here, "..", "..", "..", "..")
for name, out, t0 in (("reference.csv", "reference.jsonl", 1735689600), ("current.csv", "current.jsonl", 1767225600)):
    with open(os.path.join(root, "examples", "drift", name), newline="") as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:301]
    with open(os.path.join(here, out), "w") as f:
        for i, r in enumerate(rows):
            inp = {"observedContentType": "text/csv", "mode": "INPUT", "data": ",".join(r[:9]), "encoding": "CSV"}
            if i % 7 == 3:
                inp = {"observedContentType": "application/json", "mode": "INPUT",
                       "data": json.dumps(dict(zip(head[:9], r[:9]))), "encoding": "JSON"}
            elif i % 11 == 5:
                inp["data"] = base64.b64encode(inp["data"].encode()).decode()
                inp["encoding"] = "BASE64"
            line = {"captureData": {"endpointInput": inp,
                                    "endpointOutput": {"observedContentType": "text/csv; charset=utf-8",
                                                       "mode": "OUTPUT", "data": r[9], "encoding": "CSV"}},
                    "eventMetadata": {"eventId": "%08x-0000-4000-8000-%012x" % (t0, i),
                                      "inferenceTime": __import__("time").strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                  __import__("time").gmtime(t0 + i))},
                    "eventVersion": "0"}
            f.write(json.dumps(line, separators=(",", ":")) + "\n")
