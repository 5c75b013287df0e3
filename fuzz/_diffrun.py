"""The driver shared by the differential fuzzers (async_programs.py, block_flow.py,
sync_programs.py): their common command line, running one program under python3 and under aio,
comparing the two, keeping the programs that differ, and the final count.

A fuzzer builds its parser with `parser()`, adds its own options, and hands `compare()` the
parsed arguments and an iterable of (label, file name, source) for the programs to try.

What counts as agreement: the same exit status and the same standard output (stderr is not
compared: tracebacks mention file paths and aio's wording of some messages differs by design).
A program that python3 itself does not finish within the time limit says nothing about aio: it is
skipped and counted apart.  CPU time of the child processes is measured per interpreter, so a
session's figures can be reported (fuzz_findings notes).
"""
import argparse
import os
import resource
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parser(doc, keep, first=1, timeout=20):
    """The options every differential fuzzer takes; `keep` is where differing programs stay."""
    ap = argparse.ArgumentParser(description=doc.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--aio", default=os.path.join(ROOT, "aio"),
                    help="the interpreter under test (default ./aio; try build/aio-debug, "
                         "build/aio-asan, build/aio-fuzz-cli)")
    ap.add_argument("--seeds", type=int, default=200, help="how many seeds (default 200)")
    ap.add_argument("--first", type=int, default=first, help=f"first seed (default {first})")
    ap.add_argument("--keep", default=keep, help=f"where differing programs stay (default {keep})")
    ap.add_argument("--timeout", type=float, default=timeout,
                    help=f"seconds each interpreter gets per program (default {timeout:g})")
    return ap


def _children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(cmd, timeout):
    """(exit status or 'timeout', stdout bytes, last 2,000 bytes of stderr, CPU seconds)."""
    before = _children_cpu()
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL)
        outcome = (done.returncode, done.stdout, done.stderr[-2000:])
    except subprocess.TimeoutExpired:
        outcome = ("timeout", b"", b"")
    return outcome + (_children_cpu() - before,)


def compare(args, programs):
    """Runs each (label, file name, source) under python3 and aio; returns the exit status."""
    os.makedirs(args.keep, exist_ok=True)
    total = differed = skipped = 0
    cpu = {"python3": 0.0, "aio": 0.0}
    for label, name, source in programs:
        total += 1
        path = os.path.join(args.keep, name)
        with open(path, "w") as f:
            f.write(source)
        want = run([sys.executable, path], args.timeout)
        cpu["python3"] += want[3]
        if want[0] == "timeout":
            skipped += 1
            os.remove(path)
            continue
        got = run([args.aio, path], args.timeout)
        cpu["aio"] += got[3]
        if want[:2] == got[:2]:
            os.remove(path)
            continue
        differed += 1
        why = f"exit {got[0]} (python3 {want[0]})" if want[0] != got[0] else "stdout differs"
        tail = got[2].decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        print(f"{label}: {why}: {tail[0][:160]} -> {path}", flush=True)
    print(f"{total} programs: {total - differed - skipped} agreed, {differed} differed, "
          f"{skipped} skipped (python3 timed out); "
          f"CPU aio {cpu['aio']:.2f} s, python3 {cpu['python3']:.2f} s")
    return 1 if differed else 0
