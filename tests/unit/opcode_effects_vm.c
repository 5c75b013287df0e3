/* Unit test: every opcode's declared stack effect (vm/opcodes.h, vm/compile.c's stack_effect)
 * against what its handler in vm/vm.c really does.
 *
 * Linked with the AIO_DEBUG build's objects (`make unit` builds them).  In that build the compiler
 * keeps, for every instruction word, the stack depth and block count its flow pass derived from
 * the declared effects, and the VM compares the running frame with them before each instruction:
 * a handler that pushes or pops one value more or less than declared aborts at the very next
 * instruction, naming it.  The programs below run every opcode the compiler emits, taking both
 * ways of every conditional jump; at the end the test checks from the VM's per-opcode counters
 * that no opcode and no way of a jump was left out, so a new opcode needs a program here before
 * the test passes.
 */
#include <string.h>

#include "modules.h"
#include "runtime.h"
#include "vm.h"

#include "opcodes.h"

static const char *const programs[] = {
    // constants, locals, arithmetic, comparisons, unary ops, subscripts
    "def f(a, b):\n"
    "    c = a + b * 2 - -a\n"
    "    d = +c; e = ~d; g = not e\n"
    "    assert (c < d) is False and (a is not b) and (1 in [1]) and (2 not in [1])\n"
    "    l = [1, 2, 3]; l[0] = 5; del l[1]\n"
    "    assert l[0] == 5 and l[1:] == [3] and l[::2] == [5]\n"
    "    del c\n"
    "    return d, e, g\n"
    "assert f(1, 2) == (6, -7, False)\n",
    // globals and names
    "x = 1\n"
    "def g():\n"
    "    global x\n"
    "    x = x + 1\n"
    "    del x\n"
    "g()\n"
    "y = 2\n"
    "del y\n"
    "class C:\n"
    "    t = 1\n"
    "    del t\n"
    "try:\n"
    "    y\n"
    "except NameError:\n"
    "    pass\n",
    // closures, cells, class bodies reading an enclosing function's variable
    "def outer():\n"
    "    v = 1\n"
    "    w = 2\n"
    "    def inner():\n"
    "        nonlocal v\n"
    "        v = v + w\n"
    "        return v\n"
    "    class K:\n"
    "        attr = w\n"
    "    r = inner() + K.attr\n"
    "    del v\n"
    "    return r\n"
    "assert outer() == 5\n",
    // attributes, methods, classes, keyword calls, *args / **kwargs
    "class P:\n"
    "    def __init__(self, x, *, y=3):\n"
    "        self.x = x; self.y = y\n"
    "    def total(self, *a, **k):\n"
    "        return self.x + self.y + len(a) + len(k)\n"
    "p = P(1, y=2)\n"
    "p.z = 5\n"
    "del p.z\n"
    "assert p.total(1, 2, q=1) == 6\n"
    "args = (1,); kw = {'y': 4}\n"
    "assert P(*args, **kw).y == 4\n"
    "assert P(*args).y == 3\n"
    "def dflt(a, b=2, *, c=3):\n"
    "    return a + b + c\n"
    "assert dflt(1) == 6\n",
    // displays, unpacking, comprehensions, f-strings
    "a, b = 1, 2\n"
    "first, *mid, last = [1, 2, 3, 4]\n"
    "t = (*mid, a)\n"
    "s = {a, b, *mid}\n"
    "d = {'k': a, **{'j': b}}\n"
    "l = [a, *mid]\n"
    "assert [i * 2 for i in range(3)] == [0, 2, 4]\n"
    "assert {i for i in range(3)} == {0, 1, 2}\n"
    "assert {i: i for i in range(2)} == {0: 0, 1: 1}\n"
    "assert list(i for i in range(2)) == [0, 1]\n"
    "w = 5\n"
    "assert f'{a}-{b!r}-{w:>3}-{w:{w}}' == '1-2-  5-    5'\n"
    "assert t == (2, 3, 1) and s == {1, 2, 3} and d == {'k': 1, 'j': 2} and l == [1, 2, 3]\n",
    // control flow: if/while/for, and/or, conditional expressions, is None
    "n = 0\n"
    "for i in range(5):\n"
    "    if i % 2 == 0:\n"
    "        continue\n"
    "    n += i\n"
    "while n < 10:\n"
    "    n += 1\n"
    "    if n == 9:\n"
    "        break\n"
    "v = None\n"
    "r = (v or 1) and (n and 2)\n"
    "q = 0 or 0\n"
    "z = 1 and 0\n"
    "if v is None:\n"
    "    pass\n"
    "if n is not None:\n"
    "    pass\n"
    "j1 = 0 and n\n"
    "j2 = 7 or n\n"
    "assert (j1, j2) == (0, 7)\n"
    "w = v if v else 3\n"
    "m = 1 if n else 2\n"
    "assert (r, q, z, w, m) == (2, 0, 0, 3, 1)\n",
    // exceptions: try/except/else/finally, raise from, bare raise, assert, except*
    "def h():\n"
    "    try:\n"
    "        raise ValueError('v') from KeyError('k')\n"
    "    except (TypeError, ValueError) as e:\n"
    "        r = e\n"
    "    else:\n"
    "        r = None\n"
    "    finally:\n"
    "        pass\n"
    "    try:\n"
    "        try:\n"
    "            assert False, 'no'\n"
    "        except AssertionError:\n"
    "            raise\n"
    "    except AssertionError:\n"
    "        pass\n"
    "    try:\n"
    "        raise ExceptionGroup('g', [ValueError(1), TypeError(2)])\n"
    "    except* OSError:\n"
    "        pass\n"
    "    except* ValueError:\n"
    "        pass\n"
    "    except* TypeError:\n"
    "        pass\n"
    "    try:\n"
    "        try:\n"
    "            raise ExceptionGroup('g', [ValueError(1), KeyError(2)])\n"
    "        except* ValueError:\n"
    "            pass\n"
    "    except* KeyError:\n"
    "        pass\n"
    "    for i in range(2):\n"
    "        try:\n"
    "            continue\n"
    "        finally:\n"
    "            r = r\n"
    "    return r\n"
    "assert isinstance(h(), ValueError)\n",
    // with statements, normal exit and exceptional exit (suppressed and not)
    "class CM:\n"
    "    def __init__(self, swallow): self.swallow = swallow\n"
    "    def __enter__(self): return self\n"
    "    def __exit__(self, t, v, tb): return self.swallow\n"
    "with CM(False) as c:\n"
    "    pass\n"
    "with CM(True):\n"
    "    raise ValueError\n"
    "try:\n"
    "    with CM(False):\n"
    "        raise KeyError\n"
    "except KeyError:\n"
    "    pass\n",
    // imports of every shape (one line of several modules, from-imports, star)
    "import math, sys, os, json, time, random, itertools, functools, collections, heapq\n"
    "from math import pi, e as euler\n"
    "from math import *\n"
    "assert floor(pi) == 3 and euler > 2\n",
    // generators, yield from, send, throw, close
    "def gen():\n"
    "    x = yield 1\n"
    "    yield x\n"
    "    return 7\n"
    "def deleg():\n"
    "    r = yield from gen()\n"
    "    yield r\n"
    "g = deleg()\n"
    "assert next(g) == 1 and g.send(5) == 5 and next(g) == 7\n"
    "assert list(deleg()) == [1, None, 7]\n"
    "def catcher():\n"
    "    try:\n"
    "        yield 1\n"
    "    except ValueError:\n"
    "        yield 2\n"
    "c = catcher(); next(c)\n"
    "assert c.throw(ValueError) == 2\n"
    "c.close()\n"
    "assert list(x for x in gen()) == [1, None]\n",
    // coroutines: await, async for, async with, async comprehensions, async generators
    "import asyncio\n"
    "class ACM:\n"
    "    async def __aenter__(self): return 1\n"
    "    async def __aexit__(self, t, v, tb): return True\n"
    "async def agen():\n"
    "    yield 1\n"
    "    yield 2\n"
    "async def main():\n"
    "    await asyncio.sleep(0)\n"
    "    total = 0\n"
    "    async for v in agen():\n"
    "        total += v\n"
    "    async with ACM() as a:\n"
    "        total += a\n"
    "    async with ACM():\n"
    "        raise ValueError\n"
    "    r = [v async for v in agen()]\n"
    "    return total, r\n"
    "assert asyncio.run(main()) == (4, [1, 2])\n",
    // lambdas, decorators, nested functions with defaults and keyword-only defaults
    "def deco(f):\n"
    "    return f\n"
    "@deco\n"
    "def k(a, *, b=lambda: 2):\n"
    "    return a + b()\n"
    "assert k(1) == 3 and (lambda *a, **kw: len(a) + len(kw))(1, x=2) == 2\n",
};

