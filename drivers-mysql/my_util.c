/*-------------------------------------------------------------------------
 *
 * my_util.c
 *	  String buffers, MySQL identifier quoting, hashing, and a small lexer
 *	  that classifies migration statements and finds what they name.
 *
 * The lexer is not a parser: it recognises the statement shapes the driver
 * needs (which object a DDL statement creates, alters, drops or renames;
 * column renames inside ALTER TABLE) and reports "not parsed" for anything
 * else, in which case callers fall back to what introspection tells them.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  drivers-mysql/my_util.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/evp.h>

#include "my_int.h"

/* ------------------------------------------------------------------------
 * Allocation
 * ------------------------------------------------------------------------
 */





/* ------------------------------------------------------------------------
 * StrBuf
 * ------------------------------------------------------------------------
 */









/*
 * MySQL identifier quoting: backticks, embedded backticks doubled.  This is
 * the only way identifiers reach SQL text in this driver.
 */
void
mb_ident(StrBuf *sb, const char *name)
{
	sb_putc(sb, '`');
	for (const char *p = name; *p; p++)
	{
		if (*p == '`')
			sb_putc(sb, '`');
		sb_putc(sb, *p);
	}
	sb_putc(sb, '`');
}

char *
my_quote_ident(const char *name)
{
	StrBuf		sb;

	sb_init(&sb);
	mb_ident(&sb, name);
	return sb_steal(&sb);
}

/* ------------------------------------------------------------------------
 * MyList
 * ------------------------------------------------------------------------
 */
void
ml_add_owned(MyList *l, char *s)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, l->cap * sizeof(char *));
	}
	l->items[l->n++] = s;
}

void
ml_add(MyList *l, const char *s)
{
	ml_add_owned(l, xstrdup(s));
}

int
ml_index(const MyList *l, const char *s)
{
	for (int i = 0; i < l->n; i++)
		if (strcmp(l->items[i], s) == 0)
			return i;
	return -1;
}

bool
ml_contains(const MyList *l, const char *s)
{
	return ml_index(l, s) >= 0;
}

void
ml_free(MyList *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = l->cap = 0;
}

/* ------------------------------------------------------------------------
 * Hashing and JSON
 * ------------------------------------------------------------------------
 */
void
my_sha256_hex(const char *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
	for (unsigned int i = 0; i < mdlen && i < 32; i++)
		sprintf(out + 2 * i, "%02x", md[i]);
	out[64] = '\0';
}

/* The hashes are base64 and "h1:", so no escaping is ever needed; escape
 * quotes and backslashes anyway so that the function is total. */
char *
my_json_array_encode(char **items, int n)
{
	StrBuf		sb;

	sb_init(&sb);
	sb_putc(&sb, '[');
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			sb_putc(&sb, ',');
		sb_putc(&sb, '"');
		for (const char *p = items[i]; *p; p++)
		{
			if (*p == '"' || *p == '\\')
				sb_putc(&sb, '\\');
			sb_putc(&sb, *p);
		}
		sb_putc(&sb, '"');
	}
	sb_putc(&sb, ']');
	return sb_steal(&sb);
}

/* Returns the number of strings, or -1 when the text is not an array of
 * strings. */
int
my_json_array_decode(const char *json, char ***items)
{
	MyList		l = {0};
	const char *p = json;

	*items = NULL;
	while (isspace((unsigned char) *p))
		p++;
	if (*p++ != '[')
		return -1;
	for (;;)
	{
		StrBuf		sb;

		while (isspace((unsigned char) *p))
			p++;
		if (*p == ']')
			break;
		if (*p != '"')
		{
			ml_free(&l);
			return -1;
		}
		p++;
		sb_init(&sb);
		while (*p && *p != '"')
		{
			if (*p == '\\' && p[1])
				p++;
			sb_putc(&sb, *p++);
		}
		if (*p != '"')
		{
			sb_free(&sb);
			ml_free(&l);
			return -1;
		}
		p++;
		ml_add_owned(&l, sb_steal(&sb));
		while (isspace((unsigned char) *p))
			p++;
		if (*p == ',')
			p++;
	}
	*items = l.items;
	return l.n;
}

