/*-------------------------------------------------------------------------
 *
 * dir.c
 *	  Migration directories: file names, formats, directives, txtar files.
 *
 * Formats (docs/cli.md has the user's view):
 *	native			<version>_<description>.sql or <version>.sql, the
 *					directory's top level only; a file whose first line is
 *					"-- migrate:txtar" (or "-- atlas:txtar") holds sections
 *					checks.sql, migration.sql and down.sql
 *	golang-migrate	<number>_<description>.up.sql; .down.sql files are
 *					ignored (the revert is computed)
 *	flyway			V<version>__<description>.sql anywhere below the
 *					directory (hidden directories skipped); U (undo) files are
 *					ignored like down files; R (repeatable) files are skipped
 *					with a warning, since they have no version to record
 *	dbmate			<version>_<description>.sql holding "-- migrate:up" and
 *					optionally "-- migrate:down" sections; the down part is
 *					kept as the file's down statements
 *
 * Versions order naturally (version_cmp): runs of digits compare as
 * numbers, so 2 comes before 10 and timestamps order as expected.  Two
 * files with the same version are an error naming both.
 *
 * File directives are comment lines at the top of the statements part (a
 * blank line after them is allowed but not needed):
 *	-- migrate:txmode none|file		(also -- atlas:txmode)
 *	-- migrate:delimiter X			(also -- atlas:delimiter; \n \r \t \\
 *									 escapes are decoded)
 * An unknown migrate: directive is an error; atlas: directives other than
 * txmode, delimiter, txtar, sum, nolint are reported and ignored, except
 * atlas:checkpoint, which is refused.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/dir.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "core.h"

const char *
dir_format_name(DirFormat f)
{
	switch (f)
	{
		case FORMAT_AUTO:
			return "auto";
		case FORMAT_NATIVE:
			return "native";
		case FORMAT_GOLANG_MIGRATE:
			return "golang-migrate";
		case FORMAT_FLYWAY:
			return "flyway";
		case FORMAT_DBMATE:
			return "dbmate";
	}
	return "unknown";
}

int
dir_parse_spec(const char *spec, char **path, DirFormat *format, char **err)
{
	const char *p = spec;
	const char *q;

	*format = FORMAT_AUTO;
	if (strncmp(p, "file://", 7) == 0)
		p += 7;
	else if (strstr(p, "://") != NULL)
	{
		*err = xasprintf("unsupported migration directory \"%s\": only local directories (a path or file://path) are supported",
						 spec);
		return -1;
	}
	q = strchr(p, '?');
	if (q == NULL)
	{
		*path = xstrdup(p[0] ? p : ".");
		return 0;
	}
	if (strncmp(q + 1, "format=", 7) != 0)
	{
		*err = xasprintf("unsupported parameter \"%s\" in migration directory \"%s\"", q + 1, spec);
		return -1;
	}
	q += 8;
	if (strcmp(q, "golang-migrate") == 0)
		*format = FORMAT_GOLANG_MIGRATE;
	else if (strcmp(q, "flyway") == 0)
		*format = FORMAT_FLYWAY;
	else if (strcmp(q, "dbmate") == 0)
		*format = FORMAT_DBMATE;
	else if (strcmp(q, "native") == 0 || strcmp(q, "atlas") == 0)
		*format = FORMAT_NATIVE;
	else
	{
		*err = xasprintf("unknown directory format \"%s\"", q);
		return -1;
	}
	*path = xstrndup(p, (size_t) (strchr(p, '?') - p));
	if ((*path)[0] == '\0')
	{
		free(*path);
		*path = xstrdup(".");
	}
	return 0;
}

/* ---- versions ---------------------------------------------------------- */

static int
natural_cmp(const char *a, const char *b)
{
	while (*a && *b)
	{
		if (isdigit((unsigned char) *a) && isdigit((unsigned char) *b))
		{
			const char *ra,
					   *rb;
			size_t		la,
						lb;
			int			c;

			while (*a == '0' && isdigit((unsigned char) a[1]))
				a++;
			while (*b == '0' && isdigit((unsigned char) b[1]))
				b++;
			ra = a;
			rb = b;
			while (isdigit((unsigned char) *a))
				a++;
			while (isdigit((unsigned char) *b))
				b++;
			la = (size_t) (a - ra);
			lb = (size_t) (b - rb);
			if (la != lb)
				return la < lb ? -1 : 1;
			c = memcmp(ra, rb, la);
			if (c != 0)
				return c < 0 ? -1 : 1;
			continue;
		}
		if (*a != *b)
			return (unsigned char) *a < (unsigned char) *b ? -1 : 1;
		a++;
		b++;
	}
	if (*a)
		return 1;
	if (*b)
		return -1;
	return 0;
}

