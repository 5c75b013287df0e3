#!/usr/bin/env python3
"""Golden-test runner for aio.

Every tests/**/*.aio file is a test, and so is every examples/*.aio file:
the examples are read where they are, not copied (files whose name starts
with "_" are helper modules imported by other tests, not tests themselves).
A test is a script that also runs unchanged under CPython; its expectations
are written in whole-line comments:

  # expect: TEXT          next line of stdout (in file order).  All of them
                          together must equal stdout exactly, line by line.
                          "# expect:" with nothing after it is an empty line.
                          One space after the colon is dropped; anything
                          further (leading spaces) is part of TEXT.
  NAME.out                alternative: a file beside NAME.aio holding the
                          whole expected stdout (then no "# expect:" lines).
  # expect stderr: TEXT   TEXT must appear in stderr; several such lines must
                          match successive stderr lines, in order (substring).
  # expect exit: N        expected exit status (default 0).
  # args: A B ...         extra command-line arguments (shell-like quoting).
  # stdin: TEXT           a line of stdin; all such lines are joined with
                          newlines (plus a final newline).  Default: empty.
  # timeout: SECONDS      default 10.
  # aio-flags: FLAGS      flags given to aio before the file name.
  # aio-only: REASON      aio-specific behaviour; skipped with --oracle.
  # piped:                the file is the program's standard input, with no
                          file argument (aio < FILE; python3 < FILE): the
                          mode of a program piped in (no prompts, no echo).
  # memory-limit: KIB     run under `ulimit -v KIB` (address space), for tests
                          of MemoryError; python3 gets the same limit.  Skipped
                          for a sanitizer build or under $AIO_WRAPPER, whose
                          address space is not the program's.
  # not-a-test: REASON    a program whose output cannot be fixed (an example
                          that prints the time): skipped.
  # requires: COMMAND     a program the test runs (e.g. chromium); where it is
                          not on $PATH the test is skipped, and the runner
                          says so ("SKIP FILE: needs COMMAND").
  # setup: SCRIPT         a shell script (path from the test's folder) run once,
                          in its own folder, before every test naming it; if it
                          fails, those tests fail.  The TLS tests use it to make
                          their certificates (tests/io/tls/_make_certs.sh).

Usage:
  tests/run.py [-j N] [-v] [--durations N] [--aio PATH] [--oracle] [FILE_OR_DIR ...]

The interpreter is --aio PATH (default ./aio in the repo root), prefixed by
the words of $AIO_WRAPPER if set (e.g. AIO_WRAPPER="valgrind -q").  With
--oracle, tests not marked aio-only are run with python3 instead.  Each test
runs in its own process, with the test's folder as working directory.
Prints one line per failure and a final "N passed, M failed" line; the exit
status is 0 iff nothing failed.
"""
import argparse
import concurrent.futures
import difflib
import os
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

TESTS_DIR = Path(__file__).resolve().parent
REPO_ROOT = TESTS_DIR.parent
EXAMPLES_DIR = REPO_ROOT / "examples"


class Test:
    def __init__(self, path):
        self.path = path
        self.expect = []          # expected stdout lines
        self.stderr = []          # substrings expected in stderr, in order
        self.exit = 0
        self.args = []
        self.stdin = None
        self.timeout = 10.0
        self.aio_flags = []
        self.aio_only = None
        self.memory_limit = None  # KiB of address space, or None
        self.not_a_test = None
        self.setup = None         # resolved path of a set-up script, or None
        self.piped = False
        self.requires = []        # commands the test runs, which must be on $PATH
        self.parse()

    def parse(self):
        stdin_lines = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            s = line.lstrip()
            if not s.startswith("#"):
                continue
            body = s[1:].lstrip()
            key, sep, value = body.partition(":")
            if not sep:
                continue
            if value.startswith(" "):
                value = value[1:]
            key = key.strip()
            if key == "expect":
                self.expect.append(value)
            elif key == "expect stderr":
                self.stderr.append(value.strip())
            elif key == "expect exit":
                self.exit = int(value)
            elif key == "args":
                self.args = shlex.split(value)
            elif key == "stdin":
                stdin_lines.append(value)
            elif key == "timeout":
                self.timeout = float(value)
            elif key == "aio-flags":
                self.aio_flags = shlex.split(value)
            elif key == "aio-only":
                self.aio_only = value.strip() or "aio-only"
            elif key == "memory-limit":
                self.memory_limit = int(value)
            elif key == "piped":
                self.piped = True
            elif key == "not-a-test":
                self.not_a_test = value.strip() or "not a test"
            elif key == "requires":
                self.requires += value.split()
            elif key == "setup":
                self.setup = (self.path.parent / value.strip()).resolve()
        if stdin_lines:
            self.stdin = "\n".join(stdin_lines) + "\n"
        out = self.path.with_suffix(".out")
        if out.exists():
            if self.expect:
                raise ValueError("has both a .out file and '# expect:' lines")
            self.expected_stdout = out.read_text(encoding="utf-8")
        else:
            self.expected_stdout = "".join(l + "\n" for l in self.expect)


