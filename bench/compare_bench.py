#!/usr/bin/env python3
"""compare_bench — the prompt lab's compare, measured from outside.

  compare_bench.py cli RUNS AIWB MODEL...
      `aiwb compare` of every MODEL against `aiwb ask` of the first one alone,
      interleaved, RUNS times each: wall time (fork to exit) and CPU (user +
      system of the child). The models all stream the same way, so the single
      ask is "the slowest single stream". Prints one line of key=value medians.

  compare_bench.py tui RUNS AIWB DB MODEL_COUNT
      The workbench on a pseudo-terminal (160x48): marks the first
      MODEL_COUNT models of the first provider in Models, sends "hi" (C-s) from the
      Prompt pane (zoomed) and records every read of the terminal's output
      until the history holds every answer (the streams' end). Frames are
      bursts of output separated by more than 4 ms of silence. Prints frames
      per second from the first frame after sending to the streams' end,
      the lowest count over any 0.5 s window (as frames per second), aiwb's
      CPU over that time, and checks in the history database DB that the
      compare saved MODEL_COUNT answers.

Nothing here waits on a bare sleep for correctness: every step waits for the
terminal to go quiet (or for the history to hold the answers), with a deadline.
"""
import fcntl
import os
import pty
import resource
import select
import signal
import sqlite3
import statistics
import struct
import subprocess
import sys
import termios
import time


def median(v):
    return statistics.median(v) if v else float("nan")


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(argv):
    c0, t0 = child_cpu(), time.monotonic()
    rc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    t1, c1 = time.monotonic(), child_cpu()
    if rc != 0:
        sys.exit("compare_bench: %s exited %d" % (" ".join(argv[:4]), rc))
    return t1 - t0, c1 - c0


def cli(runs, aiwb, models):
    ask, cmp_ = [], []
    compare = [aiwb, "compare"]
    for m in models:
        compare += ["-m", m]
    compare.append("hi")
    for _ in range(runs):
        ask.append(timed([aiwb, "ask", "-m", models[0], "hi"]))
        cmp_.append(timed(compare))
    aw, ac = median([w for w, _ in ask]), median([c for _, c in ask])
    cw, cc = median([w for w, _ in cmp_]), median([c for _, c in cmp_])
    print("single_wall_s=%.3f single_cpu_s=%.3f compare_wall_s=%.3f compare_cpu_s=%.3f wall_ratio=%.3f "
          "compare_cpu_percent=%.2f models=%d" % (aw, ac, cw, cc, cw / aw, 100.0 * cc / cw, len(models)))


class Term:
    def __init__(self, argv, cols, rows):
        pid, fd = pty.fork()
        if pid == 0:
            os.execvp(argv[0], argv)
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        os.kill(pid, signal.SIGWINCH)
        self.pid, self.fd = pid, fd
        self.reads = []  # (time, bytes)

    def pump(self, seconds):
        """Reads for up to seconds; returns the time of the last read or None."""
        end, last = time.monotonic() + seconds, None
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return last
            r, _, _ = select.select([self.fd], [], [], left)
            if not r:
                return last
            try:
                d = os.read(self.fd, 65536)
            except OSError:
                return last
            if not d:
                return last
            last = time.monotonic()
            self.reads.append((last, len(d)))

    def quiet(self, silence, deadline):
        """Waits until the output has been silent for `silence` seconds."""
        end = time.monotonic() + deadline
        while time.monotonic() < end:
            if self.pump(silence) is None:
                return True
        return False

    def keys(self, s, settle=0.15):
        for ch in s:
            os.write(self.fd, ch.encode())
            self.quiet(0.03, 2)
        self.quiet(settle, 5)

    def cpu_s(self):
        with open("/proc/%d/stat" % self.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def close(self):
        try:
            os.write(self.fd, b"q")
        except OSError:
            pass
        end = time.monotonic() + 5
        while time.monotonic() < end:
            self.pump(0.05)
            p, _ = os.waitpid(self.pid, os.WNOHANG)
            if p:
                return
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)


def compare_rows(db):
    """(compare_group, rows) of the newest compare in the history."""
    try:
        c = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
        rows = c.execute("SELECT json_extract(params, '$.compare_group'), count(*) FROM runs "
                         "WHERE kind = 'compare' GROUP BY 1 ORDER BY max(id) DESC LIMIT 1").fetchall()
        c.close()
        return (rows[0][0], rows[0][1]) if rows else (None, 0)
    except sqlite3.Error:
        return (None, 0)


def frames(reads, gap=0.004):
    out, last = [], None
    for t, _ in reads:
        if last is None or t - last > gap:
            out.append(t)
        last = t
    return out


def tui_once(aiwb, db, n):
    # marks, focus and template persist in workbench.json: every run starts afresh
    try:
        os.unlink(os.path.join(os.path.dirname(db), "workbench.json"))
    except FileNotFoundError:
        pass
    t = Term([aiwb], 160, 48)
    t.quiet(0.6, 15)               # first paint and the model lists
    t.keys("1g" + "j " * n)        # mark the first n models of the first provider
    t.keys("2z\rhi")               # Enter opens the prompt editor
    before = compare_rows(db)
    t.reads = []
    os.write(t.fd, b"\x13")        # C-s sends
    start, cpu0 = time.monotonic(), t.cpu_s()
    end = start + 60
    while time.monotonic() < end:
        group, count = compare_rows(db)
        if group != before[0] and count == n:
            break
        t.pump(0.05)
    done = time.monotonic()
    cpu1 = t.cpu_s()
    group, saved = compare_rows(db)
    t.quiet(0.3, 5)
    t.close()
    fr = [f for f in frames(t.reads) if f <= done]
    if group == before[0] or saved != n or len(fr) < 2:
        sys.exit("compare_bench: the workbench compare saved %d of %d answers" % (saved if group != before[0] else 0, n))
    span = done - fr[0]
    windows = [sum(1 for f in fr if w <= f < w + 0.5) / 0.5 for w in
               [fr[0] + 0.5 * k for k in range(int(span / 0.5))]]
    return len(fr) / span, min(windows) if windows else float("nan"), 100.0 * (cpu1 - cpu0) / span, span


def tui(runs, aiwb, db, n):
    res = [tui_once(aiwb, db, n) for _ in range(runs)]
    print("fps=%.1f fps_min_window=%.1f cpu_percent=%.2f stream_s=%.2f columns=%d" % (
        median([r[0] for r in res]), min(r[1] for r in res), median([r[2] for r in res]),
        median([r[3] for r in res]), n))


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    mode, runs = sys.argv[1], int(sys.argv[2])
    if mode == "cli":
        cli(runs, sys.argv[3], sys.argv[4:])
    elif mode == "tui":
        tui(runs, sys.argv[3], sys.argv[4], int(sys.argv[5]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
