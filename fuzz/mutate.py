#!/usr/bin/env python3
"""Token- and line-level mutation fuzzing of aio: mutated test programs, run by the fuzz CLI.

Each case starts from a program of the corpus (tests/**/*.aio, fuzz/corpus/, fuzz/crashes/) and
applies a few random mutations: delete, duplicate or swap lines, re-indent a line, splice in
lines of another program, replace a number by an extreme one or a string by an odd one, swap a
token for another token of the corpus, drop a token, put a statement keyword in front of a
line, nest a line or an expression very deeply.  The result runs under build/aio-fuzz-cli (the
ASan + UBSan build with the fuzz limits and sandbox, `make VARIANT=fuzz`) in a scratch
directory, with a timeout.  A run is a finding when a sanitizer reports, the process dies by a
signal, or aio says it ran out of memory; one that outlives the timeout is a hang.  Findings
are saved, one per distinct place (the top of the stack), with their stderr beside them.

    python3 fuzz/mutate.py [--time SECONDS] [--seed N] [--out DIR] [--aio PATH]
    python3 fuzz/mutate.py --minimize FILE      # the smallest set of lines that still fails

Prints a status line every 30 seconds and a summary at the end (executions, CPU time, findings).
"""
import argparse
import glob
import hashlib
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

EXTREME_NUMBERS = [
    "0", "-1", "1", "255", "256", "2**31", "2**31-1", "-2**31", "2**32", "2**53+1", "2**62",
    "2**63", "2**63-1", "-2**63", "-2**63-1", "2**64", "2**64-1", "10**19", "-10**30", "10**300",
    "2**1000", "-(2**200)", "0x7fffffffffffffff", "0xffffffffffffffff", "1e308", "1e309", "-1e308",
    "5e-324", "1e-320", "-0.0", "0.1", "float('inf')", "float('-inf')", "float('nan')", "True",
    "False", "None", "9" * 60, "1_000_000", "0o777", "0b" + "1" * 70, "(1<<64)", "~0",
]
ODD_STRINGS = [
    "''", "'\\x00'", "'\\uffff'", "'\\U0010ffff'", "'é'", "'日本語'", "'a' * 1000", "'\\n\\t\\r'",
    "'%s %d %r'", "'{}{}{0}'", "'{:>1000}'", "'\\\\'", "'\"'", "\"'\"", "'🐍' * 3", "b'\\xff'",
    "'x' * 100000", "str(10**50)", "f'{1:,}'", "'\\ud800'",
]
STATEMENTS = [
    "return", "return 1", "yield", "yield 1", "await x", "break", "continue", "pass", "del x",
    "raise", "raise ValueError('m')", "global x", "nonlocal x", "x = 1", "assert False",
    "import asyncio", "try: pass\nfinally: pass", "with open('f', 'w') as f: pass",
]
NESTERS = [
    ("(", ")"), ("[", "]"), ("{", "}"), ("-", ""), ("not ", ""), ("(lambda: ", ")()"),
    ("[", " for _ in [0]]"), ("f'{", "}'"), ("str(", ")"), ("(yield ", ")"), ("await ", ""),
]
BLOCK_HEADERS = [
    "if 1:", "while 1:", "for _ in [0]:", "try:", "def f():", "async def g():", "class C:",
    "with open('f', 'w') as f:", "for _ in range(2):",
]

TOKEN_RE = re.compile(r"""
    (?P<string>[rbf]*(?:'''.*?'''|\"\"\".*?\"\"\"|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<number>0[xob][0-9a-f_]+|\d[\d_]*\.?\d*(?:e[+-]?\d+)?j?)
  | (?P<name>[A-Za-z_]\w*)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%@&|^<>!=]=|[-+*/%@&|^~<>=.,:;()\[\]{}])
""", re.VERBOSE | re.DOTALL | re.IGNORECASE)


def load_corpus():
    files = sorted(glob.glob(os.path.join(ROOT, "tests", "**", "*.aio"), recursive=True))
    files += sorted(glob.glob(os.path.join(ROOT, "fuzz", "corpus", "*")))
    files += sorted(glob.glob(os.path.join(ROOT, "fuzz", "crashes", "*")))
    corpus = []
    for f in files:
        try:
            with open(f, encoding="utf-8") as fh:
                text = fh.read()
        except (UnicodeDecodeError, OSError):
            continue
        if len(text) < 20000:
            corpus.append(text)
    return corpus


