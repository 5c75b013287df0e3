#!/usr/bin/env python3
"""Differential fuzzing of the built-in types, aio vs python3: random expressions over ints,
floats, strings, bytes, lists, tuples, dicts, sets, ranges and None.

Each seed makes a program of a few hundred lines; each line evaluates one random expression (an
operator between two values, a unary operator, a method of the value's type with random
arguments, a builtin, a subscript or slice, %-formatting, str.format, format() with a random
spec, an f-string) and prints the repr of the result or the exception's type and message.
It also calls mutating methods and prints the container after them, parses numbers out of odd
text with int() and float(), and rounds and divides mixed numbers.
spec.md promises CPython's results and error messages for all of these, so any difference is a
bug (or a difference spec.md lists: complex results are left out, and hash() of floats).  Set
results are printed sorted (a set's order of strings depends on CPython's hash seed).

    python3 fuzz/value_programs.py [--aio PATH] [--seeds N] [--first S] [--keep DIR] [--lines K]

Prints one line per differing seed and a final count; differing programs are kept in DIR
(default /tmp/aio-fuzz-values) to be rerun by hand.
"""
import random
import sys

import _diffrun

PRELUDE = '''def show(f):
    try:
        v = f()
    except Exception as e:
        if str(e) in ('negative number cannot be raised to a fractional power',
                      'must be real number, not complex'):
            print('complex')  # spec.md difference 1: aio has no complex numbers
        else:
            print(type(e).__name__, str(e)[:200])
        return
    if type(v).__name__ == 'complex':
        print('complex')
        return
    if type(v).__name__ == 'GenericAlias':  # spec.md: list[int] is aio's list itself
        v = v.__origin__
    if isinstance(v, (set, frozenset)):
        print(type(v).__name__, sorted(repr(x) for x in v))
    elif isinstance(v, tuple) and len(v) == 2 and isinstance(v[1], set):
        first = sorted(repr(x) for x in v[0]) if isinstance(v[0], (set, frozenset)) else v[0]
        print(repr(first), 'set', sorted(repr(x) for x in v[1]))
    elif isinstance(v, (map, filter, zip, enumerate, reversed)):
        print(type(v).__name__, list(v)[:50])
    else:
        r = repr(v)
        if ' at 0x' in r:  # iterators and other objects without a value repr
            r = r[:r.index(' at 0x')] + '>'
        print(r if len(r) < 400 else r[:200] + '...' + str(len(r)))
'''

INTS = ["0", "1", "-1", "2", "3", "7", "-13", "255", "1000", "(2**62)", "(2**64)", "(-2**63)",
        "(10**20)", "-(10**30)", "True", "False", "0x7f", "12345678901234567890"]
FLOATS = ["0.0", "-0.0", "1.5", "-2.5", "0.1", "3.0", "1e300", "-1e-300", "2.5e16",
          "float('inf')", "float('-inf')", "float('nan')", "123.456", "1e22", "5e-324"]
STRS = ["''", "'a'", "'abc'", "'Hello World'", "' x y '", "'\\xdf'", "'\\u0130'", "'12'", "'-3'",
        "'1_000'", "'\\u01c5'", "'a\\tb'", "'\\xe9t\\xe9'", "'aXbXc'", "'0x1f'", "'  42  '",
        "'3.25'", "'inf'", "'a,b,,c'", "'line\\nnext\\r\\nend'", "'{}'", "'{0}{1}'", "'%s'",
        "'%d%%'", "'ABC def'", "'\\u2167'", "'\\U0001f600'", "('x' * 30)", "'-'"]
BYTES = ["b''", "b'ab'", "b'\\xff\\x00'", "b'Hello'", "b' 1 '", "b'a,b'"]
LISTS = ["[]", "[1, 2, 3]", "['a', 'b']", "[1, [2, 3]]", "[3, 1, 2]", "[0.5, -1]", "[None]",
         "list(range(10))", "[(1, 'a'), (0, 'b')]"]
TUPLES = ["()", "(1,)", "(1, 2, 3)", "('a', 1)", "((1, 2), (3,))"]
DICTS = ["{}", "{'a': 1}", "{1: 2, 3: 4}", "{'x': [1], 'y': None}", "dict.fromkeys('ab', 0)"]
SETS = ["set()", "{1, 2, 3}", "{0}", "frozenset({1, 5})", "frozenset()"]
RANGES = ["range(5)", "range(1, 10, 3)", "range(10, 0, -2)", "range(0)", "range(-5, 5)"]
OTHERS = ["None", "slice(1, None, 2)", "...", "NotImplemented"]
POOLS = [INTS, INTS, FLOATS, STRS, STRS, STRS, BYTES, LISTS, TUPLES, DICTS, SETS, RANGES, OTHERS]

