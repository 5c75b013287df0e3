#!/usr/bin/env python3
"""Differential fuzzing: random deterministic programs, run by aio and by python3.

Each seed makes two programs.  The first is a few asyncio tasks that interleave sleep(0) round
robins, long sleeps that are always cancelled in the end, cancellations of each other and of
themselves, wait_for timeouts, gather, shield and futures completed by callbacks.  The second
(flow_program) is random control flow: loops whose bodies break, continue and return from inside
try/finally (and from the finally blocks themselves), exceptions raised and caught on the way,
generators delegating with yield from (and being sent, thrown into and closed), unpacking with
stars, set literals, and nested with / async with blocks whose managers print and may swallow
the exception.  Every such program is deterministic, so aio must print exactly what CPython
prints: any difference is a bug.

    python3 fuzz/async_programs.py [--aio PATH] [--seeds N] [--first S] [--keep DIR] [--kind K]

Prints one line per differing seed and a final count; the programs that differ are kept in DIR
(default /tmp/aio-fuzz) to be rerun by hand.  Try it with the sanitizer and GC-stress builds too
(--aio build/aio-asan, --aio build/aio-gc).
"""
import random
import sys

import _diffrun

WORKER = '''import asyncio

async def worker(i, steps, tasks):
    try:
        for k, op in enumerate(steps):
            if op == 0:
                await asyncio.sleep(0)
            elif op == 1:
                await asyncio.sleep(100, k)
            elif op == 2:
                t = tasks[(i + k) % len(tasks)]
                print(i, 'cancel', t.get_name(), t.cancel(f'by {i}'))
            elif op == 3:
                try:
                    await asyncio.wait_for(asyncio.sleep(100), 0)
                except asyncio.TimeoutError:
                    print(i, 'timeout')
            elif op == 4:
                r = await asyncio.gather(asyncio.sleep(0, 'a'), asyncio.sleep(0, 'b'), return_exceptions=True)
                print(i, 'gathered', r)
            elif op == 5:
                fut = asyncio.get_running_loop().create_future()
                asyncio.get_running_loop().call_soon(fut.set_result, k)
                print(i, 'future', await fut)
            elif op == 6:
                try:
                    await asyncio.shield(asyncio.sleep(0, 's'))
                except asyncio.CancelledError:
                    print(i, 'shield cancelled')
                    raise
            print(i, 'step', k, op)
        return i
    except asyncio.CancelledError as e:
        print(i, 'cancelled', e.args)
        raise
    finally:
        print(i, 'finally')
'''


def program(seed):
    r = random.Random(seed)
    lines = [WORKER, "async def main():", "    tasks = []"]
    for i in range(r.randint(2, 6)):
        steps = [r.choice([0, 0, 0, 1, 2, 3, 4, 5, 6]) for _ in range(r.randint(1, 8))]
        lines.append(f"    tasks.append(asyncio.create_task(worker({i}, {steps}, tasks), name='w{i}'))")
    lines += [
        f"    for _ in range({r.randint(0, 12)}):",
        "        await asyncio.sleep(0)",
        "    for t in tasks:",  # every long sleep ends: the program always finishes
        "        print('main cancel', t.get_name(), t.cancel('main'))",
        "    res = await asyncio.gather(*tasks, return_exceptions=True)",
        "    print([type(x).__name__ if isinstance(x, BaseException) else x for x in res])",
        "",
        "asyncio.run(main())",
    ]
    return "\n".join(lines) + "\n"


FLOW_PRELUDE = '''import asyncio

class CM:
    def __init__(self, name, swallow=False):
        self.name, self.swallow = name, swallow
    def __enter__(self):
        print('enter', self.name)
        return self.name
    def __exit__(self, t, v, tb):
        print('exit', self.name, t.__name__ if t else None, v)
        return self.swallow

class ACM:
    def __init__(self, name, swallow=False):
        self.name, self.swallow = name, swallow
    async def __aenter__(self):
        await asyncio.sleep(0)
        print('aenter', self.name)
        return self.name
    async def __aexit__(self, t, v, tb):
        await asyncio.sleep(0)
        print('aexit', self.name, t.__name__ if t else None, v)
        return self.swallow

def sub(n, fail):
    try:
        for i in range(n):
            got = yield i
            if got is not None:
                print('sub got', got)
        if fail:
            raise KeyError(n)
        return n * 10
    finally:
        print('sub finally', n)

def close_fully(it):
    # a generator may ignore GeneratorExit (a yield after break/continue in a finally): close it
    # again until it ends, so that nothing is left for the garbage collector to finalize
    for _ in range(100):
        try:
            it.close()
            return
        except RuntimeError as e:
            print('close:', e)

def report(name, thunk):
    try:
        print(name, 'returned', thunk())
    except Exception as e:
        print(name, 'raised', type(e).__name__, e)
'''


