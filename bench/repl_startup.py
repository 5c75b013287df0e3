"""The REPL's startup on a pseudo-terminal, against python3's (make bench runs it).

    python3 bench/repl_startup.py [--aio PATH] [--runs N]

Two figures per interpreter, medians of N runs (default 15):
  - to the first prompt: from fork to the moment ">>> " is on the terminal;
  - to the first answer: from fork until `1` typed at that prompt has printed its value (for aio
    this includes the session's set-up, asyncio and aiotools imported and the loop made, which it
    does right after drawing the prompt, while the user starts typing).
Both are also given less the same measure for printf printing ">>> " (forking and exec'ing on a
new pty, which the test driver pays whatever runs): what is left is the interpreter's own cost.
aio's target is under 20 ms to the first prompt.
"""
import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "repl"))
from terminal import Session  # noqa: E402


def measure(argv, runs):
    to_prompt, to_answer = [], []
    env = dict(os.environ, TERM="xterm", HOME="/nonexistent-aio-bench")
    for _ in range(runs):
        start = time.monotonic()
        s = Session(argv, env)
        try:
            s.expect(">>> ", timeout=10)
            to_prompt.append(time.monotonic() - start)
            s.send("1\r")
            s.expect("1\n", timeout=10)
            to_answer.append(time.monotonic() - start)
        finally:
            s.kill()
    return statistics.median(to_prompt) * 1000, statistics.median(to_answer) * 1000


def spawn_printf():
    start = time.monotonic()
    s = Session(["/usr/bin/printf", ">>> \n"], dict(os.environ, TERM="xterm"))
    try:
        s.expect(">>> ", timeout=10)
    finally:
        s.kill()
    return time.monotonic() - start


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aio", default=str(Path(__file__).resolve().parents[1] / "aio"))
    ap.add_argument("--runs", type=int, default=15)
    opts = ap.parse_args()
    baseline = statistics.median(spawn_printf() for _ in range(opts.runs)) * 1000
    print(f"repl startup  baseline (printf on a new pty) {baseline:6.1f} ms")
    for name, argv in (("aio", [opts.aio, "-q"]), ("python3", [sys.executable, "-q"]),
                       ("python3 -m asyncio", [sys.executable, "-q", "-m", "asyncio"])):
        prompt, answer = measure(argv, opts.runs)
        print(f"repl startup  {name:20} first prompt {prompt:6.1f} ms ({prompt - baseline:+6.1f})"
              f"   first answer {answer:6.1f} ms ({answer - baseline:+6.1f})")


if __name__ == "__main__":
    main()
