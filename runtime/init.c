/* runtime_init: the one call that turns a bare Vm (vm_new) into a Python world.
 *
 * It builds the built-in classes and the builtins namespace in dependency order (object and type
 * first: every other class is made from them; exceptions before the types whose methods raise
 * them), then registers the runtime's hooks in the VM (vm/hooks.h), and last turns the GC on:
 * until then nothing is a root, so nothing may be collected.
 */
#include "asyncio.h"
#include "bigint.h"
#include "gc.h"
#include "hints.h"
#include "hooks.h"
#include "import.h"
#include "lost_waker.h"
#include "runtime.h"

void runtime_init(Vm *vm) {
    runtime_init_classes(vm);
    vm->builtins = dict_new(vm);
    vm->modules = dict_new(vm);
    runtime_init_exceptions(vm);
    runtime_init_number(vm);
    runtime_init_str(vm);
    runtime_init_bytes(vm);
    runtime_init_bytearray(vm);
    runtime_init_memoryview(vm);
    runtime_init_list(vm);
    runtime_init_tuple(vm);
    runtime_init_dict(vm);
    runtime_init_set(vm);
    runtime_init_range(vm);
    runtime_init_iter(vm);
    runtime_init_gen(vm);
    runtime_init_file(vm);
    runtime_init_builtins(vm);
    runtime_init_help(vm);
    dict_set_cstr(vm, vm->builtins, "__name__", OBJ_VAL(str_from_c(vm, "builtins")));

    vm_hooks.number_binary_op = number_binary_op;
    vm_hooks.number_compare = number_compare;
    vm_hooks.number_unary_op = number_unary_op;
    vm_hooks.float_repr_into = float_repr_into;
    vm_hooks.str_repr_into = str_repr_into;
    vm_hooks.bigint_repr = big_repr;
    vm_hooks.format_for_fstring = format_for_fstring;
    vm_hooks.import_name = import_name;
    vm_hooks.import_from = import_from;
    vm_hooks.import_star = import_star;
    vm_hooks.exception_group_match = exception_group_match;
    vm_hooks.exception_group_reraise = exception_group_reraise;
    vm_hooks.exception_traceback = exception_traceback;
    vm_hooks.exception_set_traceback = exception_set_traceback;
    vm_hooks.builtin_doc = builtin_doc;
    vm_hooks.mark_async = async_gc_mark;
    vm_hooks.free_async = async_gc_free;
    vm_hooks.async_wants_finalizer = async_gc_wants_finalizer;
    vm_hooks.before_marking = lost_waker_before_marking;
    vm_hooks.after_marking = lost_waker_after_marking;
    vm_hooks.resume_sleep = sleep_resume;
    vm_hooks.sleep_awaited = sleep_awaited;
    vm_hooks.report_finalizers = vm_report_finalizers;
    vm_hooks.coroutine_dropped = hints_coroutine_dropped;

    vm->gc_enabled = true;
    gc_take_reserve();
}
