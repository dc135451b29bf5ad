/*-------------------------------------------------------------------------
 *
 * driver_sqlite_schema.c
 *	  The SQLite catalog as the driver sees it: sqlite_master objects, SQL
 *	  text (tokenizer, normalisation, CREATE TABLE parts), descriptions
 *	  from the pragmas, and scratch databases.
 *
 * Normalisation exists because SQLite keeps definitions as text and edits
 * that text on ALTER TABLE (quoting renamed names, appending added
 * columns): two texts that differ only in whitespace, comments, quoting or
 * letter case of names define the same object.
 *
 * A scratch database is an in-memory database holding a copy of a schema
 * without data.  Describing a definition that is no longer live (a
 * recorded image) is done by creating it there; a revert plan is rehearsed
 * there statement by statement before it touches the real file.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/driver_sqlite_schema.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "driver_sqlite.h"

/* ------------------------------------------------------------------------
 * Memory and strings
 * ------------------------------------------------------------------------
 */













void
sqb_ident(StrBuf *b, const char *name)
{
	sb_putc(b, '"');
	for (const char *p = name; *p; p++)
	{
		if (*p == '"')
			sb_putc(b, '"');
		sb_putc(b, *p);
	}
	sb_putc(b, '"');
}

char *
sq_ident(const char *name)
{
	StrBuf		b;

	sb_init(&b);
	sqb_ident(&b, name);
	return sb_steal(&b);
}

bool
sq_name_eq(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return sqlite3_stricmp(a, b) == 0;
}

int
sq_version_cmp(const char *a, const char *b)
{
	const char *pa = a,
			   *pb = b;

	while (*pa && *pb)
	{
		if (isdigit((unsigned char) *pa) && isdigit((unsigned char) *pb))
		{
			const char *ea,
					   *eb;
			size_t		la,
						lb;
			int			c;

			while (*pa == '0' && isdigit((unsigned char) pa[1]))
				pa++;
			while (*pb == '0' && isdigit((unsigned char) pb[1]))
				pb++;
			for (ea = pa; isdigit((unsigned char) *ea); ea++)
				;
			for (eb = pb; isdigit((unsigned char) *eb); eb++)
				;
			la = (size_t) (ea - pa);
			lb = (size_t) (eb - pb);
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(pa, pb, la);
			if (c != 0)
				return c < 0 ? -1 : 1;
			pa = ea;
			pb = eb;
			continue;
		}
		if (*pa != *pb)
			return (unsigned char) *pa < (unsigned char) *pb ? -1 : 1;
		pa++;
		pb++;
	}
	if (*pa || *pb)
		return *pa ? 1 : -1;
	return strcmp(a, b) < 0 ? -1 : (strcmp(a, b) > 0 ? 1 : 0);
}

int64_t
sq_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t
sq_clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t) ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ------------------------------------------------------------------------
 * Statements
 * ------------------------------------------------------------------------
 */
int
sq_exec(sqlite3 *db, const char *sql, char **err)
{
	char	   *msg = NULL;
	int			rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK && err)
		*err = xstrdup(msg ? msg : sqlite3_errstr(rc));
	sqlite3_free(msg);
	return rc;
}

