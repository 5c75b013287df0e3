#!/usr/bin/env python3
"""The layering test: no file includes a header from a layer above its own.

The layers, lowest first, are the top-level folders: base -> lexer -> parser -> vm -> runtime ->
stdlib -> repl (the command line and the interactive REPL, which wire every layer together).  A file may include headers of its own folder and of the folders below it.  What the VM
needs from above goes through the one upward interface, vm/hooks.h, which the higher layers fill
in at startup (see its opening comment).  Two more rules keep declarations honest: a .c file
declares no prototype of a non-static function (it belongs in the header of the file that
defines it), and each header is found in exactly one folder.

ALLOWED lists the includes that are right where they are; KNOWN lists upward includes still to be
removed (none are left).  The test fails on any other upward include, and also when a KNOWN or
ALLOWED entry no longer happens, so that the lists only shrink and stay true.

Run from the repository root: python3 tests/layers.py  (make unit and make test run it).
"""
import os
import re
import sys

LAYERS = ["base", "lexer", "parser", "vm", "runtime", "stdlib", "repl"]
GENERATED = {"grammar.h": "parser"}  # build/grammar.h is lemon's output for parser/grammar.y

ALLOWED = {
    # Token kinds are the grammar's own numbers, as a yacc scanner includes y.tab.h.
    ("lexer/token.h", "grammar.h"): "token kinds are lemon's TK_* numbers",
}

KNOWN = set()  # empty since issue 8 part 2; an entry here would be an upward include still to remove

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
# A non-static prototype at the start of a line in a .c file: `type name(args);`
PROTOTYPE = re.compile(r'^(?!static\b|typedef\b|return\b|extern\s+volatile\b)[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*;', re.M)


# A function definition at the start of a line: `type name(args) {` (static ones are private).
DEFINITION = re.compile(r'^(?!static\b|typedef\b)[A-Za-z_][\w \t\*()]*?\b([A-Za-z_]\w*)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*\{', re.M)
# A prototype at the start of a line in a header.
DECLARATION = re.compile(r'^(?!static\b|typedef\b|return\b|#)[A-Za-z_][\w \t\*]*?\b([A-Za-z_]\w*)\s*\([^;{}()]*(?:\([^;{}()]*\)[^;{}()]*)*\)\s*;', re.M)


def main():
    home = {}
    errors = []
    for layer in LAYERS:
        for name in sorted(os.listdir(layer)):
            if name.endswith(".h"):
                if name in home:
                    errors.append(f"{layer}/{name}: a header of that name is also in {home[name]}/")
                home[name] = layer
    home.update(GENERATED)

    seen = set()
    for layer in LAYERS:
        rank = LAYERS.index(layer)
        for name in sorted(os.listdir(layer)):
            if not name.endswith((".c", ".h", ".re", ".y")):
                continue
            path = f"{layer}/{name}"
            text = open(path, encoding="utf-8").read()
            for m in INCLUDE.finditer(text):
                header = os.path.basename(m.group(1))
                where = home.get(header)
                if where is None or LAYERS.index(where) <= rank:
                    continue
                key = (path, header)
                seen.add(key)
                if key in ALLOWED or key in KNOWN:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                errors.append(f"{path}:{line}: includes {header} from {where}/, a higher layer "
                              f"(use a hook in vm/hooks.h, or move the code down)")
            if name.endswith(".c"):
                for m in PROTOTYPE.finditer(text):
                    line = text.count("\n", 0, m.start()) + 1
                    errors.append(f"{path}:{line}: local prototype of {m.group(1)}(): declare it in "
                                  f"the header of the file that defines it, or make it static")
    defined_in = {}
    for layer in LAYERS:
        for name in sorted(os.listdir(layer)):
            if name.endswith((".c", ".h", ".re", ".y")):
                for m in DEFINITION.finditer(open(f"{layer}/{name}", encoding="utf-8").read()):
                    defined_in.setdefault(m.group(1), layer)
    for layer in LAYERS:
        for name in sorted(os.listdir(layer)):
            if not name.endswith(".h"):
                continue
            path = f"{layer}/{name}"
            text = open(path, encoding="utf-8").read()
            for m in DECLARATION.finditer(text):
                where = defined_in.get(m.group(1))
                if where and LAYERS.index(where) > LAYERS.index(layer):
                    line = text.count("\n", 0, m.start()) + 1
                    errors.append(f"{path}:{line}: declares {m.group(1)}(), which {where}/ defines: declare it "
                                  f"in that file's header, or reach it through vm/hooks.h")

    for key in sorted(KNOWN - seen):
        errors.append(f"{key[0]} no longer includes {key[1]}: remove it from KNOWN in tests/layers.py")
    for key in sorted(set(ALLOWED) - seen):
        errors.append(f"{key[0]} no longer includes {key[1]}: remove it from ALLOWED in tests/layers.py")

    for e in errors:
        print(e)
    if errors:
        print(f"layers: {len(errors)} problem(s)")
        return 1
    print(f"layers: ok ({len(KNOWN)} known upward includes left)")
    return 0


if __name__ == "__main__":
    os.chdir(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    sys.exit(main())
