#!/usr/bin/env python3
"""Differential fuzzing of the compiler's block handling: random nests of loops, try/except/
else/finally, with and async with, run by aio and by python3.

Each seed makes a program of several functions whose bodies nest for and while loops, try
statements with handlers, else and finally clauses, context managers (some of which swallow the
exception) and, in async programs, async with and awaits, down to a few levels; the statements
inside are traces, raises (fresh, bare re-raise, from), division by zero, break, continue,
return and (in generator programs) yield, in every place Python 3.11 allows them (continue and return in finally included).  The
driver calls each function and prints its result or its exception with the __context__ and
__cause__ chain, and the trace of what ran.  Programs are deterministic, so aio must print exactly
what CPython prints.

    python3 fuzz/block_flow.py [--aio PATH] [--seeds N] [--first S] [--keep DIR] [--functions K]

Prints one line per differing seed and a final count; the differing programs are kept in DIR
(default /tmp/aio-fuzz-blocks).  The debug build (build/aio-debug) also checks every
instruction's stack depth against the compiler's, which catches miscompiled exits that happen
to print the right thing.
"""
import random
import sys

import _diffrun

PRELUDE = '''import asyncio

T = []


class CM:
    def __init__(self, n, swallow):
        self.n = n
        self.swallow = swallow

    def __enter__(self):
        T.append(('enter', self.n))
        return self.n

    def __exit__(self, et, ev, tb):
        T.append(('exit', self.n, et.__name__ if et else None))
        return self.swallow


class ACM(CM):
    async def __aenter__(self):
        await asyncio.sleep(0)
        return self.__enter__()

    async def __aexit__(self, et, ev, tb):
        await asyncio.sleep(0)
        return self.__exit__(et, ev, tb)


def describe(e):
    parts = []
    seen = 0
    while e is not None and seen < 6:
        parts.append(type(e).__name__ + repr(e.args))
        if e.__cause__ is not None:
            parts.append('cause')
            e = e.__cause__
        else:
            parts.append('context')
            e = e.__context__
        seen += 1
    return ' '.join(parts)


def drive(gen):
    # Sends each yielded value back plus one; returns what was yielded and the return value.
    got = []
    try:
        v = next(gen)
        while True:
            got.append(v)
            v = gen.send(v + 1)
    except StopIteration as stop:
        return got, stop.value


def report(name, call):
    T.clear()
    try:
        r = call()
        print(name, 'returned', r, T)
    except Exception as e:
        print(name, 'raised', describe(e), T)
'''