def rel(path):
    try:
        return str(path.relative_to(REPO_ROOT))
    except ValueError:
        return str(path)


def first_difference(expected, got):
    exp_lines, got_lines = expected.split("\n"), got.split("\n")
    for i in range(max(len(exp_lines), len(got_lines))):
        e = exp_lines[i] if i < len(exp_lines) else None
        g = got_lines[i] if i < len(got_lines) else None
        if e != g:
            if e is None or (e == "" and i == len(exp_lines) - 1):
                return f"stdout line {i + 1}: unexpected extra output {g!r}"
            if g is None or (g == "" and i == len(got_lines) - 1):
                return f"stdout line {i + 1}: expected {e!r}, got end of output"
            return f"stdout line {i + 1}: expected {e!r}, got {g!r}"
    return "stdout differs"


def check(test, command, verbose):
    """Run one test; return None if it passed, else (short reason, details)."""
    env = dict(os.environ, PYTHONUTF8="1", PYTHONDONTWRITEBYTECODE="1")
    if test.memory_limit:
        command = ["sh", "-c", f'ulimit -v {test.memory_limit} && exec "$@"', "sh"] + command
    argv = command + [test.path.name] + test.args
    stdin = (test.stdin or "").encode()
    if test.piped:
        argv, stdin = command + test.args, test.path.read_bytes()
    try:
        proc = subprocess.run(
            argv,
            cwd=test.path.parent, env=env,
            input=stdin,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            timeout=test.timeout)
    except subprocess.TimeoutExpired:
        return f"timeout after {test.timeout:g}s", ""
    except OSError as e:
        return f"cannot run {command[0]}: {e}", ""
    out = proc.stdout.decode("utf-8", "replace")
    err = proc.stderr.decode("utf-8", "replace")
    reasons = []
    if proc.returncode != test.exit:
        last = err.strip().splitlines()[-1:] or [""]
        reasons.append(f"exit status {proc.returncode} (expected {test.exit})"
                       + (f": {last[0]}" if last[0] else ""))
    if out != test.expected_stdout:
        reasons.append(first_difference(test.expected_stdout, out))
    err_lines, pos = err.splitlines(), 0
    for want in test.stderr:
        while pos < len(err_lines) and want not in err_lines[pos]:
            pos += 1
        if pos == len(err_lines):
            reasons.append(f"stderr lacks {want!r}")
            break
        pos += 1
    if not reasons:
        return None
    details = ""
    if verbose:
        diff = difflib.unified_diff(
            test.expected_stdout.splitlines(keepends=True),
            out.splitlines(keepends=True), "expected stdout", "actual stdout")
        details = "".join(diff)
        if details and not details.endswith("\n"):
            details += "\n"
        details += "--- stderr:\n" + err
    return "; ".join(reasons), details


def collect(targets):
    files = []
    for t in targets:
        p = Path(t).resolve()
        if p.is_dir():
            files.extend(sorted(p.rglob("*.aio")))
        elif p.exists():
            files.append(p)
        else:
            sys.exit(f"run.py: no such test: {t}")
    return [f for f in files if not f.name.startswith("_")]


