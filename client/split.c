/*-------------------------------------------------------------------------
 *
 * split.c
 *	  Split a migration file into statements, for PostgreSQL, MySQL/MariaDB
 *	  and SQLite.
 *
 * The splitter is a single forward scan that knows just enough of each
 * dialect's lexical rules to find the delimiters that end statements:
 *
 *	all		'...' strings, "..." quotes, -- and slash-star comments,
 *			parentheses (a delimiter inside them does not count),
 *			CREATE ... BEGIN ... END bodies (see below), a custom delimiter
 *	postgres	E'...' with backslash escapes, U&'...', $tag$...$tag$
 *			dollar quoting, nested comments, BEGIN ATOMIC ... END
 *	mysql	backslash escapes in strings, "..." strings, `...` identifiers,
 *			# comments, "-- " comments only with a following space,
 *			DELIMITER xx ... DELIMITER ; as the mysql client does,
 *			BEGIN ... END compound statements (END IF, END LOOP, END
 *			WHILE, END REPEAT do not close a block; END CASE does)
 *	sqlite	`...` and [...] identifiers, CREATE TRIGGER ... BEGIN ... END
 *
 * Each statement keeps its text, trimmed, with the ';' delimiter kept (a
 * custom delimiter is removed, as the mysql client does), and the 1-based
 * line of its first character.  Comments that stand between statements
 * belong to no statement; comments inside one stay in its text.  Empty
 * statements (a lone delimiter) are dropped; text after the last
 * delimiter is a statement of its own.  A UTF-8 byte order mark at the
 * start is skipped; CR LF line ends are kept in the text (so that hashes
 * match the file) and count as one line.
 *
 * BEGIN ... END bodies: in a statement that starts with CREATE and names a
 * FUNCTION or PROCEDURE (PostgreSQL), or a TRIGGER, PROCEDURE, FUNCTION or
 * EVENT (MySQL, SQLite), a BEGIN outside parentheses opens a block in
 * which delimiters do not end the statement; CASE inside a block opens
 * one too (it ends with END), and END closes the innermost.  MariaDB's
 * anonymous BEGIN NOT ATOMIC ... END is a block too.
 *
 * Robustness: no global state, every index is checked against the length
 * (the input need not be NUL-terminated), the scan is linear in the input
 * (a dollar-quote search never re-reads a byte that matched the tag), and
 * memory is proportional to the input.  Malformed input returns an error
 * with the 1-based line where the offending construct starts.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/split.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core.h"

#define MAX_DELIMITER 63

typedef struct Scan
{
	const char *s;
	size_t		len;
	size_t		i;
	int			line;
	Dialect		dialect;
	char		delim[MAX_DELIMITER + 1];
	size_t		dlen;
	bool		custom;			/* delimiter is not ";" */
	StmtList   *out;
	int			cap;
	SplitError *err;

	/* the statement being scanned */
	bool		in_stmt;
	size_t		start;
	int			start_line;
	int			paren;
	int			paren_line;
	int			block;
	int			block_line;
	int			nwords;			/* words seen at depth 0 */
	bool		is_create;
	bool		routine;		/* BEGIN opens a block */
	bool		first_begin;	/* first word was BEGIN (MariaDB NOT ATOMIC) */
	bool		skip_word;		/* the word after END (END CASE, END IF, ...) */
} Scan;

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool
is_ident_start(char c)
{
	unsigned char u = (unsigned char) c;

	return (u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || u == '_' || u >= 0x80;
}

static bool
is_ident_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9') || c == '$';
}

static int
			fail(Scan *sc, int line, const char *fmt,...) __attribute__((format(printf, 3, 4)));