/* ------------------------------------------------------------------------
 * Lexer
 * ------------------------------------------------------------------------
 */
static void
tok_add(TokList *l, TokKind kind, char *text, int depth, size_t start, size_t end)
{
	l->items = xrealloc(l->items, (l->n + 1) * sizeof(Token));
	l->items[l->n].kind = kind;
	l->items[l->n].text = text;

	l->items[l->n].depth = depth;
	l->items[l->n].start = start;
	l->items[l->n].end = end;
	l->n++;
}

static bool
is_word_char(unsigned char c)
{
	return isalnum(c) || c == '_' || c == '$' || c >= 0x80;
}

/*
 * Split MySQL text into tokens.  Comments are skipped, except that the
 * contents of executable comments (slash-star-bang) are lexed as code.
 * Unterminated quotes end the token at the end of the text: the server
 * reports the syntax error, not this lexer.
 */
void
my_lex(const char *sql, TokList *out)
{
	size_t		i = 0,
				n = strlen(sql);
	int			depth = 0;
	int			exec_comment = 0;

	out->items = NULL;
	out->n = 0;
	while (i < n)
	{
		unsigned char c = sql[i];

		if (isspace(c))
		{
			i++;
			continue;
		}
		if (c == '#' || (c == '-' && sql[i + 1] == '-' &&
						 (sql[i + 2] == '\0' || isspace((unsigned char) sql[i + 2]))))
		{
			while (i < n && sql[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && sql[i + 1] == '*')
		{
			if (sql[i + 2] == '!' || (sql[i + 2] == 'M' && sql[i + 3] == '!'))
			{
				i += sql[i + 2] == '!' ? 3 : 4;
				while (i < n && isdigit((unsigned char) sql[i]))
					i++;
				exec_comment++;
				continue;
			}
			i += 2;
			while (i < n && !(sql[i] == '*' && sql[i + 1] == '/'))
				i++;
			i = i < n ? i + 2 : n;
			continue;
		}
		if (c == '*' && sql[i + 1] == '/' && exec_comment > 0)
		{
			exec_comment--;
			i += 2;
			continue;
		}
		if (c == '`' || c == '\'' || c == '"')
		{
			StrBuf		sb;
			size_t		start = i;
			char		q = c;

			sb_init(&sb);
			i++;
			while (i < n)
			{
				if (sql[i] == q)
				{
					if (sql[i + 1] == q)
					{
						sb_putc(&sb, q);
						i += 2;
						continue;
					}
					break;
				}
				if (sql[i] == '\\' && q != '`' && i + 1 < n)
				{
					i++;
					switch (sql[i])
					{
						case 'n':
							sb_putc(&sb, '\n');
							break;
						case 't':
							sb_putc(&sb, '\t');
							break;
						case 'r':
							sb_putc(&sb, '\r');
							break;
						case '0':
							sb_putc(&sb, '\0');
							break;
						default:
							sb_putc(&sb, sql[i]);
					}
					i++;
					continue;
				}
				sb_putc(&sb, sql[i++]);
			}
			if (i < n)
				i++;
			tok_add(out, q == '`' ? TK_QIDENT : TK_STRING, sb_steal(&sb), depth, start, i);
			continue;
		}
		if (is_word_char(c))
		{
			size_t		start = i;
			bool		digits = true;

			while (i < n && is_word_char((unsigned char) sql[i]))
			{
				if (!isdigit((unsigned char) sql[i]))
					digits = false;
				i++;
			}
			tok_add(out, digits ? TK_NUMBER : TK_WORD, xstrndup(sql + start, i - start),
					depth, start, i);
			continue;
		}
		if (c == '(')
		{
			tok_add(out, TK_PUNCT, xstrndup(sql + i, 1), depth, i, i + 1);
			depth++;
			i++;
			continue;
		}
		if (c == ')')
		{
			if (depth > 0)
				depth--;
			tok_add(out, TK_PUNCT, xstrndup(sql + i, 1), depth, i, i + 1);
			i++;
			continue;
		}
		tok_add(out, TK_PUNCT, xstrndup(sql + i, 1), depth, i, i + 1);
		i++;
	}
	tok_add(out, TK_EOF, xstrdup(""), depth, n, n);
}

void
my_toklist_free(TokList *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->items[i].text);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

bool
my_tok_is(const Token *t, const char *word)
{
	return t->kind == TK_WORD && strcasecmp(t->text, word) == 0;
}

/* ------------------------------------------------------------------------
 * Statement classification
 * ------------------------------------------------------------------------
 */
static const char *const data_words[] = {
	"INSERT", "UPDATE", "DELETE", "REPLACE", "SELECT", "WITH", "VALUES",
	"DO", "SET", "LOAD", "TABLE", "BEGIN", "START", "COMMIT", "ROLLBACK",
	"SAVEPOINT", "RELEASE", "XA", "HANDLER", "EXPLAIN", "DESCRIBE", "DESC",
	"SHOW", "USE", NULL
};

static const char *const schema_words[] = {
	"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE", NULL
};

static bool
word_in(const Token *t, const char *const *list)
{
	for (int i = 0; list[i]; i++)
		if (my_tok_is(t, list[i]))
			return true;
	return false;
}

/*
 * Which execution protocol a statement gets (docs/mysql.md, "Crash
 * safety").  Statements that do not commit implicitly run in one
 * transaction with their progress record.  CREATE/ALTER/DROP/RENAME/
 * TRUNCATE of objects inside the database are verified by introspection;
 * the same words applied to accounts, databases or servers are opaque, as
 * are CALL, GRANT and the rest.
 */
StmtClass
my_stmt_classify(const char *sql)
{
	TokList		tl;
	StmtClass	cls = STMT_OPAQUE;

	my_lex(sql, &tl);
	if (tl.n == 0 || tl.items[0].kind != TK_WORD)
		cls = STMT_DATA;		/* empty or a bare expression: nothing to
								 * commit */
	else if (my_tok_is(&tl.items[0], "SET"))
	{
		/*
		 * SET GLOBAL / SET PASSWORD / SET ROLE / SET DEFAULT ROLE commit or
		 * leave the session: opaque; session variables are data-class
		 */
		if (tl.n > 1 && (my_tok_is(&tl.items[1], "GLOBAL") || my_tok_is(&tl.items[1], "PASSWORD") ||
						 my_tok_is(&tl.items[1], "DEFAULT")))
			cls = STMT_OPAQUE;
		else
			cls = STMT_DATA;
	}
	else if (word_in(&tl.items[0], data_words))
		cls = STMT_DATA;
	else if (word_in(&tl.items[0], schema_words))
	{
		cls = STMT_SCHEMA;
		for (int i = 1; i < tl.n && i < 8; i++)
		{
			if (my_tok_is(&tl.items[i], "DATABASE") || my_tok_is(&tl.items[i], "SCHEMA") ||
				my_tok_is(&tl.items[i], "USER") || my_tok_is(&tl.items[i], "ROLE") ||
				my_tok_is(&tl.items[i], "SERVER") || my_tok_is(&tl.items[i], "TABLESPACE") ||
				my_tok_is(&tl.items[i], "LOGFILE"))
			{
				cls = STMT_OPAQUE;
				break;
			}
			if (my_tok_is(&tl.items[i], "TABLE") || my_tok_is(&tl.items[i], "VIEW") ||
				my_tok_is(&tl.items[i], "INDEX") || my_tok_is(&tl.items[i], "TRIGGER"))
				break;
		}
	}
	my_toklist_free(&tl);
	return cls;
}

/* A SET of session variables only (replayed when a run resumes). */
bool
my_stmt_is_session_set(const char *sql)
{
	TokList		tl;
	bool		res;

	my_lex(sql, &tl);
	res = tl.n > 1 && my_tok_is(&tl.items[0], "SET") && my_stmt_classify(sql) == STMT_DATA &&
		!my_tok_is(&tl.items[1], "TRANSACTION");
	my_toklist_free(&tl);
	return res;
}

/* ------------------------------------------------------------------------
 * Statement analysis: objects named, renames
 * ------------------------------------------------------------------------
 */
typedef struct Cursor
{
	TokList    *tl;
	int			i;
	const char *db;
	bool		foreign;		/* a name qualified with another database was
								 * seen */
} Cursor;

static Token *
cur(Cursor *c)
{
	return &c->tl->items[c->i < c->tl->n ? c->i : c->tl->n - 1];
}

static bool
accept(Cursor *c, const char *word)
{
	if (my_tok_is(cur(c), word))
	{
		c->i++;
		return true;
	}
	return false;
}

static bool
accept_punct(Cursor *c, char p)
{
	Token	   *t = cur(c);

	if (t->kind == TK_PUNCT && t->text[0] == p)
	{
		c->i++;
		return true;
	}
	return false;
}

/* [db.]name; returns the name (owned) or NULL */
static char *
parse_name(Cursor *c)
{
	Token	   *t = cur(c);
	char	   *first;

	if (t->kind != TK_WORD && t->kind != TK_QIDENT)
		return NULL;
	first = xstrdup(t->text);
	c->i++;
	if (accept_punct(c, '.'))
	{
		Token	   *t2 = cur(c);
		char	   *second;

		if (t2->kind != TK_WORD && t2->kind != TK_QIDENT)
		{
			free(first);
			return NULL;
		}
		second = xstrdup(t2->text);
		c->i++;
		if (c->db == NULL || strcmp(first, c->db) != 0)
			c->foreign = true;
		free(first);
		return second;
	}
	return first;
}

static void
add_target(StmtInfo *si, char kind, char *name)
{
	si->targets = xrealloc(si->targets, (si->ntargets + 1) * sizeof(StmtTarget));
	si->targets[si->ntargets].kind = kind;
	si->targets[si->ntargets].name = name;
	si->ntargets++;
}

static void
add_rename(StmtInfo *si, char kind, const char *table, const char *old_name,
		   const char *new_name)
{
	si->renames = xrealloc(si->renames, (si->nrenames + 1) * sizeof(StmtRename));
	si->renames[si->nrenames].kind = kind;
	si->renames[si->nrenames].table = xstrdup(table);
	si->renames[si->nrenames].old_name = xstrdup(old_name);
	si->renames[si->nrenames].new_name = xstrdup(new_name);
	si->nrenames++;
}

/* skip DEFINER = user@host, ALGORITHM = x, SQL SECURITY x, OR REPLACE, ... */
static void
skip_create_options(Cursor *c)
{
	for (;;)
	{
		if (accept(c, "OR"))
		{
			accept(c, "REPLACE");
			continue;
		}
		if (accept(c, "TEMPORARY") || accept(c, "ONLINE") || accept(c, "IGNORE") ||
			accept(c, "AGGREGATE") || accept(c, "NONBLOCKING"))
			continue;
		if (accept(c, "ALGORITHM"))
		{
			accept_punct(c, '=');
			c->i++;
			continue;
		}
		if (accept(c, "DEFINER"))
		{
			accept_punct(c, '=');
			/* user, or user@host, or CURRENT_USER[()] */
			c->i++;
			if (accept_punct(c, '('))
				accept_punct(c, ')');
			if (accept_punct(c, '@'))
				c->i++;
			else if (cur(c)->kind == TK_WORD && cur(c)->text[0] == '@')
				c->i++;
			continue;
		}
		if (accept(c, "SQL"))
		{
			accept(c, "SECURITY");
			c->i++;
			continue;
		}
		break;
	}
}

static void
skip_if_exists(Cursor *c)
{
	if (accept(c, "IF"))
	{
		accept(c, "NOT");
		accept(c, "EXISTS");
	}
}

/* Find renames inside ALTER TABLE t <clauses>: top-level clauses. */
static void
analyze_alter_clauses(Cursor *c, StmtInfo *si, const char *table)
{
	char	   *tname = xstrdup(table);
	int			depth0 = cur(c)->depth;

	/* First pass: a table rename changes the name the columns belong to. */
	for (int j = c->i; j < c->tl->n; j++)
	{
		Token	   *t = &c->tl->items[j];

		if (t->depth != depth0 || !my_tok_is(t, "RENAME"))
			continue;
		if (j > c->i && !(c->tl->items[j - 1].kind == TK_PUNCT &&
						  c->tl->items[j - 1].text[0] == ','))
			continue;
		{
			Cursor		c2 = *c;
			char	   *newname;

			c2.i = j + 1;
			if (my_tok_is(cur(&c2), "COLUMN") || my_tok_is(cur(&c2), "INDEX") ||
				my_tok_is(cur(&c2), "KEY"))
				continue;
			if (!accept(&c2, "TO"))
				accept(&c2, "AS");
			newname = parse_name(&c2);
			if (newname)
			{
				add_rename(si, 't', "", table, newname);
				add_target(si, 't', xstrdup(newname));
				free(tname);
				tname = newname;
			}
			c->foreign |= c2.foreign;
		}
	}

	/* Second pass: column renames. */
	for (int j = c->i; j < c->tl->n; j++)
	{
		Token	   *t = &c->tl->items[j];
		Cursor		c2 = *c;

		if (t->depth != depth0)
			continue;
		if (j > c->i && !(c->tl->items[j - 1].kind == TK_PUNCT &&
						  c->tl->items[j - 1].text[0] == ','))
			continue;
		c2.i = j;
		if (accept(&c2, "RENAME") && accept(&c2, "COLUMN"))
		{
			char	   *from = parse_name(&c2);
			char	   *to = NULL;

			if (from && accept(&c2, "TO"))
				to = parse_name(&c2);
			if (from && to && strcmp(from, to) != 0)
				add_rename(si, 'c', tname, from, to);
			free(from);
			free(to);
		}
		else if (c2.i = j, accept(&c2, "CHANGE"))
		{
			char	   *from,
					   *to = NULL;

			accept(&c2, "COLUMN");
			skip_if_exists(&c2);
			from = parse_name(&c2);
			if (from)
				to = parse_name(&c2);
			if (from && to && strcmp(from, to) != 0)
				add_rename(si, 'c', tname, from, to);
			free(from);
			free(to);
		}
	}
	free(tname);
}

static void
analyze_create(Cursor *c, StmtInfo *si)
{
	char	   *name;

	skip_create_options(c);
	if (accept(c, "TABLE") || accept(c, "SEQUENCE"))
	{
		skip_if_exists(c);
		if ((name = parse_name(c)) != NULL)
		{
			add_target(si, 't', name);
			si->parsed = true;
		}
		return;
	}
	if (accept(c, "VIEW"))
	{
		skip_if_exists(c);
		if ((name = parse_name(c)) != NULL)
		{
			add_target(si, 'v', name);
			si->parsed = true;
		}
		return;
	}
	if (accept(c, "PROCEDURE") || accept(c, "FUNCTION"))
	{
		char		k = my_tok_is(&c->tl->items[c->i - 1], "PROCEDURE") ? 'p' : 'f';

		skip_if_exists(c);
		if ((name = parse_name(c)) != NULL)
		{
			add_target(si, k, name);
			si->parsed = true;
		}
		return;
	}
	if (accept(c, "TRIGGER"))
	{
		skip_if_exists(c);
		if ((name = parse_name(c)) == NULL)
			return;
		add_target(si, 'g', name);
		/* BEFORE|AFTER event ON table */
		while (cur(c)->kind != TK_EOF && !my_tok_is(cur(c), "ON"))
			c->i++;
		if (accept(c, "ON") && (name = parse_name(c)) != NULL)
			add_target(si, 't', name);
		si->parsed = true;
		return;
	}
	(void) (accept(c, "UNIQUE") || accept(c, "FULLTEXT") || accept(c, "SPATIAL"));
	if (accept(c, "INDEX"))
	{
		skip_if_exists(c);
		free(parse_name(c));
		while (cur(c)->kind != TK_EOF && !my_tok_is(cur(c), "ON"))
			c->i++;
		if (accept(c, "ON") && (name = parse_name(c)) != NULL)
		{
			add_target(si, 't', name);
			si->parsed = true;
		}
	}
}

static void
analyze_name_list(Cursor *c, StmtInfo *si, char kind)
{
	char	   *name;

	skip_if_exists(c);
	while ((name = parse_name(c)) != NULL)
	{
		add_target(si, kind, name);
		if (!accept_punct(c, ','))
			break;
	}
	si->parsed = si->ntargets > 0;
}

/*
 * Which objects of database db does the statement name, and which table and
 * column renames does it perform?  si->parsed is false when the statement
 * has another shape or names another database (then callers rely on
 * introspection alone).
 */
void
my_stmt_analyze(const char *sql, const char *dbname, StmtInfo *si)
{
	TokList		tl;
	Cursor		c;
	char	   *name;

	memset(si, 0, sizeof(*si));
	my_lex(sql, &tl);
	c.tl = &tl;
	c.i = 0;
	c.db = dbname;
	c.foreign = false;

	if (accept(&c, "CREATE"))
		analyze_create(&c, si);
	else if (accept(&c, "ALTER"))
	{
		skip_create_options(&c);
		if (accept(&c, "TABLE"))
		{
			skip_if_exists(&c);
			if ((name = parse_name(&c)) != NULL)
			{
				add_target(si, 't', xstrdup(name));
				analyze_alter_clauses(&c, si, name);
				free(name);
				si->parsed = true;
			}
		}
		else if (accept(&c, "VIEW"))
			analyze_name_list(&c, si, 'v');
		else if (accept(&c, "PROCEDURE"))
			analyze_name_list(&c, si, 'p');
		else if (accept(&c, "FUNCTION"))
			analyze_name_list(&c, si, 'f');
		else if (accept(&c, "SEQUENCE"))
			analyze_name_list(&c, si, 't');
	}
	else if (accept(&c, "DROP"))
	{
		accept(&c, "TEMPORARY");
		if (accept(&c, "TABLE") || accept(&c, "TABLES") || accept(&c, "SEQUENCE"))
			analyze_name_list(&c, si, 't');
		else if (accept(&c, "VIEW"))
			analyze_name_list(&c, si, 'v');
		else if (accept(&c, "TRIGGER"))
			analyze_name_list(&c, si, 'g');
		else if (accept(&c, "PROCEDURE"))
			analyze_name_list(&c, si, 'p');
		else if (accept(&c, "FUNCTION"))
			analyze_name_list(&c, si, 'f');
		else if (accept(&c, "INDEX"))
		{
			skip_if_exists(&c);
			free(parse_name(&c));
			if (accept(&c, "ON") && (name = parse_name(&c)) != NULL)
			{
				add_target(si, 't', name);
				si->parsed = true;
			}
		}
	}
	else if (accept(&c, "RENAME"))
	{
		if (accept(&c, "TABLE") || accept(&c, "TABLES"))
		{
			for (;;)
			{
				char	   *from = parse_name(&c);
				char	   *to = NULL;

				if (from == NULL)
					break;
				if (accept(&c, "TO"))
					to = parse_name(&c);
				if (to == NULL)
				{
					free(from);
					break;
				}
				add_rename(si, 't', "", from, to);
				add_target(si, 't', from);
				add_target(si, 't', to);
				si->parsed = true;
				if (!accept_punct(&c, ','))
					break;
			}
		}
	}
	else if (accept(&c, "TRUNCATE"))
	{
		accept(&c, "TABLE");
		if ((name = parse_name(&c)) != NULL)
		{
			add_target(si, 't', name);
			si->parsed = true;
		}
	}
	if (c.foreign)
		si->parsed = false;
	my_toklist_free(&tl);
}

void
my_stmt_info_free(StmtInfo *si)
{
	for (int i = 0; i < si->ntargets; i++)
		free(si->targets[i].name);
	for (int i = 0; i < si->nrenames; i++)
	{
		free(si->renames[i].table);
		free(si->renames[i].old_name);
		free(si->renames[i].new_name);
	}
	free(si->targets);
	free(si->renames);
	memset(si, 0, sizeof(*si));
}
