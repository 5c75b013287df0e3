#!/usr/bin/env python3
"""The REPL's tests, on a real pseudo-terminal (terminal.py): keys in, screen out.

Each test_* function below drives one or more REPL sessions.  Every session runs with its own
empty $HOME (the history file goes there) and is killed if it outlives its test; every wait is
bounded.  The piped-stdin mode (`aio < prog.aio`) has golden tests beside this file
(piped_*.aio, run by tests/run.py like any other).

Usage: tests/repl/run.py [--aio PATH] [-v] [NAME ...]   (make test and make test-asan run it)
Prints one line per failure and "N passed, M failed"; exit status 0 iff nothing failed.
"""
import argparse
import concurrent.futures
import os
import shutil
import sys
import tempfile
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from terminal import Session  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parents[2]
AIO = str(REPO_ROOT / "aio")

UP, LEFT, RIGHT = "\x1b[A", "\x1b[D", "\x1b[C"
CTRL_C, CTRL_D = "\x03", "\x04"


class Home:
    """A temporary $HOME for one test; sessions started from it share its history file."""

    def __init__(self):
        self.path = tempfile.mkdtemp(prefix="aio-repl-")
        self.sessions = []

    def start(self, *args, unset=(), **extra):
        env = dict(os.environ, HOME=self.path, TERM="xterm")
        env.pop("NO_COLOR", None)
        for name in unset:
            env.pop(name, None)
        env.update(extra)
        s = Session([AIO, *args], env)
        self.sessions.append(s)
        return s

    def close(self):
        for s in self.sessions:
            s.kill()
        shutil.rmtree(self.path, ignore_errors=True)


def prompt(s, settle=False):
    s.expect(">>> ")
    if settle:  # keys sent before libedit has the terminal in raw mode are echoed by the terminal
        s.settle(quiet=0.1)


def end_with_ctrl_d(s):
    s.settle(quiet=0.1)  # idle at the prompt: a ^D typed ahead would reach the terminal's
    s.send(CTRL_D)       # line discipline instead of libedit


# ---- the tests ------------------------------------------------------------------------------------

def test_banner_block_and_echo(home):
    s = home.start()
    s.expect("aio ")
    s.expect("help()")
    prompt(s)
    s.send("def f(x):\r")
    s.send("return x * 2\r")  # auto-indented: the line starts with four spaces already
    s.expect("...     return x * 2")
    s.send("\r")              # the auto-indented blank line ends the block
    prompt(s)
    s.send("f(21)\r")
    s.expect("42")
    s.send("_ + 1\r")
    s.expect("43")
    s.send("None\r")
    prompt(s)
    s.send("print('a'); print('b')\r")
    s.expect("a\nb\n>>> ")
    s.send("1/0\r")
    s.expect('File "<stdin>", line 1, in <module>')
    s.expect("ZeroDivisionError: division by zero")
    prompt(s)
    s.send("x = = 1\r")
    s.expect("SyntaxError: invalid syntax")
    prompt(s)
    s.send("exit\r")
    assert s.wait_exit() == 0


def test_quiet_has_no_banner(home):
    s = home.start("-q")
    prompt(s)
    assert "aio " not in s.text(), s.text()
    s.send("quit()\r")
    assert s.wait_exit() == 0


def test_top_level_await(home):
    s = home.start("-q")
    prompt(s)
    s.send("await asyncio.sleep(0.05)\r")
    prompt(s)
    s.send("r = await asyncio.sleep(0.01, 'done')\r")
    prompt(s)
    s.send("r\r")
    s.expect("'done'")
    s.send("async def agen():\r")
    s.send("for i in range(3):\r")
    s.send("yield i\r")
    s.send("await asyncio.sleep(0)\r\r")
    prompt(s)
    s.send("[x * 10 async for x in agen()]\r")
    s.expect("[0, 10, 20]")
    s.send("async for x in agen(): print('got', x)\r\r")
    s.expect("got 2")
    s.send("lock = asyncio.Lock()\r")
    s.send("async with lock: print('locked', lock.locked())\r\r")
    s.expect("locked True")
    s.send("asyncio.get_running_loop() is asyncio.get_event_loop()\r")
    s.expect("True")
    s.send("async def main(): return 5\r\r")
    s.send("asyncio.run(main())\r")
    s.expect("the REPL already runs one")
    s.expect('write "await main()" instead')
    prompt(s)
    s.send("await main()\r")
    s.expect("5")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


# Prints "tick N" every 0.15 s, to stdout for even N and to stderr for odd N.
TICKER = ("import sys\r" "async def tick():\r" "for i in range(1000):\r"
          "print('tick', i, file=sys.stderr if i % 2 else sys.stdout)\r" "await asyncio.sleep(0.15)\r\r")


