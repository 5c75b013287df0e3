/* The AST's memory and its printed form (see ast.h).
 *
 * The Arena is a bump allocator: a chain of blocks, each carved front to back and never freed
 * on its own.  One parse allocates everything it builds from one arena, so the whole tree (nodes,
 * list buffers, decoded strings) goes away with a single arena_free().
 *
 * ast_dump() prints any tree generically: for each node its kind, its scalar fields, its source
 * position, then each child under the name the AST_KINDS table gives that field ("target",
 * "body", ...).  It is what `aio --ast` shows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ast.h"

enum { ARENA_BLOCK_SIZE = 64 * 1024 };

struct ArenaBlock {
    ArenaBlock *next; // the previously filled block
    size_t used;      // bytes of data[] handed out
    size_t size;      // bytes of data[]
    _Alignas(8) unsigned char data[];
};

void arena_init(Arena *arena) { arena->head = NULL; }

void *arena_alloc(Arena *arena, size_t size) {
    size = (size + 7) & ~(size_t)7;
    ArenaBlock *b = arena->head;
    if (!b || b->size - b->used < size) {
        size_t data_size = size > ARENA_BLOCK_SIZE ? size : ARENA_BLOCK_SIZE;
        b = malloc(sizeof *b + data_size);
        if (!b) {
            fputs("aio: out of memory\n", stderr);
            abort();
        }
        b->size = data_size;
        b->used = 0;
        b->next = arena->head;
        arena->head = b;
    }
    void *p = b->data + b->used;
    b->used += size;
    memset(p, 0, size);
    return p;
}

char *arena_strndup(Arena *arena, const char *s, size_t len) {
    char *copy = arena_alloc(arena, len + 1);
    if (len) memcpy(copy, s, len);
    copy[len] = '\0';
    return copy;
}

void arena_free(Arena *arena) {
    for (ArenaBlock *b = arena->head, *next; b; b = next) {
        next = b->next;
        free(b);
    }
    arena->head = NULL;
}

Ast *ast_new(Arena *arena, AstKind kind, int line, int col) {
    Ast *node = arena_alloc(arena, sizeof *node);
    node->kind = kind;
    node->line = line;
    node->col = col;
    return node;
}

void ast_list_push(Arena *arena, AstList *list, Ast *node) {
    if (list->count == list->capacity) {
        int capacity = list->capacity ? list->capacity * 2 : 4;
        Ast **items = arena_alloc(arena, sizeof *items * (size_t)capacity);
        if (list->count) memcpy(items, list->items, sizeof *items * (size_t)list->count);
        list->items = items; // the old buffer stays in the arena until it is freed
        list->capacity = capacity;
    }
    list->items[list->count++] = node;
}

static const char *const kind_names[] = {
#define AST_NAME(name, doc) #name,
    AST_KINDS(AST_NAME)
#undef AST_NAME
};

static const char *const kind_docs[] = {
#define AST_DOC(name, doc) doc,
    AST_KINDS(AST_DOC)
#undef AST_DOC
};

const char *ast_kind_name(AstKind kind) {
    return kind >= 0 && kind < AST__COUNT ? kind_names[kind] : "?";
}

const char *ast_op_name(int op) {
    static const char *const names[] = {
        [AST_OP_NONE] = "", [AST_OP_ADD] = "+", [AST_OP_SUB] = "-", [AST_OP_MUL] = "*",
        [AST_OP_MATMUL] = "@", [AST_OP_DIV] = "/", [AST_OP_FLOORDIV] = "//", [AST_OP_MOD] = "%",
        [AST_OP_POW] = "**", [AST_OP_LSHIFT] = "<<", [AST_OP_RSHIFT] = ">>", [AST_OP_BITOR] = "|",
        [AST_OP_BITXOR] = "^", [AST_OP_BITAND] = "&", [AST_OP_NEG] = "-", [AST_OP_POS] = "+",
        [AST_OP_INVERT] = "~", [AST_OP_NOT] = "not", [AST_OP_AND] = "and", [AST_OP_OR] = "or",
        [AST_OP_EQ] = "==", [AST_OP_NE] = "!=", [AST_OP_LT] = "<", [AST_OP_LE] = "<=",
        [AST_OP_GT] = ">", [AST_OP_GE] = ">=", [AST_OP_IS] = "is", [AST_OP_IS_NOT] = "is not",
        [AST_OP_IN] = "in", [AST_OP_NOT_IN] = "not in",
    };
    return op >= 0 && op < (int)(sizeof names / sizeof names[0]) ? names[op] : "?";
}

// The name the AST_KINDS table gives field `key` of `kind`: the words after "key=", up to the
// next field, a parenthesis, "or", or a ',' / ';'.  "b=value if true" gives "value if true".
// Falls back to the key itself.
static void field_label(AstKind kind, const char *key, char *out, size_t size) {
    const char *doc = kind_docs[kind];
    size_t klen = strlen(key), n = 0;
    const char *p = doc;
    while ((p = strstr(p, key)) != NULL && !((p == doc || p[-1] == ' ') && p[klen] == '=')) p += klen;
    if (!p) {
        snprintf(out, size, "%s", key);
        return;
    }
    p += klen + 1;
    while (*p && n + 1 < size) {
        size_t w = strcspn(p, " ,;:");
        bool is_field = memchr(p, '=', w) != NULL;
        if (n > 0 && (is_field || *p == '(' || (w == 2 && strncmp(p, "or", 2) == 0))) break;
        if (n > 0) out[n++] = ' ';
        for (size_t i = 0; i < w && n + 1 < size; i++) out[n++] = p[i];
        p += w;
        if (*p != ' ') break; // ',' ';' ':' or the end
        p++;
    }
    out[n] = '\0';
}

// Prints s like a Python string literal body: printable ASCII as is, the rest escaped.
static void print_quoted(FILE *f, const char *s, size_t len) {
    fputc('\'', f);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\n') fputs("\\n", f);
        else if (c == '\t') fputs("\\t", f);
        else if (c == '\\' || c == '\'') fprintf(f, "\\%c", c);
        else if (c < 0x20 || c == 0x7F) fprintf(f, "\\x%02x", c);
        else fputc(c, f);
    }
    fputc('\'', f);
}

static bool uses_op(AstKind k) {
    return k == AST_BINOP || k == AST_UNARYOP || k == AST_BOOLOP || k == AST_CMP || k == AST_AUGASSIGN;
}

// The header line: kind, scalar fields, position.
static void print_header(FILE *f, const Ast *n) {
    static const char *const constants[] = {"None", "True", "False", "Ellipsis"};
    char label[64];
    fputs(ast_kind_name(n->kind), f);
    switch (n->kind) {
    case AST_INT: fprintf(f, " %lld", (long long)n->ival); break;
    case AST_FLOAT: fprintf(f, " %.17g", n->fval); break;
    case AST_STR: case AST_BYTES: fputc(' ', f); print_quoted(f, n->str, n->len); break;
    case AST_CONSTANT: fprintf(f, " %s", n->op >= 0 && n->op < 4 ? constants[n->op] : "?"); break;
    case AST_FORMATTED:
        if (n->ival) fprintf(f, " !%c", (char)n->ival);
        if (n->str) fputs(" debug=", f), print_quoted(f, n->str, n->len);
        break;
    case AST_IMPORTFROM: fprintf(f, " %s level=%lld", n->str ? n->str : "-", (long long)n->ival); break;
    case AST_ARGUMENTS: fprintf(f, " posonly=%lld", (long long)n->ival); break;
    case AST_KEYWORD: fprintf(f, " %s", n->str ? n->str : "**"); break;
    default:
        if (n->str) fprintf(f, " %s", n->str);
        if (n->str2) fprintf(f, " as %s", n->str2);
        break;
    }
    if (uses_op(n->kind)) fprintf(f, " %s", ast_op_name(n->op));
    if (n->flag) {
        field_label(n->kind, "flag", label, sizeof label);
        fprintf(f, " %s", label);
    }
    fprintf(f, " @%d:%d\n", n->line, n->col);
}

static void dump(FILE *f, const Ast *n, int indent, const char *label);

static void dump_list(FILE *f, const Ast *owner, const AstList *list, const char *key, int indent) {
    if (list->count == 0) return;
    char label[64];
    field_label(owner->kind, key, label, sizeof label);
    fprintf(f, "%*s%s:\n", indent, "", label);
    for (int i = 0; i < list->count; i++) dump(f, list->items[i], indent + 2, NULL);
}

static void dump(FILE *f, const Ast *n, int indent, const char *label) {
    fprintf(f, "%*s", indent, "");
    if (label) fprintf(f, "%s: ", label);
    if (!n) {
        fputs("(none)\n", f);
        return;
    }
    print_header(f, n);
    const Ast *children[3] = {n->a, n->b, n->c};
    const char *keys[3] = {"a", "b", "c"};
    for (int i = 0; i < 3; i++) {
        if (!children[i]) continue;
        char name[64];
        field_label(n->kind, keys[i], name, sizeof name);
        dump(f, children[i], indent + 2, name);
    }
    dump_list(f, n, &n->list, "list", indent + 2);
    dump_list(f, n, &n->list2, "list2", indent + 2);
    dump_list(f, n, &n->list3, "list3", indent + 2);
    dump_list(f, n, &n->list4, "list4", indent + 2);
}

void ast_dump(const Ast *node, int indent, void *file) { dump(file, node, indent, NULL); }
