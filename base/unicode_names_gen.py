#!/usr/bin/env python3
"""Writes build/unicode_names_data.c, the character names base/unicode_names.c looks up, from the
Unicode Character Database of Debian's `unicode-data` package (/usr/share/unicode).  Run by make;
the output is never committed.

Only characters of Unicode 14.0 and earlier get a name (DerivedAge.txt), because that is the
version of CPython 3.11's unicodedata: a name added later must be unknown to aio too.

The names are stored compactly (about 230 KB for 34,500 names and 470 aliases):
- WORDS: every distinct word, each ending in a NUL, most frequent first.  A name is split into
  words at spaces, and after each hyphen ("HYPHEN-MINUS" is "HYPHEN-" "MINUS"); when the names are
  joined again a space goes between two words unless the first ends in a hyphen (the rare word
  that ends in a hyphen before a space keeps that space: "BKA- ").  A word that is
  the character's own code in hex (the F900 of "CJK COMPATIBILITY IDEOGRAPH-F900") is stored as
  the word "#", which the reader replaces by the code.
- NAMES: one record per named character, in code point order:
    a header byte: high nibble = how many leading words it shares with the previous record's
    name (0-15), low nibble = the distance from the previous code point minus 1 (0-14), or 15
    followed by the distance in three bytes, big-endian;
    its remaining words, as ids: 1..TIER1 in one byte (id = byte - 1), else two bytes
    (id = TIER1 + (byte - TIER1 - 1) * 256 + next byte);
    a 0 byte.
- ALIASES (NameAliases.txt, accepted by lookup only): the code point in three bytes, then the
  words as above (none shared), then a 0 byte.
- The algorithmic names: the CJK unified ideograph ranges, and the Hangul jamo short names of
  Jamo.txt from which "HANGUL SYLLABLE GAG" is composed.
"""
import collections
import os
import re
import sys

MAX_AGE = (14, 0)
# NameAliases.txt has no version column: the aliases it gained after 14.0, which CPython 3.11 does
# not know.  (Unicode 15.0 added these three; a newer database may add more, see the warning.)
LATER_ALIASES = {"EM", "ARABIC SMALL HIGH LIGATURE ALEF WITH YEH BARREE", "SUNDANESE LETTER ARCHAIC I"}
CHECKED_UP_TO = (15, 0)  # the newest database whose new aliases are in LATER_ALIASES
TIER1 = 191  # ids below this take one byte