def main():
    ap = argparse.ArgumentParser(description="Run aio's golden tests.")
    ap.add_argument("targets", nargs="*", help="test files or folders")
    # Many tests spend their time asleep (the seed samples wait seconds on purpose), so twice as
    # many run at once as there are CPUs.
    ap.add_argument("-j", type=int, default=2 * (os.cpu_count() or 1),
                    help="tests run in parallel (default: twice the CPU count)")
    ap.add_argument("--durations", type=int, metavar="N", default=0,
                    help="list the N slowest tests at the end")
    ap.add_argument("-v", action="store_true", help="show full diffs")
    ap.add_argument("--aio", help="interpreter (default: ./aio in the repo "
                    "root; a relative PATH is taken from the current folder)")
    ap.add_argument("--oracle", action="store_true",
                    help="run the tests with python3 instead of aio")
    opts = ap.parse_args()

    tests, passed, failed, skipped = [], 0, 0, 0
    for f in collect(opts.targets or [TESTS_DIR, EXAMPLES_DIR]):
        try:
            tests.append(Test(f))
        except (ValueError, UnicodeDecodeError) as e:
            print(f"FAIL {rel(f)}: bad test file: {e}")
            failed += 1

    # The slow tests (the ones that declare a longer timeout) start first, so they overlap
    # with the many short ones instead of running alone at the end.
    tests.sort(key=lambda t: -t.timeout)
    if opts.oracle:
        base = [os.environ.get("PYTHON", "python3")]
    else:
        aio = Path(opts.aio).resolve() if opts.aio else REPO_ROOT / "aio"
        if not aio.exists():
            sys.exit(f"run.py: interpreter not found: {aio} (build it or use --aio)")
        base = shlex.split(os.environ.get("AIO_WRAPPER", "")) + [str(aio)]
    # A memory limit on the address space cannot apply to AddressSanitizer's shadow memory or
    # to a wrapper such as valgrind.
    limits_work = opts.oracle or not (
        os.environ.get("AIO_WRAPPER") or b"__asan_init" in aio.read_bytes())

    # Set-up scripts: each once, before the tests that need it.
    setup_failures = {}
    for script in sorted({t.setup for t in tests if t.setup and not t.not_a_test}):
        proc = subprocess.run(["sh", str(script)], cwd=script.parent,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if proc.returncode != 0:
            setup_failures[script] = (f"setup {rel(script)} failed (status {proc.returncode})",
                                      proc.stdout.decode("utf-8", "replace"))

    seconds = {}

    def job(test):
        start = time.monotonic()
        try:
            return run_one(test)
        finally:
            seconds[test.path] = time.monotonic() - start

    def run_one(test):
        if test.not_a_test:
            return "skip"
        if test.setup in setup_failures:
            return setup_failures[test.setup]
        if test.memory_limit and not limits_work:
            return "skip"
        missing = [c for c in test.requires if not shutil.which(c)]
        if missing:
            return ("skip", f"needs {' '.join(missing)}")
        if opts.oracle:
            if test.aio_only:
                return "skip"
            return check(test, base, opts.v)
        return check(test, base + test.aio_flags, opts.v)

    with concurrent.futures.ThreadPoolExecutor(max(1, opts.j)) as pool:
        for test, result in zip(tests, pool.map(job, tests)):
            if result == "skip" or (isinstance(result, tuple) and result[0] == "skip"):
                skipped += 1
                if result != "skip":
                    print(f"SKIP {rel(test.path)}: {result[1]}", flush=True)
            elif result is None:
                passed += 1
            else:
                failed += 1
                print(f"FAIL {rel(test.path)}: {result[0]}", flush=True)
                if opts.v and result[1]:
                    print(result[1].rstrip("\n"), flush=True)

    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:opts.durations]
    for path, took in slowest:
        print(f"{took:7.2f} s  {rel(path)}")
    summary = f"{passed} passed, {failed} failed"
    if skipped:
        summary += f", {skipped} skipped"
    print(summary)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