class FlowGen:
    """Random statements for flow_program; ctx says what the enclosing blocks allow."""

    def __init__(self, r):
        self.r = r
        self.tag = 0

    def next_tag(self):
        self.tag += 1
        return self.tag

    def cond(self, ctx):
        v = self.r.choice(ctx["vars"]) if ctx["vars"] else "0"
        return self.r.choice([f"{v} == {self.r.randint(0, 2)}", f"{v} % 2", "True", "False",
                              f"{v} > {self.r.randint(0, 3)}"])

    def block(self, ctx, depth, ind):
        lines = []
        for _ in range(self.r.randint(1, 3)):
            lines += self.stmt(ctx, depth, ind)
        return lines

    def stmt(self, ctx, depth, ind):
        r, pad, t = self.r, "    " * ind, self.next_tag()
        kinds = ["print", "print", "unpack", "set", "raise_if"]
        if depth < 3:
            kinds += ["for", "while", "try_finally", "try_except", "with", "if"]
            if ctx["async"]:
                kinds += ["async_with"]
        if ctx["loop"]:
            kinds += ["break", "continue"]
        if ctx["func"]:
            kinds += ["return"]
        if ctx["gen"]:
            kinds += ["yield", "yield_from", "yield_from"]
        if ctx["async"]:
            kinds += ["await"]
        k = r.choice(kinds)
        v = r.choice(ctx["vars"]) if ctx["vars"] else "0"
        if k == "print":
            return [f"{pad}print({t}, {v})"]
        if k == "unpack":
            return r.choice([
                [f"{pad}a{t}, *b{t}, c{t} = range({v} + {r.randint(2, 4)})", f"{pad}print({t}, a{t}, b{t}, c{t})"],
                [f"{pad}(p{t}, (q{t}, *s{t})) = {v}, [{t}, *range({r.randint(0, 3)})]", f"{pad}print({t}, p{t}, q{t}, s{t})"],
                [f"{pad}first{t}, *rest{t} = [*range({r.randint(1, 3)}), *'ab']", f"{pad}print({t}, first{t}, *rest{t}, sep='|')"],
                [f"{pad}d{t} = {{**{{'x': {v}}}, **{{'y': {t}, 'x': 0}}}}", f"{pad}print({t}, d{t})"],
                [f"{pad}try:", f"{pad}    x{t}, y{t} = range({v} + {r.randint(0, 3)})",
                 f"{pad}except ValueError as e:", f"{pad}    print({t}, e)"],
            ])
        if k == "set":
            return r.choice([
                [f"{pad}print({t}, sorted({{{v}, {t}, {v}, 1, True, 1.0}}))"],
                [f"{pad}print({t}, len({{*range({v} + 2), *[{t}, {t}]}}), {{{t}}} | {{{t}}})"],
                [f"{pad}print({t}, {{{v}}} == {{{v}, {v}}}, {t} in {{{t}, 'x'}}, sorted({{-{v}, {v}}}))"],
            ])
        if k == "raise_if":
            exc = r.choice(["ValueError", "KeyError", "RuntimeError"])
            return [f"{pad}if {self.cond(ctx)}:", f"{pad}    raise {exc}({t})"]
        if k == "break":
            return [f"{pad}if {self.cond(ctx)}:", f"{pad}    print({t}, 'break')", f"{pad}    break"]
        if k == "continue":
            return [f"{pad}if {self.cond(ctx)}:", f"{pad}    print({t}, 'continue')", f"{pad}    continue"]
        if k == "return":
            return [f"{pad}if {self.cond(ctx)}:", f"{pad}    return ({t}, {v})"]
        if k == "yield":
            return [f"{pad}got{t} = yield {v}", f"{pad}print({t}, 'got', got{t})"]
        if k == "yield_from":
            return [f"{pad}r{t} = yield from sub({r.randint(0, 3)}, {r.choice(['False', 'False', 'True'])})",
                    f"{pad}print({t}, 'delegated', r{t})"]
        if k == "await":
            return [f"{pad}print({t}, await asyncio.sleep(0, {v}))"]
        if k == "if":
            return [f"{pad}if {self.cond(ctx)}:"] + self.block(ctx, depth + 1, ind + 1) + \
                   [f"{pad}else:"] + self.block(ctx, depth + 1, ind + 1)
        inner = dict(ctx, vars=ctx["vars"] + [f"i{t}"])
        loop_ctx = dict(inner, loop=True)
        if k == "for":
            return [f"{pad}for i{t} in range({r.randint(0, 4)}):"] + self.block(loop_ctx, depth + 1, ind + 1) + \
                   ([f"{pad}else:", f"{pad}    print({t}, 'for else')"] if r.random() < 0.3 else [])
        if k == "while":
            return [f"{pad}i{t} = 0", f"{pad}while i{t} < {r.randint(1, 4)}:", f"{pad}    i{t} += 1"] + \
                   self.block(loop_ctx, depth + 1, ind + 1)
        if k == "try_finally":
            return [f"{pad}try:"] + self.block(ctx, depth + 1, ind + 1) + \
                   [f"{pad}finally:", f"{pad}    print({t}, 'finally')"] + \
                   (self.block(ctx, depth + 1, ind + 1) if r.random() < 0.5 else [])
        if k == "try_except":
            exc = r.choice(["ValueError", "KeyError", "Exception", "(KeyError, ValueError)"])
            return [f"{pad}try:"] + self.block(ctx, depth + 1, ind + 1) + \
                   [f"{pad}except {exc} as e{t}:", f"{pad}    print({t}, 'caught', type(e{t}).__name__, e{t})"] + \
                   (self.block(ctx, depth + 1, ind + 1) if r.random() < 0.3 else []) + \
                   ([f"{pad}else:", f"{pad}    print({t}, 'else')"] if r.random() < 0.3 else [])
        if k in ("with", "async_with"):
            cm = "ACM" if k == "async_with" else "CM"
            head = "async with" if k == "async_with" else "with"
            items = ", ".join(f"{cm}('{t}{c}', {r.choice(['False', 'True'])})" + (f" as w{t}" if c == "a" else "")
                              for c in "ab"[:r.randint(1, 2)])
            return [f"{pad}{head} {items}:"] + self.block(ctx, depth + 1, ind + 1)
        raise AssertionError(k)