def read_fields(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if line:
                yield [x.strip() for x in line.split(";")]


def code_range(text):
    lo, _, hi = text.partition("..")
    return int(lo, 16), int(hi or lo, 16)


def main():
    ucd = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/unicode"
    old_enough, newest = set(), MAX_AGE
    for fields in read_fields(os.path.join(ucd, "DerivedAge.txt")):
        lo, hi = code_range(fields[0])
        age = tuple(int(x) for x in fields[1].split("."))
        newest = max(newest, age)
        if age <= MAX_AGE:
            old_enough.update(range(lo, hi + 1))
    if newest > CHECKED_UP_TO:
        sys.stderr.write("unicode_names_gen.py: Unicode %d.%d is newer than %d.%d: aliases it added may be "
                         "accepted by aio but not CPython 3.11 (extend LATER_ALIASES)\n" % (newest + CHECKED_UP_TO))

    names, cjk_ranges, range_start = {}, [], None
    for fields in read_fields(os.path.join(ucd, "UnicodeData.txt")):
        code, name = int(fields[0], 16), fields[1]
        if name.startswith("<CJK Ideograph") and name.endswith("First>"):
            range_start = code
        elif name.startswith("<CJK Ideograph") and name.endswith("Last>"):
            lo = None
            for c in range(range_start, code + 2):  # split where the age filter cuts the range
                inside = c <= code and c in old_enough
                if inside and lo is None:
                    lo = c
                elif not inside and lo is not None:
                    cjk_ranges.append((lo, c - 1))
                    lo = None
        elif not name.startswith("<") and code in old_enough:
            names[code] = name

    aliases = []
    for fields in read_fields(os.path.join(ucd, "NameAliases.txt")):
        code = int(fields[0], 16)
        if code in old_enough and fields[1] not in LATER_ALIASES:
            aliases.append((code, fields[1]))

    jamo = {}
    for fields in read_fields(os.path.join(ucd, "Jamo.txt")):
        jamo[int(fields[0], 16)] = fields[1]
    leading = [jamo[c] for c in range(0x1100, 0x1113)]
    vowels = [jamo[c] for c in range(0x1161, 0x1176)]
    trailing = [""] + [jamo[c] for c in range(0x11A8, 0x11C3)]

    def words_of(code, name):
        out = []
        spaced = name.split(" ")
        for n, word in enumerate(spaced):
            for part in re.split(r"(?<=-)", word):
                if part:
                    out.append("#" if part == "%04X" % code else part)
            if word.endswith("-") and n + 1 < len(spaced):
                out[-1] += " "  # "BKA- SHOG": the space a hyphen's end would drop
        assert join(code, out) == name, name
        return out

    def join(code, words):
        text = ""
        for w in words:
            if text and not text.endswith(("-", " ")):
                text += " "
            text += "%04X" % code if w == "#" else w
        return text

    records, counts, previous = [], collections.Counter(), []
    for code in sorted(names):
        words = words_of(code, names[code])
        shared = 0
        while shared < min(len(words), len(previous), 15) and words[shared] == previous[shared]:
            shared += 1
        records.append((code, shared, words[shared:]))
        counts.update(words[shared:])
        previous = words
    alias_records = [(code, words_of(code, name)) for code, name in aliases]
    for _, words in alias_records:
        counts.update(words)
    lexicon = [w for w, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    assert len(lexicon) <= TIER1 + (255 - TIER1) * 256
    ids = {w: i for i, w in enumerate(lexicon)}

    def encode_words(words, out):
        for w in words:
            i = ids[w]
            if i < TIER1:
                out.append(i + 1)
            else:
                i -= TIER1
                out += bytes([TIER1 + 1 + (i >> 8), i & 0xFF])
        out.append(0)

    name_bytes, last = bytearray(), -1
    for code, shared, words in records:
        gap = code - last - 1
        last = code
        if gap < 15:
            name_bytes.append(shared << 4 | gap)
        else:
            name_bytes += bytes([shared << 4 | 15, gap >> 16, (gap >> 8) & 0xFF, gap & 0xFF])
        encode_words(words, name_bytes)
    alias_bytes = bytearray()
    for code, words in alias_records:
        alias_bytes += bytes([code >> 16, (code >> 8) & 0xFF, code & 0xFF])
        encode_words(words, alias_bytes)
    word_bytes = b"".join(w.encode("ascii") + b"\0" for w in lexicon)

    def c_bytes(name, data):
        rows = [", ".join(str(b) for b in data[i:i + 24]) for i in range(0, len(data), 24)]
        return "const unsigned char %s[%d] = {\n%s};\n" % (name, len(data), ",\n".join(rows))

    def c_strings(name, items):
        return "const char *const %s[%d] = {%s};\n" % (name, len(items), ", ".join('"%s"' % s for s in items))

    out = sys.stdout
    out.write("/* Generated by base/unicode_names_gen.py from the Unicode Character Database: do not edit. */\n")
    out.write('#include "unicode_names.h"\n\n')
    out.write("const unsigned unicode_names_count = %d, unicode_aliases_count = %d, unicode_words_count = %d;\n"
              % (len(records), len(alias_records), len(lexicon)))
    out.write("const unsigned unicode_word_tier1 = %d;\n" % TIER1)
    out.write(c_bytes("unicode_words", word_bytes))
    out.write(c_bytes("unicode_name_records", name_bytes))
    out.write(c_bytes("unicode_alias_records", alias_bytes))
    out.write("const uint32_t unicode_cjk_ranges[%d][2] = {%s};\n"
              % (len(cjk_ranges), ", ".join("{0x%X, 0x%X}" % r for r in cjk_ranges)))
    out.write("const unsigned unicode_cjk_range_count = %d;\n" % len(cjk_ranges))
    out.write(c_strings("unicode_jamo_leading", leading))
    out.write(c_strings("unicode_jamo_vowels", vowels))
    out.write(c_strings("unicode_jamo_trailing", trailing))


if __name__ == "__main__":
    main()