int
sq_query_int(sqlite3 *db, const char *sql, int64_t *out, char **err)
{
	sqlite3_stmt *st;
	int			rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
	{
		if (err)
			*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
	{
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	else if (rc == SQLITE_DONE)
	{
		*out = 0;
		rc = SQLITE_OK;
	}
	else if (err)
		*err = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc;
}

/* ------------------------------------------------------------------------
 * Objects
 * ------------------------------------------------------------------------
 */
static const char *const kind_names[] = {"table", "index", "view", "trigger"};

const char *
sq_kind_name(SqKind k)
{
	return kind_names[k];
}

int
sq_kind_from_name(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (s && strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}

bool
sq_same_namespace(SqKind a, SqKind b)
{
	return (a == SQ_TRIGGER) == (b == SQ_TRIGGER);
}

static int
object_cmp(const void *x, const void *y)
{
	const SqObject *a = x,
			   *b = y;

	if (a->kind != b->kind)
		return (int) a->kind - (int) b->kind;
	return sqlite3_stricmp(a->name, b->name);
}

void
sq_object_copy(const SqObject *from, SqObject *to)
{
	*to = *from;
	to->name = xstrdup(from->name);
	to->tbl_name = xstrdup(from->tbl_name);
	to->sql = xstrdup(from->sql);
}

void
sq_object_free(SqObject *o)
{
	free(o->name);
	free(o->tbl_name);
	free(o->sql);
	memset(o, 0, sizeof(*o));
}

void
sq_schema_free(SqSchema *s)
{
	for (int i = 0; i < s->n; i++)
		sq_object_free(&s->items[i]);
	free(s->items);
	s->items = NULL;
	s->n = 0;
}

void
sq_schema_copy(const SqSchema *from, SqSchema *to)
{
	to->n = from->n;
	to->items = xmalloc(sizeof(SqObject) * (from->n ? from->n : 1));
	for (int i = 0; i < from->n; i++)
		sq_object_copy(&from->items[i], &to->items[i]);
}

SqObject *
sq_schema_find(const SqSchema *s, SqKind kind, const char *name)
{
	if (name == NULL)
		return NULL;
	for (int i = 0; i < s->n; i++)
		if (sq_same_namespace(s->items[i].kind, kind) &&
			sq_name_eq(s->items[i].name, name))
			return &s->items[i];
	return NULL;
}

int
sq_schema_read(sqlite3 *db, SqSchema *out, char **err)
{
	static const char *sql =
	"SELECT m.type, m.name, m.tbl_name, m.rootpage, m.sql"
	"  FROM main.sqlite_master AS m"
	" WHERE m.sql IS NOT NULL"
	"   AND m.name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
	"   AND m.tbl_name NOT IN ('" SQ_REVISIONS_TABLE "', '" SQ_UNITS_TABLE "', '"
	SQ_IMAGES_TABLE "', '" SQ_TAGS_TABLE "')"
	"   AND m.type IN ('table', 'index', 'view', 'trigger')";
	sqlite3_stmt *st;
	int			rc;
	int			cap = 16;

	out->n = 0;
	out->items = xmalloc(sizeof(SqObject) * cap);
	rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		SqObject   *o;

		if (out->n == cap)
		{
			cap *= 2;
			out->items = xrealloc(out->items, sizeof(SqObject) * cap);
		}
		o = &out->items[out->n++];
		memset(o, 0, sizeof(*o));
		o->kind = (SqKind) sq_kind_from_name((const char *) sqlite3_column_text(st, 0));
		o->name = xstrdup((const char *) sqlite3_column_text(st, 1));
		o->tbl_name = xstrdup((const char *) sqlite3_column_text(st, 2));
		o->rootpage = sqlite3_column_int64(st, 3);
		o->sql = xstrdup((const char *) sqlite3_column_text(st, 4));
	}
	if (rc != SQLITE_DONE)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		sqlite3_finalize(st);
		sq_schema_free(out);
		return rc;
	}
	sqlite3_finalize(st);

	/* virtual tables and their shadow tables, which are few */
	rc = sqlite3_prepare_v2(db, "SELECT name, type FROM pragma_table_list"
							" WHERE schema = 'main' AND type IN ('virtual', 'shadow')",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		sq_schema_free(out);
		return rc;
	}
	while (sqlite3_step(st) == SQLITE_ROW)
	{
		const char *name = (const char *) sqlite3_column_text(st, 0);
		const char *type = (const char *) sqlite3_column_text(st, 1);

		for (int i = 0; i < out->n; i++)
			if (out->items[i].kind == SQ_TABLE && sq_name_eq(out->items[i].name, name))
			{
				out->items[i].is_virtual = strcmp(type, "virtual") == 0;
				out->items[i].is_shadow = strcmp(type, "shadow") == 0;
			}
	}
	sqlite3_finalize(st);
	if (out->n > 1)
		qsort(out->items, out->n, sizeof(SqObject), object_cmp);
	return SQLITE_OK;
}

/* ------------------------------------------------------------------------
 * Tokenizer
 * ------------------------------------------------------------------------
 */
static bool
id_start(unsigned char c)
{
	return isalpha(c) || c == '_' || c >= 0x80;
}

static bool
id_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

SqToken
sq_next_token(const char *s, size_t *pos)
{
	SqToken		t;
	size_t		i = *pos;
	unsigned char c = (unsigned char) s[i];

	t.start = s + i;
	if (c == '\0')
	{
		t.type = TK_EOF;
		t.len = 0;
		return t;
	}
	if (isspace(c))
	{
		while (s[i] && isspace((unsigned char) s[i]))
			i++;
		t.type = TK_SPACE;
	}
	else if (c == '-' && s[i + 1] == '-')
	{
		while (s[i] && s[i] != '\n')
			i++;
		t.type = TK_COMMENT;
	}
	else if (c == '/' && s[i + 1] == '*')
	{
		i += 2;
		while (s[i] && !(s[i] == '*' && s[i + 1] == '/'))
			i++;
		if (s[i])
			i += 2;
		t.type = TK_COMMENT;
	}
	else if (c == '\'' || c == '"' || c == '`' || c == '[')
	{
		char		close = c == '[' ? ']' : (char) c;

		i++;
		for (;;)
		{
			if (s[i] == '\0')
				break;
			if (s[i] == close)
			{
				if (close != ']' && s[i + 1] == close)
				{
					i += 2;
					continue;
				}
				i++;
				break;
			}
			i++;
		}
		t.type = c == '\'' ? TK_STRING : TK_QIDENT;
	}
	else if ((c == 'x' || c == 'X') && s[i + 1] == '\'')
	{
		i += 2;
		while (s[i] && s[i] != '\'')
			i++;
		if (s[i])
			i++;
		t.type = TK_BLOB;
	}
	else if (isdigit(c) || (c == '.' && isdigit((unsigned char) s[i + 1])))
	{
		if (c == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X'))
		{
			i += 2;
			while (isxdigit((unsigned char) s[i]))
				i++;
		}
		else
		{
			while (isdigit((unsigned char) s[i]) || s[i] == '_')
				i++;
			if (s[i] == '.')
			{
				i++;
				while (isdigit((unsigned char) s[i]))
					i++;
			}
			if ((s[i] == 'e' || s[i] == 'E') &&
				(isdigit((unsigned char) s[i + 1]) ||
				 ((s[i + 1] == '+' || s[i + 1] == '-') && isdigit((unsigned char) s[i + 2]))))
			{
				i += 2;
				while (isdigit((unsigned char) s[i]))
					i++;
			}
		}
		t.type = TK_NUMBER;
	}
	else if (id_start(c))
	{
		while (s[i] && id_char((unsigned char) s[i]))
			i++;
		t.type = TK_WORD;
	}
	else if (c == '?' || c == ':' || c == '@' || c == '$')
	{
		i++;
		while (s[i] && id_char((unsigned char) s[i]))
			i++;
		t.type = TK_VARIABLE;
	}
	else if (c == '(' || c == ')' || c == ',' || c == ';' || c == '.')
	{
		i++;
		t.type = TK_PUNCT;
	}
	else
	{
		static const char *const ops[] = {"->>", "||", "<=", ">=", "==", "!=", "<>",
		"<<", ">>", "->", NULL};

		t.type = TK_OP;
		i++;
		for (int k = 0; ops[k]; k++)
			if (strncmp(s + *pos, ops[k], strlen(ops[k])) == 0)
			{
				i = *pos + strlen(ops[k]);
				break;
			}
	}
	t.len = i - *pos;
	*pos = i;
	return t;
}

/* next token that is neither space nor comment */
static SqToken
next_sig(const char *s, size_t *pos)
{
	SqToken		t;

	do
		t = sq_next_token(s, pos);
	while (t.type == TK_SPACE || t.type == TK_COMMENT);
	return t;
}

char *
sq_token_ident(const SqToken *t)
{
	StrBuf		b;
	char		close;

	if (t->type != TK_QIDENT && t->type != TK_STRING)
		return xstrndup(t->start, t->len);
	close = t->start[0] == '[' ? ']' : t->start[0];
	sb_init(&b);
	for (size_t i = 1; i < t->len; i++)
	{
		if (t->start[i] == close)
		{
			if (close != ']' && i + 1 < t->len && t->start[i + 1] == close)
			{
				sb_putc(&b, close);
				i++;
				continue;
			}
			break;
		}
		sb_putc(&b, t->start[i]);
	}
	return sb_steal(&b);
}

bool
sq_token_is(const SqToken *t, const char *word)
{
	return t->type == TK_WORD && strlen(word) == t->len &&
		sqlite3_strnicmp(t->start, word, (int) t->len) == 0;
}

static bool
wordish(SqTokType t)
{
	return t == TK_WORD || t == TK_QIDENT || t == TK_STRING || t == TK_BLOB ||
		t == TK_NUMBER || t == TK_VARIABLE;
}

static bool
plain_ident(const char *s)
{
	if (!id_start((unsigned char) s[0]) || (unsigned char) s[0] >= 0x80)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char) *p) && *p != '_')
			return false;
	return true;
}