// The conditional jumps: the programs must take each of them both ways.
static bool branches(int op) {
    return op == OP_POP_JUMP_IF_FALSE || op == OP_POP_JUMP_IF_TRUE || op == OP_POP_JUMP_IF_NONE ||
           op == OP_JUMP_IF_FALSE_OR_POP || op == OP_JUMP_IF_TRUE_OR_POP || op == OP_FOR_ITER || op == OP_SEND;
}

// Opcodes no program can run: the compiler never emits them (NOP is a placeholder, PRINT_EXPR
// belongs to an interactive mode aio does not have yet).
static bool never_emitted(int op) { return op == OP_NOP || op == OP_PRINT_EXPR; }

static const char *const op_names[] = {
#define OP_NAME(name, ...) [OP_##name] = #name,
    OPCODES(OP_NAME)
#undef OP_NAME
};

int main(int argc, char **argv) {
    Vm *vm = vm_new();
    if (!vm) return 1;
    runtime_init(vm);
    builtin_modules_register();
    // `make unit` runs the test from the repository root, where stdlib/ is.
    vm->stdlib_dir = str_from_c(vm, "stdlib");
    vm->script_dir = str_from_c(vm, ".");
    vm->argv = list_new(vm, 0);
    ObjModule *main_module = define_module(vm, "__main__");
    vm->main_module = main_module;
    dict_set_cstr(vm, main_module->globals, "__builtins__", OBJ_VAL(vm->builtins));

    int failed = 0;
    size_t count = sizeof programs / sizeof programs[0];
    for (size_t i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "<program %zu>", i);
        Value result;
        if (!vm_run_source(vm, name, programs[i], strlen(programs[i]), main_module->globals, &result)) {
            ObjStr *s = vm_str(vm, vm->exception);
            printf("FAIL program %zu raised %s: %s\n", i, vm_type_name(vm, vm->exception),
                   s ? s->chars : "?");
            vm->exception = EMPTY_VAL();
            failed++;
        }
    }
    int missing = 0;
    for (int op = 0; op < OP__COUNT; op++) {
        if (never_emitted(op) || vm_debug_op_counts[op] > 0) continue;
        printf("FAIL opcode %s never ran: add a program that runs it\n", op_names[op]);
        missing++;
    }
    for (int op = 0; op < OP__COUNT; op++) {
        if (!branches(op)) continue;
        for (int taken = 0; taken < 2; taken++) {
            if (vm_debug_branch_counts[op][taken] > 0) continue;
            printf("FAIL opcode %s never %s: add a program that does\n", op_names[op],
                   taken ? "jumped" : "fell through");
            missing++;
        }
    }
    printf("opcode effects: %zu programs, %d opcodes checked, %d failed, %d opcodes not covered\n", count,
           OP__COUNT, failed, missing);
    (void)argc;
    (void)argv;
    return failed || missing ? 1 : 0;
}
