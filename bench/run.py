"""Benchmarks: each program runs under ./aio and python3 in the same session, interleaved,
five times (--runs N for more); the median times are compared.  A ratio below 1 means aio is
faster.  Two ratios: of wall time, and of CPU time (user + system of the process, from rusage):
on a busy machine the wall time mostly measures the other jobs, so trust the CPU ratio there
and take many runs (rusage counts in scheduler ticks of a few ms: a 0.1 s program needs 20+).

    python3 bench/run.py [--runs N] [names...]      (make bench)

Each program prints a checksum; the two interpreters must print the same one.  Startup time is
measured too (`aio -c 'print(1)'` as a whole process).

bench/echo.aio is also compared with bench/limit/echo.c, the same protocol in C on raw libuv
(built as build/echo-limit by `make bench`): round trips per second by the wall clock (what the
program itself reports) and per CPU second (user + system time of the process, from rusage),
the second being the figure to trust when other jobs share the machine.
"""
import os
import resource
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AIO = os.path.join(ROOT, "aio")
RUNS = 5


def timed(cmd):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, check=True)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    timed.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    # a benchmark may report a measurement of its own on stderr ("bytes/task: N")
    timed.extra = done.stderr.strip()
    return elapsed, done.stdout


def bench(name):
    path = os.path.join(ROOT, "bench", name + ".aio")
    if name == "echo":
        return echo_round_trips(path)
    aio_times, py_times, aio_cpu, py_cpu = [], [], [], []
    aio_out = py_out = None
    for _ in range(RUNS):
        t, aio_out = timed([AIO, path])
        aio_times.append(t)
        aio_cpu.append(timed.cpu)
        t, py_out = timed([sys.executable, path])
        py_times.append(t)
        py_cpu.append(timed.cpu)
    if aio_out != py_out:
        print(f"{name}: OUTPUT DIFFERS\n  aio:    {aio_out!r}\n  python: {py_out!r}")
        return False
    a, p = statistics.median(aio_times), statistics.median(py_times)
    ac, pc = statistics.median(aio_cpu), statistics.median(py_cpu)
    line = (f"{name:10s} aio {a:7.3f}s  python3 {p:7.3f}s  ratio {a / p:5.2f}  (aio {p / a:4.1f}x as fast)"
            f"  CPU ratio {ac / pc if pc else float('nan'):5.3f}")
    if name == "spawn":
        aio_bytes = timed_extra([AIO, path])
        py_bytes = timed_extra([sys.executable, path])
        line += f"  bytes/task aio {aio_bytes} python3 {py_bytes}"
    if name == "idle_connections":
        aio_bytes = timed_extra([AIO, path])
        py_bytes = timed_extra([sys.executable, path])
        line += f"  bytes/connection aio {aio_bytes} python3 {py_bytes}"
    print(line)
    return True


def echo_round_trips(path):
    """Runs the echo benchmark under aio, python3 and the C limit RUNS times each, interleaved,
    and prints the medians of round trips per wall second and per CPU second."""
    runners = {"aio": [AIO, path], "python3": [sys.executable, path],
               "C libuv": [os.path.join(ROOT, "build", "echo-limit")]}
    wall, cpu, outputs = ({k: [] for k in runners} for _ in range(3))
    for _ in range(RUNS):
        for who, cmd in runners.items():
            _, out = timed(cmd)
            outputs[who].append(out)
            wall[who].append(int(timed.extra.split(":")[-1]))
            cpu[who].append(int(out) / timed.cpu)
    if len({o for outs in outputs.values() for o in outs}) != 1:
        print(f"echo: ROUND TRIP COUNTS DIFFER {outputs}")
        return False
    med = {k: (statistics.median(wall[k]), statistics.median(cpu[k])) for k in runners}
    for who, (w, c) in med.items():
        print(f"  echo {who:8s} {w:9.0f} round trips/s wall  {c:9.0f} per CPU second")
    for basis, i in (("wall", 0), ("CPU", 1)):
        a = med["aio"][i]
        print(f"  echo by {basis:4s}: aio {a / med['python3'][i]:4.2f}x python3, "
              f"{a / med['C libuv'][i]:4.2f}x the C limit")
    return True


def timed_extra(cmd):
    timed(cmd)
    return timed.extra.split(":")[-1].strip()


def startup():
    a = statistics.median(timed([AIO, "-c", "print(1)"])[0] for _ in range(21))
    p = statistics.median(timed([sys.executable, "-c", "print(1)"])[0] for _ in range(21))
    print(f"{'startup':10s} aio {a * 1000:6.2f}ms  python3 {p * 1000:6.2f}ms")


def main():
    global RUNS
    args = sys.argv[1:]
    if args[:1] == ["--runs"]:
        RUNS, args = int(args[1]), args[2:]
    names = args or ["fib", "loop", "method", "words", "switch", "spawn", "gather", "timers", "stream_reads", "echo",
                              "thread_handoff", "subprocess",
                              "idle_connections"]
    ok = all([bench(n) for n in names])
    startup()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