static void
put_lower(StrBuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sb_putc(b, (char) tolower((unsigned char) s[i]));
}

/* append the canonical form of one significant token */
static void
normalize_token(StrBuf *b, const SqToken *t)
{
	if (t->type == TK_WORD)
		put_lower(b, t->start, t->len);
	else if (t->type == TK_QIDENT)
	{
		char	   *id = sq_token_ident(t);

		if (plain_ident(id))
			put_lower(b, id, strlen(id));
		else
		{
			StrBuf		q;

			sb_init(&q);
			put_lower(&q, id, strlen(id));
			sqb_ident(b, q.data ? q.data : "");
			sb_free(&q);
		}
		free(id);
	}
	else if (t->type == TK_BLOB)
		put_lower(b, t->start, t->len);
	else
		sb_put(b, t->start, t->len);
}

char *
sq_normalize(const char *sql)
{
	StrBuf		b;
	size_t		pos = 0;
	SqTokType	prev = TK_EOF;

	if (sql == NULL)
		return xstrdup("");
	sb_init(&b);
	for (;;)
	{
		SqToken		t = next_sig(sql, &pos);

		if (t.type == TK_EOF)
			break;
		if (wordish(prev) && wordish(t.type))
			sb_putc(&b, ' ');
		normalize_token(&b, &t);
		prev = t.type;
	}
	/* a trailing semicolon is not part of a definition */
	while (b.len > 0 && b.data[b.len - 1] == ';')
		b.data[--b.len] = '\0';
	return sb_steal(&b);
}

