"""A pseudo-terminal driver for the REPL's tests: runs aio on a pty, types keys, reads the screen.

Session runs a program on a new pty (80x24, TERM=xterm) and keeps everything it wrote.
`expect(text)` waits (bounded) until that text appears in the output since the previous match,
with escape sequences taken out.  Screen replays the output on a small model of a terminal (the
cursor moves, erasures and insertions libedit uses), so that a test can check what the user
sees: which rows hold what, and where the cursor is.
"""
import os
import pty
import re
import select
import signal
import struct
import termios
import fcntl
import time

CSI = re.compile(rb"\x1b\[([?0-9;]*)([@-~])")
ESCAPES = re.compile(rb"\x1b\[[?0-9;]*[@-~]|\x1b[()][0-9A-Za-z]|\x1b[=>78]")


class Screen:
    """Rows of characters and a cursor; rows are never scrolled away."""

    def __init__(self, cols=80):
        self.cols = cols
        self.rows = [[]]
        self.row = self.col = 0

    def _line(self):
        while len(self.rows) <= self.row:
            self.rows.append([])
        line = self.rows[self.row]
        while len(line) < self.col:
            line.append(" ")
        return line

    def _put(self, ch):
        if self.col >= self.cols:  # the wrap a character past the margin makes
            self.row += 1
            self.col = 0
        line = self._line()
        if self.col < len(line):
            line[self.col] = ch
        else:
            line.append(ch)
        self.col += 1

    def _csi(self, params, final):
        private = params.startswith("?")
        nums = [int(p) if p else 0 for p in params.lstrip("?").split(";")] if params.lstrip("?") else []
        n = nums[0] if nums else 0
        if private or final in "hlmr":
            return
        if final == "A":
            self.row = max(0, self.row - max(n, 1))
        elif final == "B":
            self.row += max(n, 1)
        elif final == "C":
            self.col = min(self.cols - 1, self.col + max(n, 1))
        elif final == "D":
            self.col = max(0, self.col - max(n, 1))
        elif final == "G":
            self.col = max(n, 1) - 1
        elif final == "K":
            line = self._line()
            if n == 0:
                del line[self.col:]
            elif n == 2:
                line.clear()
        elif final == "J":
            del self._line()[self.col:]
            del self.rows[self.row + 1:]
        elif final == "P":
            del self._line()[self.col:self.col + max(n, 1)]
        elif final == "@":
            line = self._line()
            line[self.col:self.col] = [" "] * max(n, 1)
            del line[self.cols:]

    def feed(self, data):
        text = data.decode("utf-8", "replace")
        i = 0
        while i < len(text):
            c = text[i]
            if c == "\x1b":
                m = CSI.match(text[i:].encode("utf-8", "replace"))
                if m:
                    self._csi(m.group(1).decode(), m.group(2).decode())
                    i += len(m.group(0).decode("utf-8", "replace"))
                    continue
                i += 2
                continue
            if c == "\r":
                self.col = 0
            elif c == "\n":
                self.row += 1
                self._line()
            elif c == "\b":
                if self.col > 0:
                    self.col -= 1
            elif c == "\t":
                self.col = min(self.cols - 1, (self.col // 8 + 1) * 8)
            elif c >= " ":
                self._put(c)
            i += 1

    def lines(self):
        return ["".join(r).rstrip() for r in self.rows]

    def cursor_line(self):
        line = self.rows[self.row] if self.row < len(self.rows) else []
        return "".join(line).rstrip()


class Session:
    def __init__(self, argv, env=None, cols=80, rows=24):
        self.pid, self.fd = pty.fork()
        if self.pid == 0:  # the child: the program, on the pty
            os.execve(argv[0], argv, env or os.environ)
        fcntl.ioctl(self.fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        self.output = b""
        self.seen = 0      # where the next expect() starts looking (in the stripped output)
        self.status = None
        self.cols = cols

    def _read(self, timeout):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if not r:
            return False
        try:
            data = os.read(self.fd, 65536)
        except OSError:
            data = b""
        if not data:
            raise EOFError
        self.output += data
        return True

    def text(self):
        return ESCAPES.sub(b"", self.output).decode("utf-8", "replace").replace("\r", "")

    def send(self, keys):
        os.write(self.fd, keys.encode() if isinstance(keys, str) else keys)

    def expect(self, want, timeout=10.0):
        """Waits until `want` shows up after the previous match; returns the seconds it took."""
        start = time.monotonic()
        while True:
            at = self.text().find(want, self.seen)
            if at >= 0:
                self.seen = at + len(want)
                return time.monotonic() - start
            left = start + timeout - time.monotonic()
            if left <= 0:
                raise AssertionError(f"timed out waiting for {want!r}; output was:\n{self.text()[-1500:]}")
            try:
                self._read(left)
            except EOFError:
                raise AssertionError(f"program ended before {want!r}; output was:\n{self.text()[-1500:]}")

    def settle(self, quiet=0.15, limit=3.0):
        """Reads until the program has been silent for `quiet` seconds."""
        end = time.monotonic() + limit
        try:
            while time.monotonic() < end and self._read(quiet):
                pass
        except EOFError:
            pass

    def screen(self):
        s = Screen(self.cols)
        s.feed(self.output)
        return s

    def wait_exit(self, timeout=5.0):
        """The exit status (or -signal); kills the program if it does not end in time."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = os.waitstatus_to_exitcode(status)
                return self.status
            try:
                self._read(0.05)
            except EOFError:
                time.sleep(0.01)
        self.kill()
        raise AssertionError("the program did not exit")

    def kill(self):
        if self.status is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except OSError:
                pass
            self.status = -9
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None
