/* Reads the character names of build/unicode_names_data.c (see base/unicode_names.h).
 *
 * The generated records are compact but sequential: a name shares its first words with the
 * previous one.  The first lookup therefore decodes them all once into word-id arrays (an Entry
 * per name, in code point order, then the aliases) and hashes every name into an open-addressing
 * table; later lookups are a hash probe (name to code) or a binary search (code to name).  That
 * costs about 0.9 MB of heap, taken only by programs that use names.  Hangul syllables and CJK
 * unified ideographs have names made from their code point and are never stored.
 */
#include "unicode_names.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    uint32_t code;
    uint32_t first_word; // index into words_of_entries; the entry's words end where the next one's begin
} Entry;

static Entry *entries;             // unicode_names_count names by code point, then the aliases
static uint16_t *words_of_entries; // the word ids of every entry, one after the other
static uint32_t *word_starts;      // offset of each word in unicode_words
static uint32_t *hash_slots;       // entry index + 1, or 0 for an empty slot
static uint32_t hash_mask;
static bool ready, failed;

#define HANGUL_FIRST 0xAC00
#define HANGUL_COUNT (19 * 21 * 28)

static uint32_t entry_count(void) { return unicode_names_count + unicode_aliases_count; }

// The name of entry i, spelt out into buf; returns its length.
static size_t spell(uint32_t i, char *buf) {
    size_t n = 0;
    for (uint32_t w = entries[i].first_word; w < entries[i + 1].first_word; w++) {
        const char *word = (const char *)unicode_words + word_starts[words_of_entries[w]];
        if (n && buf[n - 1] != '-' && buf[n - 1] != ' ') buf[n++] = ' ';
        if (word[0] == '#' && !word[1]) n += (size_t)sprintf(buf + n, "%04X", (unsigned)entries[i].code);
        else {
            size_t len = strlen(word);
            memcpy(buf + n, word, len);
            n += len;
        }
    }
    buf[n] = 0;
    return n;
}

// FNV-1a over the ASCII upper case of the name.
static uint32_t hash_name(const char *s, size_t length) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)s[i];
        h = (h ^ (c >= 'a' && c <= 'z' ? c - 32 : c)) * 16777619u;
    }
    return h;
}

// Reads one word id of a record at *p.
static uint16_t read_word(const unsigned char **p) {
    unsigned b = *(*p)++;
    if (b <= unicode_word_tier1) return (uint16_t)(b - 1);
    return (uint16_t)(unicode_word_tier1 + (b - unicode_word_tier1 - 1) * 256 + *(*p)++);
}

static bool build(void) {
    uint32_t count = entry_count();
    size_t total_words = 0;
    // First pass: how many word ids the entries hold in all (shared words are stored again).
    {
        const unsigned char *p = unicode_name_records;
        for (uint32_t i = 0; i < unicode_names_count; i++) {
            unsigned header = *p++;
            if ((header & 15) == 15) p += 3;
            total_words += header >> 4;
            while (*p) read_word(&p), total_words++;
            p++;
        }
        p = unicode_alias_records;
        for (uint32_t i = 0; i < unicode_aliases_count; i++) {
            p += 3;
            while (*p) read_word(&p), total_words++;
            p++;
        }
    }
    entries = malloc(sizeof(Entry) * (count + 1));
    words_of_entries = malloc(sizeof(uint16_t) * (total_words + 1));
    word_starts = malloc(sizeof(uint32_t) * unicode_words_count);
    for (hash_mask = 1; hash_mask < count * 2; hash_mask <<= 1) {}
    hash_slots = calloc(hash_mask, sizeof(uint32_t));
    hash_mask--;
    if (!entries || !words_of_entries || !word_starts || !hash_slots) {
        free(entries), free(words_of_entries), free(word_starts), free(hash_slots);
        return false;
    }
    for (uint32_t w = 0, at = 0; w < unicode_words_count; w++) {
        word_starts[w] = at;
        at += (uint32_t)strlen((const char *)unicode_words + at) + 1;
    }
    const unsigned char *p = unicode_name_records;
    uint32_t out = 0, code = (uint32_t)-1;
    for (uint32_t i = 0; i < unicode_names_count; i++) {
        unsigned header = *p++, gap = header & 15;
        if (gap == 15) {
            gap = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
            p += 3;
        }
        code += gap + 1;
        entries[i].code = code;
        entries[i].first_word = out;
        uint32_t from = i ? entries[i - 1].first_word : 0;
        for (unsigned k = 0; k < header >> 4; k++) words_of_entries[out++] = words_of_entries[from + k];
        while (*p) words_of_entries[out++] = read_word(&p);
        p++;
    }
    p = unicode_alias_records;
    for (uint32_t i = unicode_names_count; i < count; i++) {
        entries[i].code = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
        entries[i].first_word = out;
        p += 3;
        while (*p) words_of_entries[out++] = read_word(&p);
        p++;
    }
    entries[count].first_word = out;
    char buf[UNICODE_NAME_MAX];
    for (uint32_t i = 0; i < count; i++) {
        size_t n = spell(i, buf);
        uint32_t slot = hash_name(buf, n) & hash_mask;
        while (hash_slots[slot]) slot = (slot + 1) & hash_mask;
        hash_slots[slot] = i + 1;
    }
    return true;
}