class Mutator:
    def __init__(self, rng, corpus):
        self.rng = rng
        self.corpus = corpus
        tokens = {"name": set(), "op": set(), "number": set(), "string": set()}
        for text in corpus[:400]:
            for m in TOKEN_RE.finditer(text):
                tokens[m.lastgroup].add(m.group())
        self.tokens = {k: sorted(v) for k, v in tokens.items()}

    # -- line mutations --
    def delete_lines(self, lines):
        if lines:
            i = self.rng.randrange(len(lines))
            del lines[i:i + self.rng.choice([1, 1, 1, 2, 5])]

    def duplicate_line(self, lines):
        if lines:
            i = self.rng.randrange(len(lines))
            lines[i:i] = [lines[i]] * self.rng.choice([1, 1, 2, 10])

    def swap_lines(self, lines):
        if len(lines) > 1:
            i, j = self.rng.randrange(len(lines)), self.rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]

    def reindent(self, lines):
        if lines:
            i = self.rng.randrange(len(lines))
            if self.rng.random() < 0.5:
                lines[i] = "    " + lines[i]
            else:
                lines[i] = lines[i][4:] if lines[i].startswith("    ") else lines[i].lstrip()

    def splice(self, lines):
        other = self.rng.choice(self.corpus).split("\n")
        if not other:
            return
        a = self.rng.randrange(len(other))
        piece = other[a:a + self.rng.choice([1, 3, 8, 30])]
        at = self.rng.randrange(len(lines) + 1)
        indent = ""
        if at < len(lines):
            indent = lines[at][:len(lines[at]) - len(lines[at].lstrip())]
        base = min((len(p) - len(p.lstrip()) for p in piece if p.strip()), default=0)
        lines[at:at] = [indent + p[base:] for p in piece]

    def insert_statement(self, lines):
        if lines:
            i = self.rng.randrange(len(lines))
            indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
            stmt = self.rng.choice(STATEMENTS).split("\n")
            lines[i:i] = [indent + s for s in stmt]

    def nest_block(self, lines):
        if not lines:
            return
        i = self.rng.randrange(len(lines))
        depth = self.rng.choice([2, 10, 50, 99, 101, 200])
        indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
        out = []
        for d in range(depth):
            out.append(indent + " " * d + self.rng.choice(BLOCK_HEADERS))
        body = lines[i].lstrip() or "pass"
        out.append(indent + " " * depth + body)
        if "try:" in "".join(out):
            for d in reversed(range(depth)):
                if out[d].endswith("try:"):
                    out.append(indent + " " * d + "finally: pass")
        lines[i:i + 1] = out

    # -- token mutations on the whole text --
    def _pick(self, text, kind=None):
        found = [m for m in TOKEN_RE.finditer(text) if kind is None or m.lastgroup == kind]
        return self.rng.choice(found) if found else None

    def extreme_number(self, text):
        m = self._pick(text, "number")
        if m:
            return text[:m.start()] + self.rng.choice(EXTREME_NUMBERS) + text[m.end():]
        return text

    def odd_string(self, text):
        m = self._pick(text, "string")
        if m:
            return text[:m.start()] + self.rng.choice(ODD_STRINGS) + text[m.end():]
        return text

    def replace_token(self, text):
        m = self._pick(text)
        if m and self.tokens[m.lastgroup]:
            return text[:m.start()] + self.rng.choice(self.tokens[m.lastgroup]) + text[m.end():]
        return text

    def drop_token(self, text):
        m = self._pick(text)
        return text[:m.start()] + text[m.end():] if m else text

    def nest_expression(self, text):
        m = self._pick(text, self.rng.choice(["name", "number", "string"]))
        if not m:
            return text
        opening, closing = self.rng.choice(NESTERS)
        depth = self.rng.choice([3, 30, 100, 300, 1000, 5000])
        return text[:m.start()] + opening * depth + m.group() + closing * depth + text[m.end():]

    def mutate(self, text):
        line_ops = [self.delete_lines, self.duplicate_line, self.swap_lines, self.reindent,
                    self.splice, self.insert_statement, self.nest_block]
        text_ops = [self.extreme_number, self.extreme_number, self.odd_string, self.replace_token,
                    self.replace_token, self.drop_token, self.nest_expression]
        for _ in range(self.rng.choice([1, 1, 2, 3, 5])):
            if self.rng.random() < 0.5:
                lines = text.split("\n")
                self.rng.choice(line_ops)(lines)
                text = "\n".join(lines)
            else:
                text = self.rng.choice(text_ops)(text)
        return text


SANITIZER_ENV = {
    "ASAN_OPTIONS": "detect_leaks=1:exitcode=86:allocator_may_return_null=1",
    "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=86",
    "LSAN_OPTIONS": "exitcode=86",
}
FRAME_RE = re.compile(r"#\d+ 0x[0-9a-f]+ in (\S+) (\S+)")
UBSAN_RE = re.compile(r"^(\S+:\d+:\d+): runtime error: (.*)$", re.M)