static int
fail(Scan *sc, int line, const char *fmt,...)
{
	va_list		ap;

	sc->err->line = line;
	va_start(ap, fmt);
	vsnprintf(sc->err->msg, sizeof(sc->err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

/* advance over s[i..to), counting lines */
static void
advance_to(Scan *sc, size_t to)
{
	while (sc->i < to && sc->i < sc->len)
	{
		if (sc->s[sc->i] == '\n')
			sc->line++;
		sc->i++;
	}
}

static void
emit(Scan *sc, size_t end)
{
	size_t		b = sc->start;
	size_t		e = end;

	while (b < e && is_space(sc->s[b]))
		b++;
	while (e > b && is_space(sc->s[e - 1]))
		e--;
	if (e > b)
	{
		Stmt	   *st;

		if (sc->out->n == sc->cap)
		{
			sc->cap = sc->cap ? sc->cap * 2 : 16;
			sc->out->items = xrealloc(sc->out->items, sizeof(Stmt) * sc->cap);
		}
		st = &sc->out->items[sc->out->n++];
		st->text = xstrndup(sc->s + b, e - b);
		st->line = sc->start_line;
	}
	sc->in_stmt = false;
	sc->paren = 0;
	sc->block = 0;
	sc->nwords = 0;
	sc->is_create = false;
	sc->routine = false;
	sc->first_begin = false;
	sc->skip_word = false;
}

static void
set_delimiter(Scan *sc, const char *d, size_t n)
{
	memcpy(sc->delim, d, n);
	sc->delim[n] = '\0';
	sc->dlen = n;
	sc->custom = !(n == 1 && d[0] == ';');
}

/* letters, digits, underscore: what makes a delimiter such as GO a word */
static bool
is_word_char(char c)
{
	return is_ident_start(c) || (c >= '0' && c <= '9');
}

/* does the delimiter start at s[i]? */
static bool
delimiter_at(const Scan *sc, size_t i)
{
	if (sc->len - i < sc->dlen || sc->s[i] != sc->delim[0] ||
		memcmp(sc->s + i, sc->delim, sc->dlen) != 0)
		return false;
	/* a delimiter made of a word ("GO") must stand alone */
	if (is_word_char(sc->delim[0]) && i > 0 && is_word_char(sc->s[i - 1]))
		return false;
	if (is_word_char(sc->delim[sc->dlen - 1]) && i + sc->dlen < sc->len &&
		is_word_char(sc->s[i + sc->dlen]))
		return false;
	return true;
}

static bool
word_is(const char *w, size_t n, const char *kw)
{
	return strlen(kw) == n && strncasecmp(w, kw, n) == 0;
}

/* the word starting at s[i] after optional blanks, for END IF lookahead */
static void
peek_word(const Scan *sc, size_t i, const char **w, size_t *n)
{
	size_t		j;

	while (i < sc->len && is_space(sc->s[i]))
		i++;
	j = i;
	while (j < sc->len && is_ident_char(sc->s[j]))
		j++;
	*w = sc->s + i;
	*n = j - i;
}

/*
 * MySQL client command "DELIMITER xx" at the start of a statement.
 * Returns 1 if handled (scan moved past the line), 0 if not a DELIMITER
 * command, -1 on error.
 */
static int
delimiter_command(Scan *sc)
{
	const char *s = sc->s;
	size_t		i = sc->i,
				j,
				b,
				e;
	int			line = sc->line;

	if (sc->len - i < 10 || strncasecmp(s + i, "delimiter", 9) != 0 ||
		(s[i + 9] != ' ' && s[i + 9] != '\t'))
		return 0;
	j = i + 9;
	while (j < sc->len && (s[j] == ' ' || s[j] == '\t'))
		j++;
	b = j;
	if (j < sc->len && (s[j] == '\'' || s[j] == '"' || s[j] == '`'))
	{
		char		q = s[j];

		b = ++j;
		while (j < sc->len && s[j] != q && s[j] != '\n')
			j++;
		if (j >= sc->len || s[j] != q)
			return fail(sc, line, "unterminated quoted delimiter in DELIMITER command");
		e = j++;
	}
	else
	{
		while (j < sc->len && !is_space(s[j]))
			j++;
		e = j;
	}
	if (e == b)
		return fail(sc, line, "DELIMITER command without a delimiter");
	if (e - b > MAX_DELIMITER)
		return fail(sc, line, "delimiter is longer than %d bytes", MAX_DELIMITER);
	set_delimiter(sc, s + b, e - b);
	/* the rest of the line is ignored, as the mysql client does */
	while (j < sc->len && s[j] != '\n')
		j++;
	advance_to(sc, j);
	return 1;
}

/* a quoted string or identifier ending with q; i is at the opening quote */
static int
skip_quoted(Scan *sc, char q, bool backslash, const char *what)
{
	int			line = sc->line;
	size_t		j = sc->i + 1;

	while (j < sc->len)
	{
		char		c = sc->s[j];

		if (backslash && c == '\\')
		{
			j += 2;
			continue;
		}
		if (c == q)
		{
			if (j + 1 < sc->len && sc->s[j + 1] == q)
			{
				j += 2;
				continue;
			}
			advance_to(sc, j + 1);
			return 0;
		}
		j++;
	}
	return fail(sc, line, "unterminated %s", what);
}

/* slash-star comment; i is at the slash */
static int
skip_block_comment(Scan *sc)
{
	int			line = sc->line;
	bool		nested = sc->dialect == DIALECT_POSTGRES;
	int			depth = 1;
	size_t		j = sc->i + 2;

	while (j < sc->len)
	{
		if (sc->s[j] == '*' && j + 1 < sc->len && sc->s[j + 1] == '/')
		{
			j += 2;
			if (--depth == 0)
			{
				advance_to(sc, j);
				return 0;
			}
			continue;
		}
		if (nested && sc->s[j] == '/' && j + 1 < sc->len && sc->s[j + 1] == '*')
		{
			depth++;
			j += 2;
			continue;
		}
		j++;
	}
	return fail(sc, line, "unterminated /* comment");
}

/*
 * PostgreSQL dollar quoting.  Returns 1 if a dollar quote was skipped, 0
 * if the '$' does not open one, -1 on error.
 */
static int
skip_dollar(Scan *sc)
{
	const char *s = sc->s;
	size_t		i = sc->i,
				j = i + 1,
				taglen;
	int			line = sc->line;

	if (j < sc->len && is_ident_start(s[j]))
	{
		while (j < sc->len && is_ident_char(s[j]) && s[j] != '$')
			j++;
	}
	if (j >= sc->len || s[j] != '$')
		return 0;
	taglen = j + 1 - i;			/* "$tag$" */
	j++;
	while (j < sc->len)
	{
		if (s[j] == '$' && sc->len - j >= taglen &&
			memcmp(s + j, s + i, taglen) == 0)
		{
			advance_to(sc, j + taglen);
			return 1;
		}
		j++;
	}
	return fail(sc, line, "unterminated dollar-quoted string %.*s",
				(int) (taglen > 40 ? 40 : taglen), s + i);
}

/* keywords that drive BEGIN ... END tracking */
static void
track_word(Scan *sc, const char *w, size_t n, size_t after)
{
	bool		pg = sc->dialect == DIALECT_POSTGRES;

	/* with a custom delimiter the user marks the ends: no guessing */
	if (sc->paren > 0 || sc->custom)
		return;
	if (sc->skip_word)
	{
		sc->skip_word = false;
		return;
	}
	sc->nwords++;
	if (sc->nwords == 1)
	{
		sc->is_create = word_is(w, n, "create");
		sc->first_begin = !pg && word_is(w, n, "begin");
		return;
	}
	if (sc->nwords == 2 && sc->first_begin && word_is(w, n, "not"))
	{
		/* MariaDB: BEGIN NOT ATOMIC ... END */
		sc->block = 1;
		sc->block_line = sc->start_line;
		return;
	}
	if (sc->is_create && !sc->routine)
	{
		if (word_is(w, n, "function") || word_is(w, n, "procedure") ||
			(!pg && (word_is(w, n, "trigger") || word_is(w, n, "event"))))
			sc->routine = true;
		return;
	}
	if (word_is(w, n, "begin"))
	{
		if (sc->routine || sc->block > 0)
		{
			if (sc->block++ == 0)
				sc->block_line = sc->line;
		}
	}
	else if (word_is(w, n, "case"))
	{
		if (sc->block > 0)
			sc->block++;
	}
	else if (word_is(w, n, "end") && sc->block > 0)
	{
		const char *nw;
		size_t		nn;

		if (!pg)
		{
			peek_word(sc, after, &nw, &nn);
			if (word_is(nw, nn, "if") || word_is(nw, nn, "loop") ||
				word_is(nw, nn, "while") || word_is(nw, nn, "repeat"))
			{
				sc->skip_word = true;
				return;
			}
			/* END CASE closes a CASE statement; CASE must not open one */
			if (word_is(nw, nn, "case"))
				sc->skip_word = true;
		}
		sc->block--;
	}
}

static int
scan_token(Scan *sc)
{
	const char *s = sc->s;
	size_t		i = sc->i;
	char		c = s[i];
	Dialect		d = sc->dialect;

	switch (c)
	{
		case '\'':
			{
				bool		bs = d == DIALECT_MYSQL;

				/* E'...' (not part of a longer word) takes backslash escapes */
				if (d == DIALECT_POSTGRES && i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
					(i < 2 || !is_ident_char(s[i - 2])))
					bs = true;
				return skip_quoted(sc, '\'', bs, "quoted string");
			}
		case '"':
			if (d == DIALECT_MYSQL)
				return skip_quoted(sc, '"', true, "quoted string");
			return skip_quoted(sc, '"', false, "quoted identifier");
		case '`':
			if (d == DIALECT_POSTGRES)
				break;
			return skip_quoted(sc, '`', false, "quoted identifier");
		case '[':
			if (d != DIALECT_SQLITE)
				break;
			{
				int			line = sc->line;
				size_t		j = i + 1;

				while (j < sc->len && s[j] != ']')
					j++;
				if (j >= sc->len)
					return fail(sc, line, "unterminated quoted identifier");
				advance_to(sc, j + 1);
				return 0;
			}
		case '$':
			if (d == DIALECT_POSTGRES)
			{
				int			r = skip_dollar(sc);

				if (r != 0)
					return r < 0 ? -1 : 0;
			}
			break;
		case '(':
			if (sc->paren++ == 0)
				sc->paren_line = sc->line;
			break;
		case ')':
			if (sc->paren == 0)
				return fail(sc, sc->line, "unbalanced parentheses: \")\" without a matching \"(\"");
			sc->paren--;
			break;
		default:
			if (is_ident_start(c))
			{
				size_t		j = i;
				bool		qualified = i > 0 && s[i - 1] == '.';

				while (j < sc->len && is_ident_char(s[j]))
					j++;
				if (!qualified)
					track_word(sc, s + i, j - i, j);
				advance_to(sc, j);
				return 0;
			}
			if (c >= '0' && c <= '9')
			{
				size_t		j = i;

				while (j < sc->len && (is_ident_char(s[j]) || s[j] == '.') && s[j] != '$')
					j++;
				advance_to(sc, j);
				return 0;
			}
			break;
	}
	advance_to(sc, i + 1);
	return 0;
}

static bool
line_comment_at(const Scan *sc, size_t i)
{
	const char *s = sc->s;

	if (s[i] == '#' && sc->dialect == DIALECT_MYSQL)
		return true;
	if (s[i] != '-' || i + 1 >= sc->len || s[i + 1] != '-')
		return false;
	/* MySQL wants "-- " followed by a blank or a control character */
	if (sc->dialect == DIALECT_MYSQL && i + 2 < sc->len &&
		(unsigned char) s[i + 2] > ' ')
		return false;
	return true;
}

int
split_sql(const char *text, size_t len, Dialect dialect, const char *delimiter,
		  int first_line, StmtList *out, SplitError *err)
{
	Scan		sc;

	memset(&sc, 0, sizeof(sc));
	memset(out, 0, sizeof(*out));
	memset(err, 0, sizeof(*err));
	sc.s = text ? text : "";
	sc.len = text ? len : 0;

	sc.line = first_line > 0 ? first_line : 1;
	sc.dialect = dialect;
	sc.out = out;
	sc.err = err;
	if (delimiter == NULL || delimiter[0] == '\0')
		delimiter = ";";
	if (strlen(delimiter) > MAX_DELIMITER)
	{
		fail(&sc, sc.line, "delimiter is longer than %d bytes", MAX_DELIMITER);
		return -1;
	}
	set_delimiter(&sc, delimiter, strlen(delimiter));

	/*
	 * A NUL byte anywhere, also inside a string or a comment, is an error:
	 * statement texts are C strings and would silently end at it.
	 */
	{
		const char *nul = memchr(sc.s, '\0', sc.len);

		if (nul != NULL)
		{
			fail(&sc, sc.line - 1 + line_at(sc.s, sc.len, (size_t) (nul - sc.s)),
				 "NUL byte in input");
			return -1;
		}
	}

	/*
	 * Skip a byte order mark by moving the start of the text, so that no
	 * look-behind (a word delimiter such as GO, E'...', a qualified name)
	 * takes its bytes for part of a word.
	 */
	if (sc.len >= 3 && memcmp(sc.s, "\xEF\xBB\xBF", 3) == 0)
	{
		sc.s += 3;
		sc.len -= 3;
	}

	while (sc.i < sc.len)
	{
		size_t		i = sc.i;
		char		c = sc.s[i];

		if (sc.in_stmt && sc.paren == 0 && sc.block == 0 && delimiter_at(&sc, i))
		{
			emit(&sc, sc.custom ? i : i + sc.dlen);
			advance_to(&sc, i + sc.dlen);
			continue;
		}
		if (!sc.in_stmt && delimiter_at(&sc, i))
		{
			/* empty statement */
			advance_to(&sc, i + sc.dlen);
			continue;
		}
		if (is_space(c))
		{
			advance_to(&sc, i + 1);
			continue;
		}
		if (!sc.in_stmt && dialect == DIALECT_MYSQL)
		{
			int			r = delimiter_command(&sc);

			if (r < 0)
				goto error;
			if (r > 0)
				continue;
		}
		if (line_comment_at(&sc, i))
		{
			size_t		j = i;

			while (j < sc.len && sc.s[j] != '\n')
				j++;
			advance_to(&sc, j);
			continue;
		}
		if (c == '/' && i + 1 < sc.len && sc.s[i + 1] == '*')
		{
			if (skip_block_comment(&sc) < 0)
				goto error;
			continue;
		}
		if (!sc.in_stmt)
		{
			sc.in_stmt = true;
			sc.start = i;
			sc.start_line = sc.line;
		}
		if (scan_token(&sc) < 0)
			goto error;
	}
	if (sc.in_stmt)
	{
		if (sc.paren > 0)
		{
			fail(&sc, sc.paren_line, "unbalanced parentheses: \"(\" is never closed");
			goto error;
		}
		if (sc.block > 0)
		{
			fail(&sc, sc.block_line, "BEGIN without a matching END");
			goto error;
		}
		emit(&sc, sc.len);
	}
	return 0;

error:
	stmtlist_free(out);
	return -1;
}

void
stmtlist_free(StmtList *l)
{
	int			k;

	for (k = 0; k < l->n; k++)
		free(l->items[k].text);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}