def test_background_output_redraws_the_line(home):
    s = home.start("-q")
    prompt(s)
    s.send(TICKER)
    prompt(s)
    s.send("t = asyncio.create_task(tick())\r")
    prompt(s, settle=True)
    s.send("abc = 12" + LEFT)   # half-typed, the cursor left of the '2'
    s.expect("tick 1")
    s.expect("tick 2")
    s.settle(quiet=0.05)
    screen = s.screen()
    assert screen.cursor_line() == ">>> abc = 12", screen.lines()[-6:]
    assert screen.col == len(">>> abc = 1"), (screen.col, screen.lines()[-6:])
    lines = screen.lines()
    assert "tick 2" in lines[screen.row - 1] or "tick 3" in lines[screen.row - 1], lines[-6:]
    assert "tick 1" in lines[screen.row - 2] or "tick 2" in lines[screen.row - 2], lines[-6:]  # stderr too
    assert sum(1 for line in lines if line.startswith(">>> abc")) == 1, lines[-8:]  # drawn once
    s.send("3\r")               # typed where the cursor was: abc = 132
    prompt(s)
    s.send("abc\r")
    s.expect("132")
    s.send("t.cancel()\r")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_a_wrapped_line_under_background_output(home):
    s = home.start("-q")
    prompt(s)
    s.send(TICKER)
    prompt(s)
    s.send("t = asyncio.create_task(tick())\r")
    prompt(s, settle=True)
    typed = "s = '" + "0123456789" * 9 + "'"   # 96 characters: the line wraps at 80 columns
    s.send(typed + LEFT * 10)                  # the cursor on the second row
    s.expect("tick 2")
    s.expect("tick 3")
    s.settle(quiet=0.05)
    screen = s.screen()
    lines = screen.lines()
    at = next(i for i in range(len(lines) - 1, -1, -1) if lines[i].startswith(">>> s = "))
    assert lines[at] + lines[at + 1] == ">>> " + typed, lines[-6:]
    assert sum(1 for line in lines if line.startswith(">>> s = ")) == 1, lines[-8:]
    cursor = len(">>> " + typed) - 10
    assert (screen.row, screen.col) == (at + cursor // 80, cursor % 80), (screen.row, screen.col, at)
    s.send("\x05\r")  # Ctrl-E, Enter
    prompt(s)
    s.send("len(s), t.cancel()\r")
    s.expect("(90, True)")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_input_at_the_prompt(home):
    s = home.start("-q")
    prompt(s, settle=True)
    s.send("n = input('name? ')\r")
    s.expect("name? ")
    s.send("ada\r")             # standard input is still blocking: input() waits for the line
    prompt(s)
    s.send("n\r")
    s.expect("'ada'")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_utf8_whatever_the_locale(home):
    s = home.start("-q", unset=("LANG", "LC_ALL", "LC_CTYPE"))
    prompt(s, settle=True)
    s.send("w = 'h\u00e9llo \u4e16\u754c'\r")
    prompt(s)
    s.send("w, len(w)\r")
    s.expect("('h\u00e9llo \u4e16\u754c', 8)")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_ctrl_c_cancels_the_await_not_the_background(home):
    s = home.start("-q")
    prompt(s)
    s.send(TICKER)
    prompt(s)
    s.send("t = asyncio.create_task(tick())\r")
    prompt(s)
    s.send("await asyncio.sleep(10)\r")
    s.expect("tick 1")
    start = time.monotonic()
    s.send(CTRL_C)
    s.expect("KeyboardInterrupt")
    prompt(s)
    took = time.monotonic() - start
    assert took < 1.0, f"back at the prompt after {took:.2f} s"
    n = int(s.text().rsplit("tick ", 1)[1].split()[0])
    s.expect(f"tick {n + 1}")     # the background task goes on
    s.send("print(t.done())\r")
    s.expect("False")
    prompt(s, settle=True)
    s.send("half typed" + CTRL_C)  # at the prompt: the line is dropped
    s.expect("KeyboardInterrupt")
    prompt(s)
    s.send("while True: pass\r")   # a busy statement: the VM's interrupt check
    time.sleep(0.2)
    s.send(CTRL_C)
    s.expect("KeyboardInterrupt")
    prompt(s)
    s.send("t.cancel()\r")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_ctrl_c_stops_a_runaway_background_task(home):
    s = home.start("-q")
    prompt(s)
    s.send("async def spin():\r" "while True: pass\r\r")
    prompt(s)
    s.send("t = asyncio.create_task(spin(), name='spinner')\r")
    s.expect("spinner')\n")  # the task starts right after the entry: no prompt comes
    time.sleep(0.7)     # the task has held the loop past aiotools' watchdog time
    s.send(CTRL_C)
    s.expect("task 'spinner' ran")
    s.expect("without yielding; interrupted at <stdin>:2")
    prompt(s)
    s.send("t.done(), 6 * 7\r")
    s.expect("(True, 42)")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_tasks_lists_the_background(home):
    s = home.start("-q")
    prompt(s)
    s.send("async def nap():\r" "await asyncio.sleep(100)\r\r")
    prompt(s)
    # typed ahead in one go: the task still takes its first step before the next entry runs
    s.send("t = asyncio.create_task(nap(), name='napper')\rt\r")
    s.expect("coro=<nap() running at <stdin>:2>")
    prompt(s)
    s.send("tasks()\r")
    s.expect("napper")
    s.expect("<stdin>:2")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_history_survives_a_restart(home):
    s = home.start("-q")
    prompt(s)
    s.send("def g():\r")
    s.send("return 'from history'\r\r")
    prompt(s)
    s.send("y = 7\r")
    prompt(s)
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0
    s = home.start("-q")
    prompt(s)
    s.send(UP)
    s.expect("y = 7")
    s.send("\r")
    prompt(s)
    s.send(UP + UP + UP)   # y = 7 again (most recent), y = 7, then the def, whole
    s.expect("return 'from history'")
    s.send("\r")
    prompt(s)
    s.send("g(), y\r")
    s.expect("('from history', 7)")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_ctrl_r_searches_history(home):
    s = home.start("-q")
    prompt(s)
    s.send("zz_marker = 5\r")
    prompt(s)
    s.send("other = 1\r")
    prompt(s, settle=True)
    s.send("\x12zz_m")          # Ctrl-R, then part of the entry
    s.expect("zz_marker = 5")
    s.send("\r")              # accepts the entry found
    s.send("\r")              # runs it
    prompt(s)
    s.send("zz_marker + other\r")
    s.expect("6")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_tab_completes_module_attributes(home):
    s = home.start("-q")
    prompt(s)
    s.send("1\r")
    prompt(s, settle=True)
    s.send("asyncio.sl\t")
    s.expect("eep")
    s.settle(quiet=0.05)
    assert s.screen().cursor_line() == ">>> asyncio.sleep", s.screen().lines()[-3:]
    s.send("\r")
    s.expect("function sleep>")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_tab_completes_object_attributes(home):
    s = home.start("-q")
    prompt(s)
    s.send("t = asyncio.ensure_future(asyncio.sleep(1))\r")
    prompt(s, settle=True)
    s.send("t.ca\t")          # cancel, cancelled, cancelling: as far as they agree
    s.expect("ncel")
    s.settle(quiet=0.05)
    assert s.screen().cursor_line() == ">>> t.cancel", s.screen().lines()[-3:]
    s.send("()\r")
    s.expect("True")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_colour_and_no_colour(home):
    s = home.start("-q")
    prompt(s)
    s.send("1/0\r")
    s.expect("ZeroDivisionError")
    prompt(s)
    assert b"\x1b[1;35m" in s.output, s.output[-300:]   # a magenta prompt and error name
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0
    s = home.start("-q", NO_COLOR="1")
    prompt(s)
    s.send("1/0\r")
    s.expect("ZeroDivisionError")
    prompt(s)
    assert b"\x1b[1;35m" not in s.output and b"\x1b[35m" not in s.output, s.output[-300:]
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_bracketed_paste_is_one_entry(home):
    s = home.start("-q")
    prompt(s)
    block = "def h():\n    a = 1\n\n    return a + 1\nprint('pasted', h())\n"
    s.send("\x1b[200~" + block.replace("\n", "\r") + "\x1b[201~")
    s.expect("pasted 2")
    prompt(s)
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


def test_exit_statuses(home):
    s = home.start("-q")
    prompt(s)
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0
    s = home.start("-q")
    prompt(s)
    s.send("import sys; sys.exit(3)\r")
    assert s.wait_exit() == 3
    s = home.start("-q")
    prompt(s)
    s.send("exit(4)\r")
    assert s.wait_exit() == 4


def test_inspect_after_a_script(home):
    script = Path(home.path) / "prog.aio"
    script.write_text("import asyncio\nvalue = 41\nprint('script ran')\n")
    s = home.start("-i", str(script))
    s.expect("script ran")
    prompt(s)
    s.send("value + 1\r")
    s.expect("42")
    end_with_ctrl_d(s)
    assert s.wait_exit() == 0


# ---- the runner -----------------------------------------------------------------------------------

def run_one(fn):
    home = Home()
    try:
        fn(home)
        return None
    except Exception:
        return traceback.format_exc()
    finally:
        home.close()


def main():
    global AIO
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*")
    ap.add_argument("--aio", default=AIO)
    ap.add_argument("-v", action="store_true")
    opts = ap.parse_args()
    AIO = str(Path(opts.aio).resolve())
    tests = [(n, f) for n, f in globals().items() if n.startswith("test_") and callable(f)]
    if opts.names:
        tests = [(n, f) for n, f in tests if any(w in n for w in opts.names)]
    failed = 0
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        for (name, _), error in zip(tests, pool.map(lambda t: run_one(t[1]), tests)):
            if error:
                failed += 1
                last = error.strip().splitlines()[-1]
                print(f"FAIL tests/repl/run.py::{name}: {last}")
                if opts.v:
                    print(error)
    print(f"{len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
