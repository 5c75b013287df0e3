/* The interactive REPL (`aio` on a terminal, `aio -i FILE`): read an entry, run it, print it.
 *
 * One event loop lives for the whole session and keeps running while the user types (the line
 * editor runs it between keystrokes, line_editor.h), so tasks started at the prompt go on in the
 * background.  An entry that awaits at top level runs as a task on that loop (as in
 * `python -m asyncio`); any other entry runs directly, with the loop marked running.
 */
#ifndef AIO_REPL_H
#define AIO_REPL_H

#include "vm.h"

#define AIO_VERSION "0.1.0"

// Runs the REPL in `main_module`'s namespace until exit, quit or Ctrl-D (true), or SystemExit
// (false, with it pending, for the caller to turn into the exit status as for a script).
// `quiet` leaves out the banner.  Standard input and output must be a terminal.
bool repl_run(Vm *vm, ObjModule *main_module, bool quiet);

#endif