int
version_cmp(const char *a, const char *b)
{
	int			c = natural_cmp(a, b);

	if (c != 0)
		return c;
	c = strcmp(a, b);
	return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

bool
version_same_number(const char *a, const char *b)
{
	return natural_cmp(a, b) == 0;
}

/* ---- file names -------------------------------------------------------- */

static bool
ends_with(const char *s, const char *suffix)
{
	size_t		n = strlen(s),
				m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static const char *
base_name(const char *name)
{
	const char *s = strrchr(name, '/');

	return s ? s + 1 : name;
}

static bool
all_digits(const char *s, size_t n)
{
	size_t		i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++)
		if (!isdigit((unsigned char) s[i]))
			return false;
	return true;
}

/* "<version>_<description>" or "<version>" from a stem */
static void
split_stem(const char *stem, size_t n, char **version, char **description)
{
	const char *us = memchr(stem, '_', n);

	if (us)
	{
		*version = xstrndup(stem, (size_t) (us - stem));
		*description = xstrndup(us + 1, n - (size_t) (us - stem) - 1);
	}
	else
	{
		*version = xstrndup(stem, n);
		*description = xstrdup("");
	}
}

static int
flyway_name(const char *name, char **version, char **description, char **why)
{
	const char *b = base_name(name);
	const char *sep = strstr(b, "__");
	size_t		n = strlen(b) - 4;	/* without ".sql" */
	size_t		vlen,
				i;
	char	   *v;

	if (b[0] == 'R' && strncmp(b, "R__", 3) == 0)
		return 2;				/* repeatable: the caller warns */
	if ((b[0] != 'V' && b[0] != 'U' && b[0] != 'B') || sep == NULL || sep == b + 1)
	{
		*why = xstrdup("Flyway file names look like V1__description.sql.");
		return -1;
	}
	vlen = (size_t) (sep - b - 1);
	for (i = 0; i < vlen; i++)
	{
		char		c = b[1 + i];

		if (!isdigit((unsigned char) c) && c != '.' && c != '_')
		{
			*why = xstrdup("A Flyway version is made of digits separated by \".\" or \"_\".");
			return -1;
		}
	}
	if (!isdigit((unsigned char) b[1]) || !isdigit((unsigned char) b[vlen]))
	{
		*why = xstrdup("A Flyway version is made of digits separated by \".\" or \"_\".");
		return -1;
	}
	if (b[0] == 'U')
		return 0;				/* undo file: the revert is computed */
	if (b[0] == 'B')
	{
		*why = xstrdup("Flyway baseline migrations (B prefix) are not supported; use --baseline VERSION instead.");
		return -1;
	}
	v = xstrndup(b + 1, vlen);
	for (i = 0; i < vlen; i++)
		if (v[i] == '_')
			v[i] = '.';
	*version = v;
	*description = xstrndup(sep + 2, n - (size_t) (sep + 2 - b));
	return 1;
}

int
dir_name_version(DirFormat format, const char *name, char **version,
				 char **description, char **why)
{
	const char *b = base_name(name);
	size_t		n = strlen(b);

	*version = *description = *why = NULL;
	if (b[0] == '.' || !ends_with(b, ".sql"))
		return 0;
	switch (format)
	{
		case FORMAT_GOLANG_MIGRATE:
			{
				const char *us;

				if (ends_with(b, ".down.sql"))
					return 0;
				if (!ends_with(b, ".up.sql"))
				{
					*why = xstrdup("golang-migrate file names look like 1_description.up.sql.");
					return -1;
				}
				us = strchr(b, '_');
				n -= 7;
				if (!all_digits(b, us && (size_t) (us - b) < n ? (size_t) (us - b) : n))
				{
					*why = xstrdup("A golang-migrate version is a number.");
					return -1;
				}
				split_stem(b, n, version, description);
				return 1;
			}
		case FORMAT_FLYWAY:
			{
				int			r = flyway_name(name, version, description, why);

				return r == 2 ? 0 : r;
			}
		case FORMAT_DBMATE:
		case FORMAT_NATIVE:
		case FORMAT_AUTO:
			n -= 4;
			if (n == 0 || b[0] == '_')
			{
				*why = xstrdup("Migration file names look like <version>_<description>.sql.");
				return -1;
			}
			split_stem(b, n, version, description);
			return 1;
	}
	return 0;
}

/* ---- directives -------------------------------------------------------- */

typedef struct Directives
{
	TxMode		txmode;
	int			txmode_line;
	char	   *delimiter;
	bool		txtar;
} Directives;

static char *
decode_escapes(const char *s, size_t n)
{
	StrBuf		sb;
	size_t		i;

	sb_init(&sb);
	for (i = 0; i < n; i++)
	{
		if (s[i] == '\\' && i + 1 < n)
		{
			char		c = s[++i];

			sb_putc(&sb, c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c);
		}
		else
			sb_putc(&sb, s[i]);
	}
	return sb_steal(&sb);
}

/*
 * A directive below the first SQL line is an ordinary comment: say so, since
 * a file meant to run without a transaction would otherwise fail later
 * (CREATE INDEX CONCURRENTLY inside a transaction block) for a less obvious
 * reason.  Line based, so a directive-looking line inside a string also
 * draws the warning; that is harmless.
 */
static bool
has_prefix(const char *p, const char *end, const char *prefix)
{
	size_t		n = strlen(prefix);

	return (size_t) (end - p) >= n && strncmp(p, prefix, n) == 0;
}

static void
warn_late_directives(const char *path, const char *text, size_t len, size_t i, int line)
{
	while (i < len)
	{
		size_t		eol = i,
					b = i;

		while (eol < len && text[eol] != '\n')
			eol++;
		while (b < eol && (text[b] == ' ' || text[b] == '\t'))
			b++;
		if (eol - b > 3 && text[b] == '-' && text[b + 1] == '-')
		{
			const char *c = text +b + 2;

			while (c < text +eol && (*c == ' ' || *c == '\t'))
				c++;
			if (has_prefix(c, text +eol, "migrate:txmode") ||
				has_prefix(c, text +eol, "migrate:delimiter") ||
				has_prefix(c, text +eol, "atlas:txmode") ||
				has_prefix(c, text +eol, "atlas:delimiter"))
				log_warning("%s:%d: directive is ignored: directives belong in the comment lines at the top of the file",
							path, line);
		}
		i = eol + 1;
		line++;
	}
}

/*
 * Parse the directives in the leading comment lines of text[0..len).
 * first_line is the line of text[0] in the file.  Returns 0 or -1 (logged).
 */
static int
parse_directives(const char *path, const char *text, size_t len, int first_line,
				 Dialect dialect, Directives *dv)
{
	size_t		i = 0;
	int			line = first_line;

	if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len)
	{
		size_t		eol = i,
					b,
					e;
		const char *c;
		const char *word;
		size_t		wlen;
		bool		ours;

		while (eol < len && text[eol] != '\n')
			eol++;
		b = i;
		e = eol;
		while (b < e && isspace((unsigned char) text[b]))
			b++;
		while (e > b && isspace((unsigned char) text[e - 1]))
			e--;
		if (b == e)
			goto next;			/* blank line */
		if (e - b >= 2 && text[b] == '-' && text[b + 1] == '-')
			b += 2;
		else if (dialect == DIALECT_MYSQL && text[b] == '#')
			b += 1;
		else
			break;				/* first line of SQL */
		while (b < e && (text[b] == ' ' || text[b] == '\t'))
			b++;
		c = text   +b;

		if ((size_t) (e - b) > 8 && strncmp(c, "migrate:", 8) == 0)
			ours = true;
		else if ((size_t) (e - b) > 6 && strncmp(c, "atlas:", 6) == 0)
			ours = false;
		else
			goto next;
		word = c + (ours ? 8 : 6);
		wlen = 0;
		while (word + wlen < text +e && (isalnum((unsigned char) word[wlen]) || word[wlen] == '_'))
			wlen++;
		{
			const char *arg = word + wlen;
			size_t		alen;

			while (arg < text +e && (*arg == ' ' || *arg == '\t'))
				arg++;
			alen = (size_t) (text +e - arg);

			if (wlen == 6 && strncmp(word, "txmode", 6) == 0)
			{
				if (dv->txmode != TXMODE_DEFAULT)
				{
					log_error("%s:%d: more than one txmode directive", path, line);
					log_error_detail("The first one is on line %d.", dv->txmode_line);
					return -1;
				}
				if (alen == 4 && strncmp(arg, "none", 4) == 0)
					dv->txmode = TXMODE_NONE;
				else if (alen == 4 && strncmp(arg, "file", 4) == 0)
					dv->txmode = TXMODE_FILE;
				else if (alen == 3 && strncmp(arg, "all", 3) == 0)
				{
					log_error("%s:%d: txmode \"all\" is not allowed in a file directive", path, line);
					log_error_hint("Use \"-- migrate:txmode file\" in the file, or --tx-mode all on the command line.");
					return -1;
				}
				else
				{
					log_error("%s:%d: invalid txmode \"%.*s\"", path, line, (int) alen, arg);
					log_error_hint("Valid values are \"none\" and \"file\".");
					return -1;
				}
				dv->txmode_line = line;
			}
			else if (wlen == 9 && strncmp(word, "delimiter", 9) == 0)
			{
				if (alen == 0)
				{
					log_error("%s:%d: delimiter directive without a delimiter", path, line);
					return -1;
				}
				if (dv->delimiter)
				{
					log_error("%s:%d: more than one delimiter directive", path, line);
					return -1;
				}
				dv->delimiter = decode_escapes(arg, alen);
				if (strlen(dv->delimiter) > 63)
				{
					log_error("%s:%d: delimiter is longer than 63 bytes", path, line);
					return -1;
				}
			}
			else if (wlen == 5 && strncmp(word, "txtar", 5) == 0)
			{
				log_error("%s:%d: the txtar directive must be the first line of the file", path, line);
				return -1;
			}
			else if (ours)
			{
				log_error("%s:%d: unknown directive \"migrate:%.*s\"", path, line, (int) wlen, word);
				log_error_hint("Known directives are migrate:txmode and migrate:delimiter.");
				return -1;
			}
			else if (wlen == 10 && strncmp(word, "checkpoint", 10) == 0)
			{
				log_error("%s:%d: checkpoint files (atlas:checkpoint) are not supported", path, line);
				return -1;
			}
			else if (!((wlen == 3 && strncmp(word, "sum", 3) == 0) ||
					   (wlen == 6 && strncmp(word, "nolint", 6) == 0)))
				log_warning("%s:%d: directive \"atlas:%.*s\" is not supported and is ignored",
							path, line, (int) wlen, word);
		}
next:
		if (eol >= len)
			break;
		i = eol + 1;
		line++;
	}
	warn_late_directives(path, text, len, i, line);
	return 0;
}

