/* Tokens: the unit that flows from the scanner, through the layout layer, into the parser.
 *
 * A Token does not own text; `start` points into the source buffer, which outlives the parse.
 * Token kinds are the TK_* numbers lemon generates in build/grammar.h, so the scanner, the layout
 * layer and the grammar always agree.  Two kinds are not lemon's: 0 means end of input (lemon's
 * own convention), and TOKEN_ERROR means the scanner or the layout layer found a lexical error
 * and has already filled in its SyntaxErr.
 */
#ifndef AIO_TOKEN_H
#define AIO_TOKEN_H

#include "grammar.h"

enum {
    TOKEN_EOF = 0,    // end of input; lemon's "end of stream" marker
    TOKEN_ERROR = -1, // lexical error; the message is in the producer's SyntaxErr
};

typedef struct {
    int kind;          // TK_* from grammar.h, TOKEN_EOF or TOKEN_ERROR
    const char *start; // first byte of the lexeme, inside the source buffer
    int length;        // length of the lexeme in bytes (0 for NEWLINE at EOF, INDENT, DEDENT)
    int line;          // 1-based line of the first byte
    int col;           // 1-based column of the first byte, counted in code points
} Token;

#endif