bool
sq_sql_equal(const char *a, const char *b)
{
	char	   *na,
			   *nb;
	bool		eq;

	if (a == NULL || b == NULL)
		return a == b;
	if (strcmp(a, b) == 0)
		return true;
	na = sq_normalize(a);
	nb = sq_normalize(b);
	eq = strcmp(na, nb) == 0;
	free(na);
	free(nb);
	return eq;
}

void
sq_first_word(const char *sql, char *out, size_t size)
{
	size_t		pos = 0;
	SqToken		t = next_sig(sql, &pos);
	size_t		n = 0;

	if (t.type == TK_WORD)
		for (; n < t.len && n + 1 < size; n++)
			out[n] = (char) tolower((unsigned char) t.start[n]);
	out[n] = '\0';
}

/* ------------------------------------------------------------------------
 * CREATE TABLE parts
 * ------------------------------------------------------------------------
 */

/* normalised text of the balanced parenthesis group starting at *pos ('(' next) */
static char *
paren_group(const char *s, size_t *pos)
{
	size_t		start;
	int			depth = 0;
	SqToken		t = next_sig(s, pos);
	char	   *raw,
			   *norm;

	if (!(t.type == TK_PUNCT && t.start[0] == '('))
		return NULL;
	start = (size_t) (t.start - s) + 1;
	depth = 1;
	for (;;)
	{
		t = next_sig(s, pos);
		if (t.type == TK_EOF)
			return NULL;
		if (t.type == TK_PUNCT && t.start[0] == '(')
			depth++;
		else if (t.type == TK_PUNCT && t.start[0] == ')' && --depth == 0)
			break;
	}
	raw = xstrndup(s + start, (size_t) (t.start - s) - start);
	norm = sq_normalize(raw);
	free(raw);
	return norm;
}

static void
add_check(SqTableText *out, char *expr)
{
	out->checks = xrealloc(out->checks, sizeof(char *) * (out->nchecks + 1));
	out->checks[out->nchecks++] = expr;
}