/* ---- one file ---------------------------------------------------------- */

static int
split_part(const char *path, const char *text, size_t len, int first_line,
		   Dialect dialect, const char *delimiter, StmtList *out)
{
	SplitError	err;

	if (split_sql(text, len, dialect, delimiter, first_line, out, &err) != 0)
	{
		log_error("%s:%d: %s", path, err.line, err.msg);
		return -1;
	}
	return 0;
}

/* statements part with its directives */
static int
parse_part(MigrationFile *f, const char *text, size_t len, int first_line,
		   Dialect dialect, StmtList *out, bool main_part)
{
	Directives	dv;
	int			rc;

	memset(&dv, 0, sizeof(dv));
	if (parse_directives(f->path, text, len, first_line, dialect, &dv) != 0)
	{
		free(dv.delimiter);
		return -1;
	}
	if (main_part)
		f->txmode = dv.txmode;
	else if (dv.txmode != TXMODE_DEFAULT)
	{
		log_error("%s:%d: a txmode directive is only allowed in the migration part", f->path,
				  dv.txmode_line);
		free(dv.delimiter);
		return -1;
	}
	rc = split_part(f->path, text, len, first_line, dialect, dv.delimiter, out);
	free(dv.delimiter);
	return rc;
}

/* next line: returns the offset after the '\n' (or len) */
static size_t
line_end(const char *s, size_t len, size_t i)
{
	while (i < len && s[i] != '\n')
		i++;
	return i;
}

