#include "base/glob.h"

#include <stdint.h>

/* Redis refuses to recurse through more stars than this; a pattern nesting
 * deeper simply fails to match, and so must ours. */
#define MAX_STAR_NESTING 1000

struct matcher {
	const unsigned char *pat;
	size_t plen;
	const unsigned char *str;
	size_t slen;
	bool nocase;
	/* Set when the rest of the pattern failed from every remaining start:
	 * letting an earlier star swallow more cannot help then, which keeps
	 * pathological patterns linear instead of exponential. */
	bool give_up;
};

/* Redis reads one byte past a pattern's end (its strings are NUL-terminated),
 * and that read decides some edge cases: bytes past the end read as 0. */
static int pat_byte(const struct matcher *m, size_t i)
{
	return i < m->plen ? m->pat[i] : 0;
}

static int fold(const struct matcher *m, int c)
{
	return m->nocase && c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Range ends compare as signed chars, as on the x86 builds of Redis, so
 * bytes >= 0x80 sort before ASCII inside [..-..]. */
static bool in_range(const struct matcher *m, int lo, int hi, unsigned char ch)
{
	int a = (signed char)lo, b = (signed char)hi, x = (signed char)ch;
	if (a > b) {
		int t = a;
		a = b;
		b = t;
	}
	x = fold(m, x);
	return x >= fold(m, a) && x <= fold(m, b);
}

/* Match one byte against the class whose '[' is at *pi. Leaves *pi on the
 * closing ']', or on the last byte of a class the pattern never closes. */
static bool class_match(const struct matcher *m, size_t *pi, unsigned char ch)
{
	size_t i = *pi + 1;
	bool negate = pat_byte(m, i) == '^';
	if (negate)
		i++;
	bool hit = false;
	for (;; i++) {
		size_t left = m->plen > i ? m->plen - i : 0;
		int c = pat_byte(m, i);
		if (c == '\\' && left >= 2) {
			i++;
			hit |= pat_byte(m, i) == ch;  /* escapes ignore nocase, as in Redis */
		} else if (c == ']') {
			break;
		} else if (left == 0) {
			i--;
			break;
		} else if (left >= 3 && pat_byte(m, i + 1) == '-') {
			hit |= in_range(m, c, pat_byte(m, i + 2), ch);
			i += 2;
		} else {
			hit |= fold(m, c) == fold(m, ch);
		}
	}
	*pi = i;
	return hit != negate;
}

/* Try every split of the string for the star at pi (runs of stars are one). */
static bool match_from(struct matcher *m, size_t pi, size_t si, int nesting);

static bool match_star(struct matcher *m, size_t pi, size_t si, int nesting)
{
	while (pat_byte(m, pi + 1) == '*')
		pi++;
	if (pi + 1 == m->plen)
		return true;
	for (; si < m->slen; si++) {
		if (match_from(m, pi + 1, si, nesting + 1))
			return true;
		if (m->give_up)
			return false;
	}
	m->give_up = true;
	return false;
}

static bool match_from(struct matcher *m, size_t pi, size_t si, int nesting)
{
	if (nesting > MAX_STAR_NESTING)
		return false;
	while (pi < m->plen && si < m->slen) {
		int c = m->pat[pi];
		if (c == '*')
			return match_star(m, pi, si, nesting);
		if (c == '[') {
			if (!class_match(m, &pi, m->str[si]))
				return false;
		} else if (c != '?') {
			if (c == '\\' && m->plen - pi >= 2)
				c = m->pat[++pi];
			if (fold(m, c) != fold(m, m->str[si]))
				return false;
		}
		si++;
		pi++;
		/* Trailing stars match the empty rest of the string. */
		if (si == m->slen)
			while (pat_byte(m, pi) == '*')
				pi++;
	}
	return pi == m->plen && si == m->slen;
}

bool glob_match(const char *pattern, size_t plen, const char *str, size_t slen, bool nocase)
{
	struct matcher m = {
		.pat = (const unsigned char *)pattern,
		.plen = plen,
		.str = (const unsigned char *)str,
		.slen = slen,
		.nocase = nocase,
		.give_up = false,
	};
	return match_from(&m, 0, 0, 0);
}