class Gen:
    def __init__(self, rng, is_async, is_generator=False):
        self.rng = rng
        self.is_async = is_async
        self.is_generator = is_generator
        self.counter = 0
        self.lines = []

    def label(self):
        self.counter += 1
        return self.counter

    def emit(self, ind, text):
        self.lines.append('    ' * ind + text)

    def simple(self, ind, ctx):
        """One simple statement allowed in ctx (a dict of what encloses it)."""
        r = self.rng
        choices = ['trace', 'trace', 'raise', 'div']
        if ctx['loop']:
            choices += ['break', 'continue', 'continue']
        choices += ['return', 'return']
        if ctx['handler']:
            choices += ['reraise', 'raise_from']
        if self.is_async:
            choices.append('await')
        if self.is_generator:
            choices += ['yield', 'yield']
        kind = r.choice(choices)
        n = self.label()
        if kind == 'trace':
            self.emit(ind, f'T.append({n})')
        elif kind == 'raise':
            exc = r.choice(['ValueError', 'KeyError', 'TypeError'])
            self.emit(ind, f'raise {exc}({n})')
        elif kind == 'div':
            self.emit(ind, f'T.append({n} // 0)')
        elif kind == 'break':
            self.emit(ind, f'T.append(("break", {n}))')
            self.emit(ind, 'break')
        elif kind == 'continue':
            self.emit(ind, f'T.append(("continue", {n}))')
            self.emit(ind, 'continue')
        elif kind == 'return':
            self.emit(ind, f'return {n}')
        elif kind == 'reraise':
            self.emit(ind, 'raise')
        elif kind == 'raise_from':
            self.emit(ind, f'raise RuntimeError({n}) from {ctx["handler"]}')
        elif kind == 'await':
            self.emit(ind, 'await asyncio.sleep(0)')
        elif kind == 'yield':
            self.emit(ind, f'T.append(("sent", (yield {n})))')
        return kind in ('raise', 'break', 'continue', 'return', 'reraise', 'raise_from')

    def body(self, ind, ctx, depth):
        """A block of 1-3 statements; stops after a statement that always leaves."""
        for _ in range(self.rng.randint(1, 3)):
            if depth > 0 and self.rng.random() < 0.55:
                self.compound(ind, ctx, depth - 1)
            elif self.simple(ind, ctx):
                return

    def compound(self, ind, ctx, depth):
        r = self.rng
        kinds = ['for', 'while', 'try', 'try', 'try', 'with']
        kind = r.choice(kinds)
        n = self.label()
        if kind == 'for':
            self.emit(ind, f'for i{n} in range({r.randint(0, 3)}):')
            self.body(ind + 1, dict(ctx, loop=True), depth)
            if r.random() < 0.3:
                self.emit(ind, 'else:')
                self.body(ind + 1, ctx, depth)
        elif kind == 'while':
            self.emit(ind, f'w{n} = 0')
            self.emit(ind, f'while w{n} < {r.randint(0, 3)}:')
            self.emit(ind + 1, f'w{n} += 1')
            self.body(ind + 1, dict(ctx, loop=True), depth)
            if r.random() < 0.3:
                self.emit(ind, 'else:')
                self.body(ind + 1, ctx, depth)
        elif kind == 'with':
            swallow = r.random() < 0.4
            if self.is_async and r.random() < 0.5:
                self.emit(ind, f'async with ACM({n}, {swallow}) as v{n}:')
            else:
                self.emit(ind, f'with CM({n}, {swallow}) as v{n}:')
            self.body(ind + 1, ctx, depth)
        else:
            self.emit(ind, 'try:')
            self.body(ind + 1, ctx, depth)
            handlers = r.choice([0, 1, 1, 2])
            has_finally = handlers == 0 or r.random() < 0.6
            for h in range(handlers):
                exc = r.choice(['ValueError', 'KeyError', '(TypeError, ZeroDivisionError)', 'Exception'])
                name = f'e{n}_{h}'
                self.emit(ind, f'except {exc} as {name}:')
                self.emit(ind + 1, f'T.append(("caught", {n}, type({name}).__name__))')
                self.body(ind + 1, dict(ctx, handler=name), depth)
            if handlers and r.random() < 0.3:
                self.emit(ind, 'else:')
                self.body(ind + 1, ctx, depth)
            if has_finally:
                self.emit(ind, 'finally:')
                self.emit(ind + 1, f'T.append(("finally", {n}))')
                self.body(ind + 1, ctx, depth)


def make_program(seed, functions):
    rng = random.Random(seed)
    is_async = rng.random() < 0.3
    is_generator = not is_async and rng.random() < 0.4
    out = [PRELUDE]
    names = []
    for k in range(functions):
        g = Gen(rng, is_async, is_generator)
        g.emit(0, f'{"async " if is_async else ""}def f{k}():')
        if is_generator:
            g.emit(1, 'T.append(("sent", (yield 0)))')
        g.body(1, {'loop': False, 'handler': None}, rng.randint(1, 4))
        g.emit(1, 'return "end"')
        out.append('\n'.join(g.lines) + '\n')
        names.append(f'f{k}')
    for name in names:
        if is_async:
            out.append(f'report({name!r}, lambda: asyncio.run({name}()))')
        elif is_generator:
            out.append(f'report({name!r}, lambda: drive({name}()))')
        else:
            out.append(f'report({name!r}, {name})')
    return '\n'.join(out) + '\n'


def main():
    ap = _diffrun.parser(__doc__, keep='/tmp/aio-fuzz-blocks', first=0)
    ap.add_argument('--functions', type=int, default=10, help='functions per program (default 10)')
    args = ap.parse_args()
    return _diffrun.compare(args, ((f'seed {seed}', f'blocks_{seed}.py', make_program(seed, args.functions))
                                   for seed in range(args.first, args.first + args.seeds)))


if __name__ == '__main__':
    sys.exit(main())