/* trimmed line s[i..eol) equal to w? */
static bool
line_is(const char *s, size_t i, size_t eol, const char *w, size_t *after)
{
	size_t		n = strlen(w);

	while (i < eol && (s[i] == ' ' || s[i] == '\t'))
		i++;
	while (eol > i && isspace((unsigned char) s[eol - 1]))
		eol--;
	if (eol - i < n || strncmp(s + i, w, n) != 0)
		return false;
	if (after)
		*after = i + n;
	else if (eol - i != n)
		return false;
	return true;
}

static bool
txtar_marker(const char *s, size_t i, size_t eol, size_t *nb, size_t *ne)
{
	while (eol > i && (s[eol - 1] == '\r'))
		eol--;
	if (eol - i < 7 || strncmp(s + i, "-- ", 3) != 0 || strncmp(s + eol - 3, " --", 3) != 0)
		return false;
	*nb = i + 3;
	*ne = eol - 3;
	while (*nb < *ne && s[*nb] == ' ')
		(*nb)++;
	while (*ne > *nb && s[*ne - 1] == ' ')
		(*ne)--;
	return *ne > *nb;
}

static bool
is_txtar(const char *data, size_t len)
{
	size_t		i = len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
	size_t		eol = line_end(data, len, i);

	return line_is(data, i, eol, "-- migrate:txtar", NULL) ||
		line_is(data, i, eol, "-- atlas:txtar", NULL);
}