BINOPS = ["+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "<", "<=", "==", "!=",
          ">", ">=", "in", "not in", "and", "or"]
UNOPS = ["-", "+", "~", "not "]
BUILTINS1 = ["len", "abs", "hex", "oct", "bin", "ord", "chr", "int", "float", "str", "repr",
             "ascii", "bool", "list", "tuple", "sorted", "min", "max", "sum", "any", "all",
             "reversed", "enumerate", "iter", "round", "set", "frozenset", "dict", "bytes",
             "callable", "type", "divmod", "zip", "next"]
BUILTINS2 = ["divmod", "pow", "round", "int", "isinstance", "format", "max", "min", "sum",
             "zip", "str", "bytes", "enumerate", "getattr", "hasattr", "range", "slice"]
FORMAT_SPECS = ["", "d", "x", "X", "o", "b", "e", "E", "f", "F", "g", "G", "%", "n", "c", "s",
                "r", ">10", "<5", "^9", "=+8", "+", " ", "#x", "#o", "#b", ",", "_", "_x",
                "08.3f", ".2e", ".0f", ".3g", ".10g", "10.4", "*^12", "#010x", ".1%", "-",
                ",.2f", "0>5", ".3s", "x<7", "z.1f", "#.0e", "+.3", "12,", "=^4"]
PERCENT_SPECS = ["%s", "%r", "%a", "%d", "%i", "%x", "%X", "%o", "%e", "%f", "%g", "%c", "%5d",
                 "%-5s|", "%05.1f", "%+d", "%#x", "%#o", "%.3s", "%10.2e", "%%", "% d", "%.0f",
                 "%3c", "%(a)s", "%*d"]
# The methods of each type, looked up in this (python3) process: calls may also name a method
# the value's type does not have (AttributeError must match too).
METHODS = {t: [m for m in dir(t) if not m.startswith("_")]
           for t in (int, float, str, bytes, list, tuple, dict, set, frozenset, range)}
TYPE_OF = {id(INTS): int, id(FLOATS): float, id(STRS): str, id(BYTES): bytes, id(LISTS): list,
           id(TUPLES): tuple, id(DICTS): dict, id(SETS): set, id(RANGES): range}
# Methods that reach the containers' dunders by name (kind 11 calls them as methods).
# Always with the right number of arguments: the messages of CPython's slot wrappers for a wrong
# count ("expected 1 argument, got 2") are not aio's (and no program depends on them).
# __imul__ is left out: called by name, CPython's converts its argument with __index__ first
# ("'str' object cannot be interpreted as an integer"), a message aio gives only for x *= 'a'.
MUTATORS = {"__setitem__": 2, "__delitem__": 1, "__iadd__": 1, "__ior__": 1,
            "__isub__": 1, "__iand__": 1, "__ixor__": 1, "__contains__": 1, "__len__": 0}
# Text that int() and float() may or may not accept.
NUMBER_TEXTS = ["12", " 12 ", "-0", "+3", "1_000", "_1", "1__0", "1_", "0x1f", "0X1F", "0o17",
                "0b101", "00", "09", "1e5", "1E-3", ".5", "5.", "inf", "-Infinity", "nan", "-nan",
                "1.5", "  -0.0\n", "\u0661\u0662", "\u0663.\u0665", "1 2", "", " ", "0x",
                "1e400", "1e-400", "0x1p3", "12345678901234567890123", "z", "Z1", "\u00b2",
                "1_000.5", "1._5", "infinity", "+inf", "--1", "0_0", "0_x1", "\t7\x0c"]

# The right operand of the operators that can make huge results (or take minutes) is small.
SMALL = ["0", "1", "2", "3", "-1", "-2", "7", "0.5", "-2.5", "True", "(2**64)", "'ab'", "[1]",
         "(1, 2)", "b'x'", "None", "1.5"]


def value(r, depth=0):
    pool = r.choice(POOLS)
    v = r.choice(pool)
    if depth < 1 and r.random() < 0.15:
        return f"({expression(r, depth + 1)})"
    return v


def typed_value(r):
    pool = r.choice([p for p in POOLS if id(p) in TYPE_OF])
    return pool, r.choice(pool)


def arguments(r, depth):
    return ", ".join(value(r, depth + 1) for _ in range(r.choice([0, 1, 1, 1, 2, 2, 3])))


