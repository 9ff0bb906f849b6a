#!/usr/bin/env python3
"""Generate the demo drift datasets: reference.csv and current.csv.

Synthetic hourly bike-rental records for the fictional Loopway Bikes service.
Each row is one randomly chosen hour of one randomly chosen day of the year.
reference.csv stands for the 2024 baseline, current.csv for 2025, in which some
features were made to drift on purpose (see README.md for the list).

Python 3 standard library only. The seed is fixed, so running this script again
writes byte-identical files:

    python3 generate.py            # writes reference.csv and current.csv next to this script
    python3 generate.py -o DIR     # writes them into DIR instead
"""

import argparse
import csv
import math
import os
import random
import sys

SEED = 20240631
ROWS = 1000

COLUMNS = ["hour", "weekday", "season", "weather", "temp_c", "humidity",
           "windspeed", "casual", "registered", "count"]

WEATHER = ["clear", "mist", "rain", "snow"]

# Weather probabilities per season group. Snow only happens in winter.
# reference: mostly clear. current: a much wetter year (rain about x2.7).
WEATHER_P = {
    "reference": {
        "winter": [0.45, 0.30, 0.12, 0.13],
        "other":  [0.62, 0.26, 0.12, 0.00],
    },
    "current": {
        "winter": [0.27, 0.28, 0.28, 0.17],
        "other":  [0.38, 0.26, 0.36, 0.00],
    },
}

# The drift knobs. Everything not listed here has the same distribution in both files.
DRIFT = {
    "reference": {"temp_shift": 0.0, "humidity_sd": 9.0, "casual_scale": 1.0},
    "current":   {"temp_shift": 4.0, "humidity_sd": 20.0, "casual_scale": 2.0},
}

HUMIDITY_MEAN = 60.0

# Share of empty cells per column, identical in both files (missingness does not drift).
MISSING = {"weather": 0.015, "temp_c": 0.02, "humidity": 0.03, "windspeed": 0.025}


def season_of(doy):
    """Meteorological-ish seasons by day of year (0-based, 365-day year)."""
    if doy < 79 or doy >= 355:
        return "winter"
    if doy < 172:
        return "spring"
    if doy < 266:
        return "summer"
    return "fall"


def poisson(rng, lam):
    """Poisson sample; Knuth for small means, rounded normal for large ones."""
    if lam <= 0:
        return 0
    if lam < 30:
        limit, k, p = math.exp(-lam), 0, 1.0
        while True:
            p *= rng.random()
            if p <= limit:
                return k
            k += 1
    return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))


def commuter_demand(hour, weekday):
    """Mean registered riders per hour: commute peaks on workdays, a midday hump at weekends."""
    if weekday < 5:  # 0 = Monday ... 4 = Friday
        base = 8.0
        base += 230.0 * math.exp(-((hour - 8.0) ** 2) / (2 * 1.0 ** 2))
        base += 260.0 * math.exp(-((hour - 17.5) ** 2) / (2 * 1.3 ** 2))
        base += 70.0 * math.exp(-((hour - 13.0) ** 2) / (2 * 3.0 ** 2))
    else:
        base = 6.0 + 130.0 * math.exp(-((hour - 14.0) ** 2) / (2 * 3.5 ** 2))
    if hour < 5:
        base *= 0.35
    return base


def leisure_demand(hour, weekday, temp, weather):
    """Mean casual riders per hour: daytime, weekends, warm and dry weather."""
    day = math.exp(-((hour - 14.5) ** 2) / (2 * 3.2 ** 2))
    base = 6.0 + 70.0 * day
    if weekday >= 5:
        base *= 2.1
    warmth = 1.0 / (1.0 + math.exp(-(temp - 14.0) / 4.0))  # 0 when cold, 1 when warm
    base *= 0.25 + 1.1 * warmth
    base *= {"clear": 1.0, "mist": 0.8, "rain": 0.4, "snow": 0.2}[weather]
    return base


def make_row(base, aux, kind):
    """One record. `base` draws the features that never drift, `aux` the ones that may,
    so turning a drift knob never changes the stable columns."""
    knobs = DRIFT[kind]
    doy = base.randrange(365)
    hour = base.randrange(24)
    weekday = base.randrange(7)
    season = season_of(doy)
    windspeed = base.gammavariate(2.2, 5.5)  # km/h, mean about 12
    registered = poisson(base, commuter_demand(hour, weekday))
    blank = {col: base.random() < MISSING[col] for col in ("weather", "temp_c", "humidity", "windspeed")}

    probs = WEATHER_P[kind]["winter" if season == "winter" else "other"]
    weather = aux.choices(WEATHER, weights=probs)[0]

    # Temperature: seasonal cycle (coldest mid-January) + daily cycle + noise + drift.
    temp = 12.0 - 10.0 * math.cos(2 * math.pi * (doy - 15) / 365.0)
    temp += 3.0 * math.sin(2 * math.pi * (hour - 9) / 24.0)
    temp += {"clear": 0.0, "mist": -0.5, "rain": -2.0, "snow": -4.0}[weather]
    temp += aux.gauss(0.0, 2.5) + knobs["temp_shift"]

    humidity = min(100.0, max(5.0, aux.gauss(HUMIDITY_MEAN, knobs["humidity_sd"])))
    casual = poisson(aux, leisure_demand(hour, weekday, temp, weather) * knobs["casual_scale"])

    row = {
        "hour": str(hour),
        "weekday": str(weekday),
        "season": season,
        "weather": weather,
        "temp_c": "%.1f" % temp,
        "humidity": "%d" % round(humidity),
        "windspeed": "%.1f" % windspeed,
        "casual": str(casual),
        "registered": str(registered),
        "count": str(casual + registered),
    }
    # Missing values are blanked after the counts are computed from the true values.
    for col, empty in blank.items():
        if empty:
            row[col] = ""
    return row


def write(path, kind, seed):
    base = random.Random(seed)
    aux = random.Random(seed + 1000)
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        for _ in range(ROWS):
            w.writerow(make_row(base, aux, kind))


def main():
    ap = argparse.ArgumentParser(description="Write the demo drift datasets reference.csv and current.csv.")
    ap.add_argument("-o", "--out-dir", default=os.path.dirname(os.path.abspath(__file__)),
                    help="directory to write into (default: next to this script)")
    args = ap.parse_args()
    if not os.path.isdir(args.out_dir):
        print("generate.py: output directory does not exist: %s" % args.out_dir, file=sys.stderr)
        return 1
    for name, kind, seed in (("reference.csv", "reference", SEED), ("current.csv", "current", SEED + 1)):
        path = os.path.join(args.out_dir, name)
        write(path, kind, seed)
        print("wrote %s (%d rows)" % (path, ROWS))
    return 0


if __name__ == "__main__":
    sys.exit(main())