static void
set_content(MigrationFile *f, const char *text, size_t len)
{
	f->content = xstrndup(text, len);
	f->content_len = len;
	hash_bytes(f->content, f->content_len, f->hash);
}

static int
parse_txtar(MigrationFile *f, const char *data, size_t len, Dialect dialect)
{
	size_t		i = line_end(data, len, 0);
	int			line = 2;
	const char *sec_name = NULL;
	size_t		sec_nlen = 0,
				sec_start = 0;
	int			sec_line = 0,
				marker_line = 0;
	bool		have_migration = false,
				have_checks = false;

	i = i < len ? i + 1 : len;
	for (;;)
	{
		size_t		eol = line_end(data, len, i);
		size_t		nb = 0,
					ne = 0;
		bool		marker = i < len && txtar_marker(data, i, eol, &nb, &ne);

		if (marker || i >= len)
		{
			/* close the open section */
			if (sec_name)
			{
				const char *text = data + sec_start;
				size_t		tlen = i - sec_start;
				StmtList	part;

#define SEC(s) (sec_nlen == strlen(s) && strncmp(sec_name, s, sec_nlen) == 0)
				if (SEC("migration.sql"))
				{
					if (have_migration)
						goto duplicate;
					have_migration = true;
					set_content(f, text, tlen);
					if (parse_part(f, text, tlen, sec_line, dialect, &f->stmts, true) != 0)
						return -1;
				}
				else if (SEC("down.sql"))
				{
					if (f->has_down)
						goto duplicate;
					f->has_down = true;
					if (parse_part(f, text, tlen, sec_line, dialect, &f->down, false) != 0)
						return -1;
				}
				else if (SEC("checks.sql") ||
						 (sec_nlen > 11 && strncmp(sec_name, "checks/", 7) == 0 &&
						  strncmp(sec_name + sec_nlen - 4, ".sql", 4) == 0))
				{
					int			k;

					if (SEC("checks.sql") && have_checks)
						goto duplicate;
					have_checks = have_checks || SEC("checks.sql");
					if (parse_part(f, text, tlen, sec_line, dialect, &part, false) != 0)
						return -1;
					f->checks.items = xrealloc(f->checks.items,
											   sizeof(Stmt) * (f->checks.n + part.n));
					for (k = 0; k < part.n; k++)
						f->checks.items[f->checks.n++] = part.items[k];
					free(part.items);
				}
				else
				{
					log_error("%s:%d: unknown section \"%.*s\"", f->path, marker_line,
							  (int) sec_nlen, sec_name);
					log_error_hint("A txtar migration file has the sections checks.sql, migration.sql and down.sql.");
					return -1;
				}
#undef SEC
			}
			if (i >= len)
				break;
			sec_name = data + nb;
			sec_nlen = ne - nb;
			marker_line = line;
			sec_start = eol < len ? eol + 1 : len;
			sec_line = line + 1;
		}
		if (eol >= len)
		{
			i = len;
			line++;
			continue;
		}
		i = eol + 1;
		line++;
	}
	if (!have_migration)
	{
		log_error("%s: txtar file has no \"migration.sql\" section", f->path);
		log_error_hint("Add a line \"-- migration.sql --\" before the statements to apply.");
		return -1;
	}
	return 0;

duplicate:
	log_error("%s:%d: section \"%.*s\" appears twice", f->path, marker_line,
			  (int) sec_nlen, sec_name);
	return -1;
}

