/* Tab completion at the REPL: the candidates for the word before the cursor.
 *
 * aiotools.complete_line(line, cursor) gives them when aiotools is there (names, keywords,
 * module and object attributes); without it a small fallback here completes names of the REPL's
 * namespace, builtins and keywords, and attributes along a dotted chain of names (no calls).
 */
#ifndef AIO_REPL_COMPLETE_H
#define AIO_REPL_COMPLETE_H

#include "vm.h"

// Fills out[0..max) with malloc'd candidates, each a whole word to put in place of
// line[*start..cursor) (byte offsets); returns how many.  Never leaves an exception pending.
int repl_complete(Vm *vm, ObjDict *globals, Value tools, const char *line, int cursor, int *start, char **out,
                  int max);

#endif