def classify(rc, err):
    """None for an ordinary run, else (kind, signature) naming the place that failed."""
    if "runtime error:" in err:
        m = UBSAN_RE.search(err)
        return ("ubsan", m.group(1).split("/")[-1] + " " + m.group(2)[:60] if m else "ubsan")
    for kind in ("AddressSanitizer", "LeakSanitizer"):
        if "ERROR: " + kind in err:
            what = re.search(r"ERROR: \w+: ([\w-]+)", err)
            frames = [f for f in FRAME_RE.findall(err)
                      if not f[0].startswith(("__", "malloc", "calloc", "realloc", "free"))]
            place = frames[0][1].split("/")[-1] if frames else "?"
            top = frames[0][0] if frames else "?"
            return (kind, f"{what.group(1) if what else '?'} in {top} {place}")
    if "aio: out of memory" in err:
        return ("oom", "aio: out of memory")
    if rc == 86:
        return ("sanitizer", err.strip().splitlines()[-1][:80] if err.strip() else "?")
    if rc < 0 and not (rc == -2 and "KeyboardInterrupt" in err):
        return ("signal", f"signal {-rc}")
    return None


def run_case(aio, path, cwd, timeout):
    env = dict(os.environ, **SANITIZER_ENV)
    try:
        p = subprocess.run([aio, path], cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, env=env, timeout=timeout)
        return p.returncode, p.stderr.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        return None, (e.stderr or b"").decode("utf-8", "replace")


def child_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def minimize(aio, path, timeout):
    """Deletes lines (chunks, then single lines) while the run still fails the same way."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    work = tempfile.mkdtemp(prefix="aio-min-")
    case = os.path.join(work, "case.aio")

    def verdict(ls):
        with open(case, "w") as f:
            f.write("\n".join(ls))
        rc, err = run_case(aio, case, work, timeout)
        return ("hang", "") if rc is None else classify(rc, err)

    target = verdict(lines)
    if not target:
        sys.exit(f"{path} does not fail")
    chunk = max(1, len(lines) // 2)
    while chunk >= 1:
        i = 0
        while i < len(lines):
            trial = lines[:i] + lines[i + chunk:]
            if trial and verdict(trial) == target:
                lines = trial
            else:
                i += chunk
        chunk //= 2
    print("\n".join(lines))
    print(f"# {target[0]}: {target[1]}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--aio", default=os.path.join(ROOT, "build", "aio-fuzz-cli"))
    ap.add_argument("--time", type=float, default=600, help="seconds to run (default 600)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "mutate-findings"))
    ap.add_argument("--timeout", type=float, default=10)
    ap.add_argument("--minimize", metavar="FILE")
    args = ap.parse_args()
    args.aio = os.path.abspath(args.aio)
    if not os.path.exists(args.aio):
        sys.exit(f"{args.aio} is missing: build it with `make VARIANT=fuzz`")
    if args.minimize:
        minimize(args.aio, args.minimize, args.timeout)
        return
    seed = args.seed if args.seed is not None else int(time.time())
    rng = random.Random(seed)
    corpus = load_corpus()
    mutator = Mutator(rng, corpus)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="aio-mutate-")
    case = os.path.join(work, "case.aio")
    seen = {os.path.splitext(f)[0] for f in os.listdir(args.out)}
    start = time.time()
    last_status = start
    execs = findings = hangs = 0
    print(f"seed {seed}, {len(corpus)} programs, findings in {args.out}", flush=True)
    while time.time() - start < args.time:
        text = mutator.mutate(rng.choice(corpus))
        with open(case, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        rc, err = run_case(args.aio, case, work, args.timeout)
        execs += 1
        verdict = ("hang", "timeout") if rc is None else classify(rc, err)
        if verdict:
            kind, signature = verdict
            name = kind + "-" + hashlib.sha1(signature.encode()).hexdigest()[:10]
            if kind == "hang":
                name += "-" + hashlib.sha1(text.encode("utf-8", "replace")).hexdigest()[:6]
                hangs += 1
            if name not in seen:
                seen.add(name)
                findings += kind != "hang"
                with open(os.path.join(args.out, name + ".aio"), "w", encoding="utf-8",
                          errors="surrogatepass") as f:
                    f.write(text)
                with open(os.path.join(args.out, name + ".txt"), "w") as f:
                    f.write(f"{kind}: {signature}\n\n{err[-6000:]}")
                print(f"NEW {name}: {signature}", flush=True)
        if time.time() - last_status > 30:
            last_status = time.time()
            print(f"{execs} execs, {findings} findings, {hangs} hangs, "
                  f"{child_cpu():.0f}s CPU", flush=True)
    print(f"done: {execs} execs in {time.time() - start:.0f}s, {child_cpu():.0f}s CPU, "
          f"{findings} new findings, {hangs} hangs", flush=True)


if __name__ == "__main__":
    main()