static int
parse_dbmate(MigrationFile *f, const char *data, size_t len, Dialect dialect)
{
	size_t		i = 0,
				up_start = 0,
				up_end = 0,
				down_start = 0;
	int			line = 1,
				up_line = 0,
				down_line = 0;
	bool		have_up = false,
				have_down = false;

	while (i < len)
	{
		size_t		eol = line_end(data, len, i);
		size_t		after;

		if (line_is(data, i, eol, "-- migrate:up", &after))
		{
			const char *opt = data + after;
			size_t		olen;

			if (have_up)
			{
				log_error("%s:%d: a second \"-- migrate:up\" line", f->path, line);
				return -1;
			}
			if (have_down)
			{
				log_error("%s:%d: \"-- migrate:up\" after \"-- migrate:down\"", f->path, line);
				return -1;
			}
			while (opt < data + eol && (*opt == ' ' || *opt == '\t'))
				opt++;
			olen = (size_t) (data + eol - opt);
			while (olen > 0 && isspace((unsigned char) opt[olen - 1]))
				olen--;
			if (olen == 17 && strncmp(opt, "transaction:false", 17) == 0)
				f->txmode = TXMODE_NONE;
			else if (olen == 16 && strncmp(opt, "transaction:true", 16) == 0)
				f->txmode = TXMODE_FILE;
			else if (olen != 0)
			{
				log_error("%s:%d: unsupported dbmate option \"%.*s\"", f->path, line, (int) olen, opt);
				log_error_hint("The only option is transaction:false (or transaction:true).");
				return -1;
			}
			have_up = true;
			up_start = eol < len ? eol + 1 : len;
			up_line = line + 1;
		}
		else if (line_is(data, i, eol, "-- migrate:down", &after))
		{
			if (have_down)
			{
				log_error("%s:%d: a second \"-- migrate:down\" line", f->path, line);
				return -1;
			}
			have_down = true;
			up_end = i;
			down_start = eol < len ? eol + 1 : len;
			down_line = line + 1;
		}
		i = eol < len ? eol + 1 : len;
		line++;
	}
	if (!have_up)
	{
		log_error("%s: dbmate migration file has no \"-- migrate:up\" line", f->path);
		return -1;
	}
	if (!have_down)
		up_end = len;
	{
		TxMode		opt_mode = f->txmode;

		set_content(f, data + up_start, up_end - up_start);
		if (parse_part(f, data + up_start, up_end - up_start, up_line, dialect,
					   &f->stmts, true) != 0)
			return -1;
		if (f->txmode == TXMODE_DEFAULT)
			f->txmode = opt_mode;
		else if (opt_mode != TXMODE_DEFAULT && opt_mode != f->txmode)
		{
			log_error("%s: the transaction option and the txmode directive disagree", f->path);
			return -1;
		}
	}
	if (have_down)
	{
		f->has_down = true;
		if (parse_part(f, data + down_start, len - down_start, down_line, dialect,
					   &f->down, false) != 0)
			return -1;
	}
	return 0;
}

/*
 * Parse a file.  When owned is not NULL it is data's malloc'd buffer, which
 * this function takes over (a plain file's content is the file itself, so
 * a large file is not held twice).
 */
static int
parse_file(MigrationFile *f, const char *path, const char *name,
		   const char *data, size_t len, DirFormat format, Dialect dialect,
		   char *owned)
{
	size_t		bad;
	bool		is_nul;
	size_t		off = 0;
	int			rc;

	if (f->path == NULL)
		f->path = xstrdup(path);
	if (f->name == NULL)
		f->name = xstrdup(name);
	if (!text_check(data, len, &bad, &is_nul))
	{
		if (is_nul)
			log_error("%s:%d: file contains a NUL byte", path, line_at(data, len, bad));
		else
			log_error("%s:%d: file is not valid UTF-8 (byte offset %zu)", path,
					  line_at(data, len, bad), bad);
		log_error_hint("Migration files must be UTF-8 text.");
		free(owned);
		return -1;
	}
	if (format == FORMAT_DBMATE || is_txtar(data, len))
	{
		if (format == FORMAT_DBMATE)
			rc = parse_dbmate(f, data, len, dialect);
		else if (format != FORMAT_NATIVE && format != FORMAT_AUTO)
		{
			log_error("%s: txtar files are only supported in native directories", path);
			rc = -1;
		}
		else
			rc = parse_txtar(f, data, len, dialect);
		free(owned);
		return rc;
	}
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
		off = 3;
	if (owned)
	{
		if (off)
			memmove(owned, owned + off, len - off + 1);
		f->content = owned;
		f->content_len = len - off;
		hash_bytes(f->content, f->content_len, f->hash);
	}
	else
		set_content(f, data + off, len - off);
	return parse_part(f, f->content, f->content_len, 1, dialect, &f->stmts, true);
}

int
migration_parse(MigrationFile *f, const char *path, const char *name,
				const char *data, size_t len, DirFormat format, Dialect dialect)
{
	return parse_file(f, path, name, data, len, format, dialect, NULL);
}

void
migration_file_free(MigrationFile *f)
{
	free(f->path);
	free(f->name);
	free(f->version);
	free(f->description);
	free(f->content);
	stmtlist_free(&f->stmts);
	stmtlist_free(&f->checks);
	stmtlist_free(&f->down);
	memset(f, 0, sizeof(*f));
}

