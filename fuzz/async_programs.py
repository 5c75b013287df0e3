#!/usr/bin/env python3
"""Differential fuzzing of the event loop: random asyncio programs, run by aio and by python3.

Each seed makes a program of a few tasks that interleave sleep(0) round robins, long sleeps that
are always cancelled in the end, cancellations of each other and of themselves, wait_for timeouts,
gather, shield and futures completed by callbacks.  Every such program is deterministic, so aio
must print exactly what CPython prints: any difference is a bug in aio's interleaving or
cancellation.

    python3 fuzz/async_programs.py [--aio PATH] [--seeds N] [--first S] [--keep DIR]

Prints one line per differing seed and a final count; the programs that differ are kept in DIR
(default /tmp/aio-fuzz) to be rerun by hand.  Try it with the sanitizer and GC-stress builds too
(--aio build/aio-asan, --aio build/aio-gc).
"""
import argparse
import os
import random
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

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


def run(cmd):
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        return done.returncode, done.stdout
    except subprocess.TimeoutExpired:
        return "timeout", ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--aio", default=os.path.join(ROOT, "aio"))
    ap.add_argument("--seeds", type=int, default=200)
    ap.add_argument("--first", type=int, default=1)
    ap.add_argument("--keep", default="/tmp/aio-fuzz")
    args = ap.parse_args()
    os.makedirs(args.keep, exist_ok=True)
    failed = 0
    for seed in range(args.first, args.first + args.seeds):
        path = os.path.join(args.keep, f"seed{seed}.py")
        with open(path, "w") as f:
            f.write(program(seed))
        expected = run([sys.executable, path])
        got = run([args.aio, path])
        if got != expected:
            failed += 1
            print(f"seed {seed}: aio differs from python3 ({path})")
        else:
            os.remove(path)
    print(f"{args.seeds - failed} agreed, {failed} differed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
