#!/usr/bin/env python3
"""Sample training job for the aiwb demo workspace.

Trains a logistic regression with mini-batch gradient descent, in pure Python
(standard library only), on the bike-rental data in ../drift/reference.csv:
predict whether an hour is busy, i.e. whether `count` is above the median of
the training rows, from the weather and time-of-day features. The rider counts
`casual` and `registered` add up to `count`, so they are not used as features.

After every epoch it prints one line and flushes it, for example

    epoch=3 loss=0.5123 accuracy=0.7420 val_loss=0.5301 val_accuracy=0.7310

and after the last epoch a line `done`. Exit status 0 on success, 1 when the
data cannot be read, 2 on bad arguments.

    python3 train.py                          # 20 epochs, 0.5 s apart
    python3 train.py --epochs 5 --sleep 0     # quick run
    aiwb jobs run --metric loss='loss=([0-9.]+)' -- python3 train.py
"""

import argparse
import csv
import json
import math
import os
import random
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_DATA = os.path.join(HERE, "..", "drift", "reference.csv")

REQUIRED = ["hour", "weekday", "weather", "temp_c", "humidity", "windspeed", "count"]
WEATHER = ["clear", "mist", "rain", "snow"]
NUMERIC = ["temp_c", "humidity", "windspeed"]  # may be empty: filled with the training mean

FEATURES = (["hour_sin", "hour_cos", "hour_sin2", "hour_cos2", "weekend"]
            + NUMERIC + ["weather_" + w for w in WEATHER])


class DataError(Exception):
    pass


def positive_int(s):
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError("must be at least 1, got %s" % s)
    return v


def positive_float(s):
    v = float(s)
    if not v > 0 or math.isinf(v):
        raise argparse.ArgumentTypeError("must be a number above 0, got %s" % s)
    return v


def non_negative_float(s):
    v = float(s)
    if not v >= 0 or math.isinf(v):
        raise argparse.ArgumentTypeError("must be a number of 0 or more, got %s" % s)
    return v


def parse_args(argv):
    ap = argparse.ArgumentParser(
        description="Train a small logistic regression on the demo bike-rental data, "
                    "printing one metric line per epoch.")
    ap.add_argument("--epochs", type=positive_int, default=20, help="number of epochs (default 20)")
    ap.add_argument("--lr", type=positive_float, default=0.02, help="learning rate (default 0.02)")
    ap.add_argument("--sleep", type=non_negative_float, default=0.5,
                    help="seconds to wait after each epoch, so the job is watchable (default 0.5)")
    ap.add_argument("--batch-size", type=positive_int, default=32, help="mini-batch size (default 32)")
    ap.add_argument("--val-fraction", type=float, default=0.2,
                    help="share of rows held out for validation (default 0.2)")
    ap.add_argument("--seed", type=int, default=7, help="random seed for the split and shuffling (default 7)")
    ap.add_argument("--data", default=DEFAULT_DATA,
                    help="CSV file to train on (default: ../drift/reference.csv next to this script)")
    ap.add_argument("--save", metavar="FILE", help="write the trained weights as JSON to FILE")
    args = ap.parse_args(argv)
    if not 0.0 < args.val_fraction < 1.0:
        ap.error("--val-fraction must be between 0 and 1, got %s" % args.val_fraction)
    return args


def load_rows(path):
    if os.path.isdir(path):
        raise DataError("%s is a directory; pass --data with a CSV file" % path)
    if not os.path.isfile(path):
        raise DataError("data file not found: %s (run ../drift/generate.py to create it, "
                        "or pass --data FILE)" % path)
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise DataError("%s has no column %s; expected a header with %s"
                                % (path, ", ".join(missing), ",".join(REQUIRED)))
            rows = []
            for lineno, r in enumerate(reader, start=2):
                try:
                    rows.append({
                        "hour": int(r["hour"]),
                        "weekday": int(r["weekday"]),
                        "weather": r["weather"],
                        "temp_c": float(r["temp_c"]) if r["temp_c"] else None,
                        "humidity": float(r["humidity"]) if r["humidity"] else None,
                        "windspeed": float(r["windspeed"]) if r["windspeed"] else None,
                        "count": float(r["count"]),
                    })
                except (TypeError, ValueError):
                    raise DataError("%s line %d: hour, weekday and count must be numbers"
                                    % (path, lineno))
    except OSError as e:
        raise DataError("cannot read %s: %s" % (path, e.strerror))
    except UnicodeDecodeError:
        raise DataError("%s is not a UTF-8 CSV file" % path)
    if len(rows) < 10:
        raise DataError("%s has %d data rows; at least 10 are needed" % (path, len(rows)))
    return rows