/* scan one element [from, to) of the column list for CHECK ( ... ) */
static void
scan_checks(const char *s, size_t from, size_t to, SqTableText *out)
{
	char	   *part = xstrndup(s + from, to - from);
	size_t		pos = 0;

	for (;;)
	{
		SqToken		t = next_sig(part, &pos);

		if (t.type == TK_EOF)
			break;
		if (sq_token_is(&t, "check"))
		{
			char	   *e = paren_group(part, &pos);

			if (e)
				add_check(out, e);
		}
	}
	free(part);
}

void
sq_parse_create_table(const char *sql, SqTableText *out)
{
	size_t		pos = 0;
	SqToken		t;
	int			depth;
	size_t		elem_start = 0;
	size_t		elem_end = 0;
	bool		elem_empty = true;
	SqToken		first = {0};

	memset(out, 0, sizeof(*out));
	/* find the "(" that opens the column list */
	for (;;)
	{
		t = next_sig(sql, &pos);
		if (t.type == TK_EOF || sq_token_is(&t, "as"))
			return;
		if (t.type == TK_PUNCT && t.start[0] == '(')
			break;
	}
	depth = 1;
	for (;;)
	{
		size_t		before = pos;

		t = sq_next_token(sql, &pos);
		if (t.type == TK_EOF)
			return;
		if (t.type == TK_SPACE || t.type == TK_COMMENT)
			continue;
		if (t.type == TK_PUNCT && t.start[0] == '(')
			depth++;
		else if (t.type == TK_PUNCT && t.start[0] == ')')
			depth--;
		if (depth == 0 || (depth == 1 && t.type == TK_PUNCT && t.start[0] == ','))
		{
			if (!elem_empty)
			{
				bool		is_constraint = first.type == TK_WORD &&
				(sq_token_is(&first, "constraint") || sq_token_is(&first, "primary") ||
				 sq_token_is(&first, "unique") || sq_token_is(&first, "check") ||
				 sq_token_is(&first, "foreign"));

				if (!is_constraint)
				{
					SqColumnDef *c;

					out->cols = xrealloc(out->cols, sizeof(SqColumnDef) * (out->ncols + 1));
					c = &out->cols[out->ncols++];
					c->name = sq_token_ident(&first);
					c->text = xstrndup(sql + elem_start, elem_end - elem_start);
				}
				scan_checks(sql, elem_start, elem_end, out);
			}
			elem_empty = true;
			if (depth == 0)
				break;
			continue;
		}
		if (elem_empty)
		{
			elem_empty = false;
			elem_start = before;
			first = t;
		}
		elem_end = pos;
	}
	out->ok = out->ncols > 0;
}

void
sq_table_text_free(SqTableText *t)
{
	for (int i = 0; i < t->ncols; i++)
	{
		free(t->cols[i].name);
		free(t->cols[i].text);
	}
	for (int i = 0; i < t->nchecks; i++)
		free(t->checks[i]);
	free(t->cols);
	free(t->checks);
	memset(t, 0, sizeof(*t));
}

/* ------------------------------------------------------------------------
 * Descriptions from the pragmas
 * ------------------------------------------------------------------------
 */
static char *
col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	return v ? xstrdup((const char *) v) : NULL;
}

static void
put_lower_ident(StrBuf *b, const char *name)
{
	StrBuf		q;

	sb_init(&q);
	put_lower(&q, name, strlen(name));
	if (plain_ident(q.data))
		sb_puts(b, q.data);
	else
		sqb_ident(b, q.data);
	sb_free(&q);
}