def expression(r, depth=0):
    kind = r.randrange(14)
    if kind <= 2:
        op = r.choice(BINOPS)
        if op in ("*", "**", "<<"):
            left = value(r, depth) if r.random() < 0.5 else r.choice(SMALL)
            return f"{left} {op} {r.choice(SMALL)}"
        return f"{value(r, depth)} {op} {value(r, depth)}"
    if kind == 3:
        return f"{r.choice(UNOPS)}{value(r, depth)}"
    if kind <= 5:
        pool, v = typed_value(r)
        names = METHODS[TYPE_OF[id(pool)]]
        name = r.choice(names) if r.random() < 0.95 else r.choice(["nosuch", "upper", "append"])
        return f"({v}).{name}({arguments(r, depth)})"
    if kind == 6:
        f = r.choice(BUILTINS1 + BUILTINS2)
        n = 1 if f in BUILTINS1 and r.random() < 0.7 else 2
        return f"{f}({', '.join(value(r, depth + 1) for _ in range(n))})"
    if kind == 7:
        v = value(r, depth)
        i = r.choice(["0", "1", "-1", "2", "5", "-10", "'a'", "None", "1.5", "True", "2**70"])
        if r.random() < 0.5:
            return f"({v})[{i}]"
        parts = [r.choice(["", "0", "1", "-1", "2", "-3", "None", "10**20"]) for _ in range(2)]
        step = r.choice(["", ":-1", ":2", ":-2", ":3", ":0"])
        return f"({v})[{parts[0]}:{parts[1]}{step}]"
    if kind == 8:
        spec = r.choice(PERCENT_SPECS)
        if r.random() < 0.5:
            spec += r.choice(PERCENT_SPECS)
        return f"{spec!r} % {value(r, depth)}"
    if kind == 9:
        return f"format({value(r, depth)}, {r.choice(FORMAT_SPECS)!r})"
    if kind == 11:  # a mutating method, then the container itself
        pool = r.choice([LISTS, LISTS, DICTS, SETS])
        kind_of = {id(LISTS): list, id(DICTS): dict, id(SETS): set}[id(pool)]
        name = r.choice(METHODS[kind_of] + list(MUTATORS))
        v = r.choice(pool)
        if v.startswith("frozenset"):
            v = "set()"
        if name in MUTATORS:
            args = ", ".join(value(r, depth + 1) for _ in range(MUTATORS[name]))
        else:
            args = arguments(r, depth)
        return f"(lambda x: (x.{name}({args}), x))({v})"
    if kind == 12:  # parsing numbers out of text
        text = r.choice(NUMBER_TEXTS)
        conv = r.choice(["int({})", "float({})", "int({}, 0)", "int({}, 16)", "int({}, 2)",
                         "int({}, 36)", "float({}.encode())", "int({}.encode(), 0)"])
        return conv.format(repr(text))
    if kind == 13:  # rounding and modular arithmetic on mixed numbers
        a, b = r.choice(INTS + FLOATS), r.choice(INTS + FLOATS + ["None"])
        form = r.choice(["round({a}, {n})", "round({a})", "divmod({a}, {b})", "pow({a}, {n}, {m})",
                         "{a} // {b}", "{a} % {b}", "{a} / {b}", "int({a})", "float({a}).hex()",
                         "({a}).as_integer_ratio()", "({a}).is_integer()"])
        n = r.choice(["0", "1", "2", "-1", "-2", "5", "None", "-400", "400", "True", "2**64"])
        m = r.choice(["0", "1", "7", "-7", "1000", "2**64 + 1", "2.5"])  # None could take forever
        return form.format(a=a, b=b, n=n, m=m)
    spec = r.choice(FORMAT_SPECS)
    conv = r.choice(["", "", "", "!r", "!s", "!a"])
    v = value(r, depth)
    if r.random() < 0.5 or "\\" in v or '"' in v:  # 3.11's f-strings take no backslash there
        return f"'{{0{conv}:{spec}}}'.format({v})"
    return f'f"{{({v}){conv}:{spec}}}"'


def program(seed, lines):
    r = random.Random(seed)
    out = [PRELUDE]
    for _ in range(lines):
        out.append(f"show(lambda: {expression(r)})")
    return "\n".join(out) + "\n"


def main():
    ap = _diffrun.parser(__doc__, keep="/tmp/aio-fuzz-values")
    ap.add_argument("--lines", type=int, default=200, help="expressions per program (default 200)")
    args = ap.parse_args()
    return _diffrun.compare(args, ((f"seed {seed}", f"values{seed}.py", program(seed, args.lines))
                                   for seed in range(args.first, args.first + args.seeds)))


if __name__ == "__main__":
    sys.exit(main())