/* ---- listing ----------------------------------------------------------- */

typedef struct Listing
{
	char	  **names;			/* relative paths */
	int			n;
	int			cap;
} Listing;

static void
listing_add(Listing *l, char *name)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 32;
		l->names = xrealloc(l->names, sizeof(char *) * l->cap);
	}
	l->names[l->n++] = name;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* *.sql files (recursive for Flyway; hidden entries skipped) */
static int
list_sql(const char *root, const char *rel, bool recursive, Listing *l, int depth)
{
	char	   *full = rel ? path_join(root, rel) : xstrdup(root);
	DIR		   *dh = opendir(full);
	struct dirent *de;

	if (dh == NULL)
	{
		log_error("could not open migration directory \"%s\": %s", full, strerror(errno));
		free(full);
		return -1;
	}
	while ((de = readdir(dh)) != NULL)
	{
		char	   *relname;
		char	   *path;
		struct stat st;

		if (de->d_name[0] == '.')
			continue;
		relname = rel ? path_join(rel, de->d_name) : xstrdup(de->d_name);
		path = path_join(root, relname);
		if (stat(path, &st) != 0)
		{
			/* a dangling link or a race: reported when read */
			st.st_mode = S_IFREG;
		}
		free(path);
		if (S_ISDIR(st.st_mode))
		{
			if (recursive && depth < 32 &&
				list_sql(root, relname, true, l, depth + 1) != 0)
			{
				free(relname);
				closedir(dh);
				free(full);
				return -1;
			}
			free(relname);
			continue;
		}
		if (ends_with(de->d_name, ".sql"))
			listing_add(l, relname);
		else
			free(relname);
	}
	closedir(dh);
	free(full);
	return 0;
}

static void
listing_free(Listing *l)
{
	int			k;

	for (k = 0; k < l->n; k++)
		free(l->names[k]);
	free(l->names);
}

static bool
looks_dbmate(const char *data, size_t len)
{
	size_t		i = 0;

	while (i < len)
	{
		size_t		eol = line_end(data, len, i);
		size_t		after;

		if (line_is(data, i, eol, "-- migrate:up", &after))
			return true;
		i = eol + 1;
	}
	return false;
}

static bool
flyway_like(const char *name)
{
	const char *b = base_name(name);

	if (strncmp(b, "R__", 3) == 0)
		return true;
	return (b[0] == 'V' || b[0] == 'U' || b[0] == 'B') && isdigit((unsigned char) b[1]) &&
		strstr(b, "__") != NULL;
}

static DirFormat
detect_format(const char *path, Listing *top)
{
	int			k,
				flyway = 0;

	for (k = 0; k < top->n; k++)
		if (ends_with(top->names[k], ".up.sql") || ends_with(top->names[k], ".down.sql"))
			return FORMAT_GOLANG_MIGRATE;
	for (k = 0; k < top->n; k++)
		if (flyway_like(top->names[k]))
			flyway++;
	if (flyway > 0 && flyway == top->n)
		return FORMAT_FLYWAY;
	for (k = 0; k < top->n; k++)
	{
		char	   *full = path_join(path, top->names[k]);
		char	   *data = NULL,
				   *err = NULL;
		size_t		len;
		bool		yes = false;

		if (read_file(full, &data, &len, &err) == 0)
			yes = looks_dbmate(data, len);
		free(err);
		free(data);
		free(full);
		if (yes)
			return FORMAT_DBMATE;
	}
	return FORMAT_NATIVE;
}

static int
cmp_entry(const void *a, const void *b)
{
	const DirEntry *x = a,
			   *y = b;

	return version_cmp(x->version, y->version);
}