static int
read_key_columns(sqlite3 *db, SqKey *k, char **err)
{
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(db,
							"SELECT name, coll, desc FROM pragma_index_xinfo(?1, 'main')"
							" WHERE key ORDER BY seqno", -1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_bind_text(st, 1, k->name, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		k->cols = xrealloc(k->cols, sizeof(char *) * (k->ncols + 1));
		k->colls = xrealloc(k->colls, sizeof(char *) * (k->ncols + 1));
		k->cols[k->ncols] = col_text(st, 0);
		k->colls[k->ncols] = col_text(st, 1);
		k->ncols++;
	}
	if (rc != SQLITE_DONE)
		*err = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static void
key_describe(StrBuf *b, const SqKey *k)
{
	sb_puts(b, k->unique ? "unique" : "index");
	if (k->partial)
		sb_puts(b, " partial");
	sb_puts(b, " (");
	for (int i = 0; i < k->ncols; i++)
	{
		if (i)
			sb_puts(b, ", ");
		if (k->cols[i])
			put_lower_ident(b, k->cols[i]);
		else
			sb_puts(b, "<expression>");
		if (k->colls[i] && sqlite3_stricmp(k->colls[i], "BINARY") != 0)
			sb_printf(b, " collate %s", k->colls[i]);
	}
	sb_putc(b, ')');
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* assemble t->detail from what was read */
static void
table_detail(SqTable *t)
{
	StrBuf		b;
	char	  **lines;
	int			nlines = 0;

	sb_init(&b);
	if (t->without_rowid)
		sb_puts(&b, "without rowid\n");
	if (t->strict)
		sb_puts(&b, "strict\n");
	for (int i = 0; i < t->ncols; i++)
	{
		SqColumn   *c = &t->cols[i];

		sb_puts(&b, "column ");
		put_lower_ident(&b, c->name);
		if (c->type && c->type[0])
			sb_printf(&b, " %s", c->type);
		if (c->notnull)
			sb_puts(&b, " not null");
		if (c->dflt)
		{
			char	   *n = sq_normalize(c->dflt);

			sb_printf(&b, " default %s", n);
			free(n);
		}
		if (c->pk)
			sb_printf(&b, " pk %d", c->pk);
		if (c->hidden)
			sb_printf(&b, " hidden %d", c->hidden);
		sb_putc(&b, '\n');
	}
	/* keys and foreign keys in a stable order (ids depend on history) */
	lines = xmalloc(sizeof(char *) * (t->nkeys + t->nfks + 1));
	for (int i = 0; i < t->nkeys; i++)
	{
		StrBuf		k;

		if (t->keys[i].origin == 'c')
			continue;
		sb_init(&k);
		sb_puts(&k, t->keys[i].origin == 'p' ? "primary key " : "constraint ");
		key_describe(&k, &t->keys[i]);
		lines[nlines++] = sb_steal(&k);
	}
	for (int i = 0; i < t->nfks; i++)
	{
		SqForeignKey *f = &t->fks[i];
		StrBuf		k;

		sb_init(&k);
		sb_puts(&k, "foreign key (");
		for (int j = 0; j < f->ncols; j++)
		{
			if (j)
				sb_puts(&k, ", ");
			put_lower_ident(&k, f->from[j]);
		}
		sb_puts(&k, ") references ");
		put_lower_ident(&k, f->parent);
		sb_puts(&k, " (");
		for (int j = 0; j < f->ncols; j++)
		{
			if (j)
				sb_puts(&k, ", ");
			if (f->to[j])
				put_lower_ident(&k, f->to[j]);
			else
				sb_puts(&k, "<primary key>");
		}
		sb_printf(&k, ") on update %s on delete %s", f->on_update, f->on_delete);
		lines[nlines++] = sb_steal(&k);
	}
	if (nlines > 1)
		qsort(lines, nlines, sizeof(char *), str_cmp);
	for (int i = 0; i < nlines; i++)
	{
		sb_puts(&b, lines[i]);
		sb_putc(&b, '\n');
		free(lines[i]);
	}
	free(lines);
	t->detail = sb_steal(&b);
}

static int
describe_columns(sqlite3 *db, SqTable *out, char **err)
{
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(db,
							"SELECT name, type, \"notnull\", dflt_value, pk, hidden"
							"  FROM pragma_table_xinfo(?1, 'main') ORDER BY cid",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_bind_text(st, 1, out->name, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		SqColumn   *c;

		out->cols = xrealloc(out->cols, sizeof(SqColumn) * (out->ncols + 1));
		c = &out->cols[out->ncols++];
		c->name = col_text(st, 0);
		c->type = col_text(st, 1);
		c->notnull = sqlite3_column_int(st, 2) != 0;
		c->dflt = col_text(st, 3);
		c->pk = sqlite3_column_int(st, 4);
		c->hidden = sqlite3_column_int(st, 5);
	}
	if (rc != SQLITE_DONE)
		*err = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
describe_keys(sqlite3 *db, SqTable *out, char **err)
{
	sqlite3_stmt *st;
	int			rc;

	rc = sqlite3_prepare_v2(db,
							"SELECT name, \"unique\", origin, partial"
							"  FROM pragma_index_list(?1, 'main') ORDER BY name",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_bind_text(st, 1, out->name, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		SqKey	   *k;
		const char *origin = (const char *) sqlite3_column_text(st, 2);

		out->keys = xrealloc(out->keys, sizeof(SqKey) * (out->nkeys + 1));
		k = &out->keys[out->nkeys++];
		memset(k, 0, sizeof(*k));
		k->name = col_text(st, 0);
		k->unique = sqlite3_column_int(st, 1) != 0;
		k->origin = origin ? origin[0] : 'c';
		k->partial = sqlite3_column_int(st, 3) != 0;
	}
	if (rc != SQLITE_DONE)
		*err = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	for (int i = 0; i < out->nkeys; i++)
		if ((rc = read_key_columns(db, &out->keys[i], err)) != SQLITE_OK)
			return rc;
	return SQLITE_OK;
}

static int
describe_fks(sqlite3 *db, SqTable *out, char **err)
{
	sqlite3_stmt *st;
	int			rc;
	int			last_id = -1;

	rc = sqlite3_prepare_v2(db,
							"SELECT id, \"table\", \"from\", \"to\", on_update, on_delete"
							"  FROM pragma_foreign_key_list(?1, 'main') ORDER BY id, seq",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
	{
		*err = xstrdup(sqlite3_errmsg(db));
		return rc;
	}
	sqlite3_bind_text(st, 1, out->name, -1, SQLITE_TRANSIENT);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
	{
		SqForeignKey *f;
		int			id = sqlite3_column_int(st, 0);

		if (id != last_id)
		{
			out->fks = xrealloc(out->fks, sizeof(SqForeignKey) * (out->nfks + 1));
			f = &out->fks[out->nfks++];
			memset(f, 0, sizeof(*f));
			f->parent = col_text(st, 1);
			f->on_update = col_text(st, 4);
			f->on_delete = col_text(st, 5);
			last_id = id;
		}
		f = &out->fks[out->nfks - 1];
		f->from = xrealloc(f->from, sizeof(char *) * (f->ncols + 1));
		f->to = xrealloc(f->to, sizeof(char *) * (f->ncols + 1));
		f->from[f->ncols] = col_text(st, 2);
		f->to[f->ncols] = col_text(st, 3);
		f->ncols++;
	}
	if (rc != SQLITE_DONE)
		*err = xstrdup(sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int
sq_describe_table(sqlite3 *db, const char *name, SqTable *out, char **err)
{
	sqlite3_stmt *st;
	int			rc;

	memset(out, 0, sizeof(*out));
	out->name = xstrdup(name);
	if ((rc = describe_columns(db, out, err)) != SQLITE_OK ||
		(rc = describe_keys(db, out, err)) != SQLITE_OK ||
		(rc = describe_fks(db, out, err)) != SQLITE_OK)
	{
		sq_table_free(out);
		return rc;
	}
	rc = sqlite3_prepare_v2(db,
							"SELECT wr, strict FROM pragma_table_list(?1, 'main')",
							-1, &st, NULL);
	if (rc == SQLITE_OK)
	{
		sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(st) == SQLITE_ROW)
		{
			out->without_rowid = sqlite3_column_int(st, 0) != 0;
			out->strict = sqlite3_column_int(st, 1) != 0;
		}
		sqlite3_finalize(st);
	}
	table_detail(out);
	return SQLITE_OK;
}

static void
key_free(SqKey *k)
{
	for (int i = 0; i < k->ncols; i++)
	{
		free(k->cols[i]);
		free(k->colls[i]);
	}
	free(k->cols);
	free(k->colls);
	free(k->name);
}

void
sq_table_free(SqTable *t)
{
	for (int i = 0; i < t->ncols; i++)
	{
		free(t->cols[i].name);
		free(t->cols[i].type);
		free(t->cols[i].dflt);
	}
	for (int i = 0; i < t->nkeys; i++)
		key_free(&t->keys[i]);
	for (int i = 0; i < t->nfks; i++)
	{
		SqForeignKey *f = &t->fks[i];

		for (int j = 0; j < f->ncols; j++)
		{
			free(f->from[j]);
			free(f->to[j]);
		}
		free(f->from);
		free(f->to);
		free(f->parent);
		free(f->on_update);
		free(f->on_delete);
	}
	free(t->cols);
	free(t->keys);
	free(t->fks);
	free(t->name);
	free(t->detail);
	memset(t, 0, sizeof(*t));
}

int
sq_column_index(const SqTable *t, const char *name)
{
	for (int i = 0; i < t->ncols; i++)
		if (sq_name_eq(t->cols[i].name, name))
			return i;
	return -1;
}

char *
sq_describe_index(sqlite3 *db, const char *name)
{
	sqlite3_stmt *st;
	SqKey		k;
	StrBuf		b;
	char	   *err = NULL;
	int			rc;

	memset(&k, 0, sizeof(k));
	rc = sqlite3_prepare_v2(db,
							"SELECT l.\"unique\", l.partial, m.tbl_name"
							"  FROM main.sqlite_master AS m,"
							"       pragma_index_list(m.tbl_name, 'main') AS l"
							" WHERE m.type = 'index' AND m.name = ?1 AND l.name = m.name",
							-1, &st, NULL);
	if (rc != SQLITE_OK)
		return NULL;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(st) != SQLITE_ROW)
	{
		sqlite3_finalize(st);
		return NULL;
	}
	k.unique = sqlite3_column_int(st, 0) != 0;
	k.partial = sqlite3_column_int(st, 1) != 0;
	sb_init(&b);
	sb_puts(&b, "on ");
	put_lower_ident(&b, (const char *) sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	k.name = xstrdup(name);
	if (read_key_columns(db, &k, &err) != SQLITE_OK)
	{
		free(err);
		key_free(&k);
		sb_free(&b);
		return NULL;
	}
	sb_putc(&b, ' ');
	key_describe(&b, &k);
	sb_putc(&b, '\n');
	key_free(&k);
	return sb_steal(&b);
}

/* ------------------------------------------------------------------------
 * Scratch databases
 * ------------------------------------------------------------------------
 */
sqlite3 *
sq_scratch_open(char **err)
{
	sqlite3    *db = NULL;
	int			rc = sqlite3_open_v2(":memory:", &db,
									 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);

	if (rc != SQLITE_OK)
	{
		*err = xstrdup(db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

int
sq_scratch_load(sqlite3 *scratch, const SqSchema *schema, char **skipped, char **err)
{
	StrBuf		skip;
	int			rc = SQLITE_OK;

	sb_init(&skip);
	/* items are sorted by kind: tables, indexes, views, triggers */
	for (int i = 0; i < schema->n; i++)
	{
		const SqObject *o = &schema->items[i];
		char	   *msg = NULL;

		if (o->is_shadow)
			continue;
		rc = sq_exec(scratch, o->sql, &msg);
		if (rc != SQLITE_OK && o->is_virtual)
		{
			if (skip.len)
				sb_puts(&skip, ", ");
			sqb_ident(&skip, o->name);
			free(msg);
			rc = SQLITE_OK;
			continue;
		}
		if (rc != SQLITE_OK)
		{
			*err = xasprintf("%s \"%s\": %s", sq_kind_name(o->kind), o->name, msg);
			free(msg);
			break;
		}
	}
	if (skipped)
		*skipped = skip.len ? sb_steal(&skip) : NULL;
	sb_free(&skip);
	return rc;
}

bool
sq_schema_valid(sqlite3 *db, char **err)
{
	int			legacy = 0;
	int			rc;
	char	   *msg = NULL;

	sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, -1, &legacy);
	sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, 0, NULL);
	rc = sq_exec(db,
				 "SAVEPOINT migrate_probe;"
				 "CREATE TABLE migrate_probe_a(x);"
				 "ALTER TABLE migrate_probe_a RENAME TO migrate_probe_b;", &msg);
	sq_exec(db, "ROLLBACK TO migrate_probe; RELEASE migrate_probe;", NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_LEGACY_ALTER_TABLE, legacy, NULL);
	if (rc != SQLITE_OK)
	{
		*err = msg;
		return false;
	}
	return true;
}