static bool tables_ready(void) {
    if (!ready && !failed) {
        ready = build();
        failed = !ready;
    }
    return ready;
}

static bool same_name_ignoring_case(const char *query, const char *name, size_t length) {
    for (size_t i = 0; i < length; i++) {
        unsigned char c = (unsigned char)query[i];
        if ((c >= 'a' && c <= 'z' ? c - 32 : c) != (unsigned char)name[i]) return false;
    }
    return true;
}

// The longest of `count` jamo short names that starts the text at *s; advances *s past it.
static int longest_jamo(const char *const *names, int count, const char **s, const char *end) {
    int best = -1;
    size_t best_length = 0;
    for (int i = 0; i < count; i++) {
        size_t n = strlen(names[i]);
        if (n <= (size_t)(end - *s) && memcmp(*s, names[i], n) == 0 && (best < 0 || n > best_length)) {
            best = i;
            best_length = n;
        }
    }
    if (best >= 0) *s += best_length;
    return best;
}

static int32_t hangul_code(const char *s, const char *end) {
    int l = longest_jamo(unicode_jamo_leading, 19, &s, end);
    int v = l < 0 ? -1 : longest_jamo(unicode_jamo_vowels, 21, &s, end);
    int t = v < 0 ? -1 : longest_jamo(unicode_jamo_trailing, 28, &s, end);
    if (t < 0 || s != end) return UNICODE_NO_SUCH_NAME;
    return HANGUL_FIRST + (l * 21 + v) * 28 + t;
}

static bool is_cjk_unified(uint32_t code) {
    for (unsigned i = 0; i < unicode_cjk_range_count; i++)
        if (code >= unicode_cjk_ranges[i][0] && code <= unicode_cjk_ranges[i][1]) return true;
    return false;
}

static int32_t cjk_code(const char *s, const char *end) {
    if (end - s != 4 && end - s != 5) return UNICODE_NO_SUCH_NAME;
    uint32_t code = 0;
    for (; s < end; s++) {
        if (*s >= '0' && *s <= '9') code = code * 16 + (uint32_t)(*s - '0');
        else if (*s >= 'A' && *s <= 'F') code = code * 16 + (uint32_t)(*s - 'A' + 10);
        else return UNICODE_NO_SUCH_NAME;
    }
    return is_cjk_unified(code) ? (int32_t)code : UNICODE_NO_SUCH_NAME;
}

static bool starts_with(const char *s, size_t length, const char *prefix) {
    size_t n = strlen(prefix);
    return length >= n && memcmp(s, prefix, n) == 0;
}

int32_t unicode_code_of_name(const char *name, size_t length) {
    static const char hangul[] = "HANGUL SYLLABLE ", cjk[] = "CJK UNIFIED IDEOGRAPH-";
    if (starts_with(name, length, hangul)) return hangul_code(name + strlen(hangul), name + length);
    if (starts_with(name, length, cjk)) return cjk_code(name + strlen(cjk), name + length);
    if (length >= UNICODE_NAME_MAX) return UNICODE_NO_SUCH_NAME;
    if (!tables_ready()) return UNICODE_NAMES_NO_MEMORY;
    char buf[UNICODE_NAME_MAX];
    for (uint32_t slot = hash_name(name, length) & hash_mask; hash_slots[slot]; slot = (slot + 1) & hash_mask) {
        uint32_t i = hash_slots[slot] - 1;
        if (spell(i, buf) == length && same_name_ignoring_case(name, buf, length))
            return (int32_t)entries[i].code;
    }
    return UNICODE_NO_SUCH_NAME;
}

int unicode_name_of_code(uint32_t code, char *buf) {
    if (code >= HANGUL_FIRST && code < HANGUL_FIRST + HANGUL_COUNT) {
        uint32_t s = code - HANGUL_FIRST;
        return snprintf(buf, UNICODE_NAME_MAX, "HANGUL SYLLABLE %s%s%s", unicode_jamo_leading[s / (21 * 28)],
                        unicode_jamo_vowels[s / 28 % 21], unicode_jamo_trailing[s % 28]);
    }
    if (is_cjk_unified(code)) return snprintf(buf, UNICODE_NAME_MAX, "CJK UNIFIED IDEOGRAPH-%04X", (unsigned)code);
    if (!tables_ready()) return -1;
    size_t lo = 0, hi = unicode_names_count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (entries[mid].code < code) lo = mid + 1;
        else hi = mid;
    }
    if (lo == unicode_names_count || entries[lo].code != code) return 0;
    return (int)spell((uint32_t)lo, buf);
}