int
dir_list(const char *path, DirFormat *format, DirEntry **entries, int *n)
{
	Listing		l;
	DirEntry   *out = NULL;
	int			cnt = 0,
				k;

	*entries = NULL;
	*n = 0;
	memset(&l, 0, sizeof(l));
	if (!is_directory(path))
	{
		if (path_exists(path))
			log_error("migration directory \"%s\" is not a directory", path);
		else
		{
			log_error("migration directory \"%s\" does not exist", path);
			log_error_hint("Give the directory with --dir.");
		}
		return -1;
	}
	if (list_sql(path, NULL, *format == FORMAT_FLYWAY, &l, 0) != 0)
		return -1;
	if (*format == FORMAT_AUTO)
	{
		*format = detect_format(path, &l);
		if (*format == FORMAT_FLYWAY)
		{
			listing_free(&l);
			memset(&l, 0, sizeof(l));
			if (list_sql(path, NULL, true, &l, 0) != 0)
				return -1;
		}
		log_debug("migration directory \"%s\" has the %s format", path, dir_format_name(*format));
	}
	if (l.n > 1)
		qsort(l.names, l.n, sizeof(char *), cmp_str);
	out = xcalloc(l.n ? l.n : 1, sizeof(DirEntry));
	for (k = 0; k < l.n; k++)
	{
		char	   *version,
				   *desc,
				   *why,
				   *full,
				   *err = NULL;
		int			r = dir_name_version(*format, l.names[k], &version, &desc, &why);

		if (r < 0)
		{
			log_error("migration file \"%s\" does not follow the %s naming rules",
					  l.names[k], dir_format_name(*format));
			log_error_detail("%s", why);
			free(why);
			goto fail;
		}
		if (r == 0)
		{
			if (*format == FORMAT_FLYWAY && strncmp(base_name(l.names[k]), "R__", 3) == 0)
			{
				log_warning("repeatable migration \"%s\" is skipped", l.names[k]);
				log_error_detail("Repeatable migrations have no version to record; migrate applies versioned files only.");
			}
			else
				log_debug("ignoring \"%s\"", l.names[k]);
			continue;
		}
		full = path_join(path, l.names[k]);
		out[cnt].name = xstrdup(l.names[k]);
		out[cnt].version = version;
		out[cnt].description = desc;
		if (read_file(full, &out[cnt].data, &out[cnt].len, &err) != 0)
		{
			log_error("could not read migration file \"%s\": %s", full, err);
			free(err);
			free(full);
			cnt++;
			goto fail;
		}
		free(full);
		cnt++;
	}
	qsort(out, cnt, sizeof(DirEntry), cmp_entry);
	for (k = 1; k < cnt; k++)
	{
		if (version_same_number(out[k - 1].version, out[k].version))
		{
			log_error("duplicate migration version \"%s\" in files \"%s\" and \"%s\"",
					  out[k].version, out[k - 1].name, out[k].name);
			log_error_hint("Every migration file needs a version of its own.");
			goto fail;
		}
	}
	listing_free(&l);
	*entries = out;
	*n = cnt;
	return 0;

fail:
	listing_free(&l);
	dir_entries_free(out, cnt);
	return -1;
}

void
dir_entries_free(DirEntry *entries, int n)
{
	int			k;

	for (k = 0; k < n; k++)
	{
		free(entries[k].name);
		free(entries[k].version);
		free(entries[k].description);
		free(entries[k].data);
	}
	free(entries);
}

int
dir_load(const char *path, DirFormat format, Dialect dialect, bool verify_sum,
		 MigrationDir *out)
{
	DirEntry   *entries;
	int			n,
				k,
				rc = 0;

	memset(out, 0, sizeof(*out));
	if (dir_list(path, &format, &entries, &n) != 0)
		return -1;
	out->path = xstrdup(path);
	out->format = format;
	if (verify_sum && sum_verify_dir(path, entries, n, &out->sum_path) != 0)
	{
		dir_entries_free(entries, n);
		dir_free(out);
		return -1;
	}
	out->files = xcalloc(n ? n : 1, sizeof(MigrationFile));
	for (k = 0; k < n; k++)
	{
		MigrationFile *f = &out->files[k];
		char	   *full = path_join(path, entries[k].name);

		f->version = xstrdup(entries[k].version);
		f->description = xstrdup(entries[k].description);
		out->nfiles++;
		/* the file's buffer moves to the MigrationFile */
		if (parse_file(f, full, entries[k].name, entries[k].data, entries[k].len,
					   format, dialect, entries[k].data) != 0)
			rc = -1;
		entries[k].data = NULL;
		free(full);
		if (rc != 0)
			break;
	}
	dir_entries_free(entries, n);
	if (rc != 0)
		dir_free(out);
	return rc;
}

void
dir_free(MigrationDir *d)
{
	int			k;

	for (k = 0; k < d->nfiles; k++)
		migration_file_free(&d->files[k]);
	free(d->files);
	free(d->path);
	free(d->sum_path);
	memset(d, 0, sizeof(*d));
}

const MigrationFile *
dir_find(const MigrationDir *d, const char *version)
{
	int			k;

	for (k = 0; k < d->nfiles; k++)
		if (strcmp(d->files[k].version, version) == 0)
			return &d->files[k];
	return NULL;
}