def flow_program(seed):
    r = random.Random(seed)
    g = FlowGen(r)
    lines = [FLOW_PRELUDE]
    base = {"loop": False, "func": True, "gen": False, "async": False, "vars": ["n"]}
    for i in range(r.randint(1, 3)):
        lines.append(f"def f{i}(n):")
        lines += g.block(base, 0, 1)
        lines.append(f"    return 'end'")
        lines.append(f"report('f{i}', lambda: f{i}({r.randint(0, 2)}))")
    for i in range(r.randint(1, 2)):
        lines.append(f"def g{i}(n):")
        lines += g.block(dict(base, gen=True), 0, 1)
        lines.append(f"    return 'gen end'")
        lines.append(f"report('g{i} list', lambda: list(g{i}({r.randint(0, 2)})))")
        # drive it by hand: send values, then throw into it or close it.  It is closed in the
        # end (until it is really finished), because aio finalizes an abandoned generator later
        # than CPython (spec.md).
        lines += [f"def drive{i}():",
                  f"    it = g{i}({r.randint(0, 2)})",
                  f"    out = []",
                  f"    try:",
                  f"        out.append(next(it))",
                  f"        for v in range({r.randint(0, 3)}):",
                  f"            out.append(it.send(v))",
                  f"        " + r.choice([f"out.append(it.throw(ValueError('thrown')))", "it.close()", "out.append(next(it))"]),
                  f"        return out",
                  f"    finally:",
                  f"        print('drive{i} closes', out)",
                  f"        close_fully(it)",
                  f"report('g{i} driven', drive{i})"]
    lines.append("async def main(n):")
    lines += g.block(dict(base, **{"async": True}), 0, 1)
    lines.append("    return 'main end'")
    lines.append(f"report('main', lambda: asyncio.run(main({r.randint(0, 2)})))")
    return "\n".join(lines) + "\n"


def main():
    ap = _diffrun.parser(__doc__, keep="/tmp/aio-fuzz", timeout=60)
    ap.add_argument("--kind", choices=["async", "flow", "all"], default="all",
                    help="which programs each seed makes (default both)")
    args = ap.parse_args()
    makers = {"async": program, "flow": flow_program}
    kinds = list(makers) if args.kind == "all" else [args.kind]
    return _diffrun.compare(args, ((f"{kind} seed {seed}", f"{kind}{seed}.py", makers[kind](seed))
                                   for seed in range(args.first, args.first + args.seeds)
                                   for kind in kinds))


if __name__ == "__main__":
    sys.exit(main())
