"""Benchmarks: each program runs under ./aio and python3 in the same session, interleaved,
five times; the median times are compared.  A ratio below 1 means aio is faster.

    python3 bench/run.py [names...]      (make bench)

Each program prints a checksum; the two interpreters must print the same one.  Startup time is
measured too (`aio -c 'print(1)'` as a whole process).
"""
import os
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AIO = os.path.join(ROOT, "aio")
RUNS = 5


def timed(cmd):
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    # a benchmark may report a measurement of its own on stderr ("bytes/task: N")
    timed.extra = done.stderr.strip()
    return elapsed, done.stdout


def bench(name):
    path = os.path.join(ROOT, "bench", name + ".aio")
    aio_times, py_times = [], []
    aio_out = py_out = None
    for _ in range(RUNS):
        t, aio_out = timed([AIO, path])
        aio_times.append(t)
        t, py_out = timed([sys.executable, path])
        py_times.append(t)
    if aio_out != py_out:
        print(f"{name}: OUTPUT DIFFERS\n  aio:    {aio_out!r}\n  python: {py_out!r}")
        return False
    a, p = statistics.median(aio_times), statistics.median(py_times)
    line = f"{name:10s} aio {a:7.3f}s  python3 {p:7.3f}s  ratio {a / p:5.2f}  (aio {p / a:4.1f}x as fast)"
    if name == "spawn":
        aio_bytes = timed_extra([AIO, path])
        py_bytes = timed_extra([sys.executable, path])
        line += f"  bytes/task aio {aio_bytes} python3 {py_bytes}"
    if name == "echo":
        line += f"  round trips/s aio {timed_extra([AIO, path])} python3 {timed_extra([sys.executable, path])}"
    print(line)
    return True


def timed_extra(cmd):
    timed(cmd)
    return timed.extra.split(":")[-1].strip()


def startup():
    a = statistics.median(timed([AIO, "-c", "print(1)"])[0] for _ in range(21))
    p = statistics.median(timed([sys.executable, "-c", "print(1)"])[0] for _ in range(21))
    print(f"{'startup':10s} aio {a * 1000:6.2f}ms  python3 {p * 1000:6.2f}ms")


def main():
    names = sys.argv[1:] or ["fib", "loop", "method", "words", "switch", "spawn", "gather", "timers", "echo"]
    ok = all([bench(n) for n in names])
    startup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
