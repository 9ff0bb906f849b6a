#!/usr/bin/env python3
"""key_bench — how long a key takes to act in the workbench while a long
answer without a newline streams into the Prompt pane.

  key_bench.py RUNS AIWB MODEL
      The workbench on a pseudo-terminal (100x30) whose default model is
      MODEL (set in the config of the environment's AIWB_CONFIG, written
      here): focuses the Prompt pane, sends "hi" and, from the moment the
      column says "streaming" until it says "done", presses z (zoom) and
      measures the time from the write of the key to the first read of the
      terminal holding "(zoomed)", then z again (unzoom) until "Models" is
      drawn again. RUNS workbenches one after the other. Prints medians and
      the worst latency over every zoom, how many were measured, the stream's
      wall time and aiwb's CPU seconds over it (medians of RUNS).
      MODEL "idle" measures the same keys with nothing streaming (the
      reference).

  key_bench.py history AIWB TITLE
      Opens the history view (H), waits for TITLE (the prompt of run 1) and
      opens run 1 (Enter): the time until its first screen is drawn (the
      first time, then again after Esc), then until G has drawn its end ("Metrics"), and aiwb's resident memory
      after each (VmRSS) and at its peak (VmHWM), in MiB.

Waits have deadlines; a key that has not acted after KEY_BENCH_DEADLINE
seconds (default 120) counts as that long.
"""
import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import sys
import termios
import time

DEADLINE = float(os.environ.get("KEY_BENCH_DEADLINE", "120"))


class Term:
    def __init__(self, argv, cols, rows):
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp(argv[0], argv)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        self.pid, self.fd, self.out = pid, fd, b""

    def read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return b""
        try:
            d = os.read(self.fd, 1 << 16)
        except OSError:
            return b""
        self.out = (self.out + d)[-(1 << 16):]
        return d

    def until(self, marker, seconds):
        """Reads until marker shows in what is read from now on; returns
        the time it was read, or None at the deadline."""
        seen, end = b"", time.monotonic() + seconds
        while time.monotonic() < end:
            d = self.read(min(0.05, max(0.0, end - time.monotonic())))
            if d:
                seen = (seen + d)[-(1 << 16):]
                if marker in seen:
                    return time.monotonic()
        return None

    def key(self, k, marker):
        t0 = time.monotonic()
        os.write(self.fd, k)
        t1 = self.until(marker, DEADLINE)
        return (t1 if t1 is not None else t0 + DEADLINE) - t0

    def cpu_s(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        try:
            os.write(self.fd, b"q")
        except OSError:
            pass
        end = time.monotonic() + 10
        while time.monotonic() < end:
            self.read(0.05)
            p, _ = os.waitpid(self.pid, os.WNOHANG)
            if p:
                return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def once(aiwb, model):
    t = Term([aiwb], 100, 30)
    if t.until(b"Jobs", 15) is None:
        sys.exit("key_bench: the workbench did not paint")
    t.until(b"\x00", 0.5)  # let the first frames settle
    lat = []
    stream_s = cpu = 0.0
    if model == "idle":
        for _ in range(20):
            lat.append(t.key(b"z", b"(zoomed)"))
            t.key(b"z", b"Models")
    else:
        os.write(t.fd, b"2")
        t.until(b"Prompt", 5)
        os.write(t.fd, b"\r")         # Enter opens the prompt editor
        if t.until(b"Prompt for openai/", 10) is None:
            sys.exit("key_bench: no prompt editor")
        os.write(t.fd, b"hi\x13")     # C-s sends
        start, cpu0 = time.monotonic(), t.cpu_s()
        if t.until(b"streaming", DEADLINE) is None:
            sys.exit("key_bench: the answer did not start streaming")
        while b"done (" not in t.out and time.monotonic() - start < 4 * DEADLINE:
            lat.append(t.key(b"z", b"(zoomed)"))
            if b"done (" in t.out:
                break
            t.key(b"z", b"Models")
        if b"done (" not in t.out:
            t.until(b"done (", DEADLINE)
        stream_s, cpu = time.monotonic() - start, t.cpu_s() - cpu0
    t.close()
    return lat, stream_s, cpu


def mib(pid, field):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def history(aiwb, title):
    t = Term([aiwb], 100, 30)
    if t.until(b"Jobs", 15) is None:
        sys.exit("key_bench: the workbench did not paint")
    t.until(b"\x00", 0.5)
    os.write(t.fd, b"H")
    if t.until(title.encode(), 15) is None:
        sys.exit("key_bench: run 1 is not in the history view")
    opens = []
    for _ in range(2):  # the first read of the database, then again
        t.until(b"\x00", 0.3)
        t0 = time.monotonic()
        os.write(t.fd, b"\r")
        t1 = t.until(b"Answer", DEADLINE)
        opens.append((t1 or t0 + DEADLINE) - t0)
        rss_open = mib(t.pid, "VmRSS")
        if len(opens) == 1:
            os.write(t.fd, b"\x1b")
            t.until(b"the capped answer", 15)
    t.until(b"\x00", 0.3)
    t2 = time.monotonic()
    os.write(t.fd, b"G")
    t3 = t.until(b"Metrics", DEADLINE)
    rss_end, peak = mib(t.pid, "VmRSS"), mib(t.pid, "VmHWM")
    os.write(t.fd, b"\x1b")
    t.until(b"\x00", 0.3)
    os.write(t.fd, b"\x1b")
    t.close()
    print("open_ms=%.0f again_ms=%.0f rss_open_mib=%.1f end_ms=%.0f rss_end_mib=%.1f peak_mib=%.1f" % (
        1000 * opens[0], 1000 * opens[1], rss_open, 1000 * ((t3 or t2 + DEADLINE) - t2), rss_end, peak))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "history":
        history(sys.argv[2], sys.argv[3])
        return
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    runs, aiwb, model = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    cfg = os.environ.get("AIWB_CONFIG")
    if model != "idle":
        if not cfg:
            sys.exit("key_bench: set AIWB_CONFIG to a file it may write")
        with open(cfg, "w") as f:
            f.write('{ "default_model": "openai/%s" }\n' % model)
    lat, walls, cpus = [], [], []
    for _ in range(runs):
        lt, w, c = once(aiwb, model)
        lat += lt
        walls.append(w)
        cpus.append(c)
    ms = sorted(1000 * x for x in lat)
    print("median_ms=%.1f max_ms=%.1f keys=%d stream_s=%.2f cpu_s=%.2f runs=%d" % (
        statistics.median(ms) if ms else float("nan"), ms[-1] if ms else float("nan"), len(ms),
        statistics.median(walls), statistics.median(cpus), runs))


if __name__ == "__main__":
    main()