def median(values):
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0


def featurize(r, fill):
    angle = 2.0 * math.pi * r["hour"] / 24.0
    x = [math.sin(angle), math.cos(angle), math.sin(2 * angle), math.cos(2 * angle),
         1.0 if r["weekday"] >= 5 else 0.0]
    x += [r[c] if r[c] is not None else fill[c] for c in NUMERIC]
    x += [1.0 if r["weather"] == w else 0.0 for w in WEATHER]  # empty weather: all zero
    return x


def sigmoid(z):
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def predict(w, b, x):
    return sigmoid(b + sum(wi * xi for wi, xi in zip(w, x)))


def evaluate(w, b, X, Y):
    eps = 1e-12
    loss = 0.0
    correct = 0
    for x, y in zip(X, Y):
        p = predict(w, b, x)
        loss -= y * math.log(p + eps) + (1 - y) * math.log(1 - p + eps)
        correct += (p >= 0.5) == (y == 1)
    return loss / len(X), correct / len(X)


def main(argv):
    args = parse_args(argv)
    try:
        rows = load_rows(args.data)
    except DataError as e:
        print("train.py: %s" % e, file=sys.stderr)
        return 1

    rng = random.Random(args.seed)
    rng.shuffle(rows)
    n_val = max(1, int(round(len(rows) * args.val_fraction)))
    train, val = rows[n_val:], rows[:n_val]

    # Everything learned from data (fill values, scaling, threshold) comes from the training rows only.
    fill = {}
    for c in NUMERIC:
        present = [r[c] for r in train if r[c] is not None]
        fill[c] = sum(present) / len(present) if present else 0.0
    threshold = median([r["count"] for r in train])

    X_train = [featurize(r, fill) for r in train]
    X_val = [featurize(r, fill) for r in val]
    dims = len(FEATURES)
    mean = [sum(x[j] for x in X_train) / len(X_train) for j in range(dims)]
    std = []
    for j in range(dims):
        var = sum((x[j] - mean[j]) ** 2 for x in X_train) / len(X_train)
        std.append(math.sqrt(var) if var > 1e-12 else 1.0)
    X_train = [[(x[j] - mean[j]) / std[j] for j in range(dims)] for x in X_train]
    X_val = [[(x[j] - mean[j]) / std[j] for j in range(dims)] for x in X_val]
    Y_train = [1 if r["count"] > threshold else 0 for r in train]
    Y_val = [1 if r["count"] > threshold else 0 for r in val]

    print("data=%s rows=%d train=%d val=%d features=%d label=count>%g"
          % (os.path.normpath(args.data), len(rows), len(train), len(val), dims, threshold), flush=True)

    w = [0.0] * dims
    b = 0.0
    order = list(range(len(X_train)))
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(order)
        for start in range(0, len(order), args.batch_size):
            batch = order[start:start + args.batch_size]
            gw = [0.0] * dims
            gb = 0.0
            for i in batch:
                x = X_train[i]
                err = predict(w, b, x) - Y_train[i]
                for j in range(dims):
                    gw[j] += err * x[j]
                gb += err
            scale = args.lr / len(batch)
            for j in range(dims):
                w[j] -= scale * gw[j]
            b -= scale * gb

        loss, acc = evaluate(w, b, X_train, Y_train)
        val_loss, val_acc = evaluate(w, b, X_val, Y_val)
        print("epoch=%d loss=%.4f accuracy=%.4f val_loss=%.4f val_accuracy=%.4f"
              % (epoch, loss, acc, val_loss, val_acc), flush=True)
        if args.sleep > 0 and epoch < args.epochs:
            time.sleep(args.sleep)

    if args.save:
        model = {"features": FEATURES, "weights": w, "bias": b, "mean": mean, "std": std,
                 "fill": fill, "threshold": threshold}
        try:
            with open(args.save, "w", encoding="utf-8") as f:
                json.dump(model, f, indent=2)
                f.write("\n")
        except OSError as e:
            print("train.py: cannot write %s: %s" % (args.save, e.strerror), file=sys.stderr)
            return 1
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        sys.exit(130)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`); exit quietly.
        try:
            sys.stdout = open(os.devnull, "w")
        except OSError:
            pass
        sys.exit(1)
