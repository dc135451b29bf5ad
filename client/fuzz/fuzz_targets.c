/*-------------------------------------------------------------------------
 *
 * fuzz_targets.c
 *	  The bodies of the fuzz targets: statement splitter, migration file
 *	  and directory readers, sum file.  Each target checks properties
 *	  beyond "no crash" and reports a violation through fuzz_fail().
 *
 * This file is #included by the libFuzzer entry point (fuzz_main.c, built
 * once per target with clang -fsanitize=fuzzer,address,undefined by
 * client/fuzz/Makefile)
 * and by the cmocka test client/test/test_fuzz_replay.c, which replays the
 * seed corpora and every saved crash input on each "make unit".  The
 * includer defines fuzz_fail(): abort() under libFuzzer, a cmocka failure
 * in the unit test.
 *
 * Input layout: the first byte selects the dialect, format and mode; the
 * rest is the text.  Every target copies the text into a buffer of
 * exactly its length (no terminating NUL), so reading past the end of the
 * input is caught by AddressSanitizer.  No state is kept between inputs
 * except the scratch directory of the directory target, which is emptied
 * after each input.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/fuzz/fuzz_targets.c
 *
 *-------------------------------------------------------------------------
 */
/* memmem, strncasecmp, mkdtemp */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core.h"

static void fuzz_fail(const char *fmt,...) __attribute__((format(printf, 1, 2)));

/* inputs longer than this are cut: the targets are about structure */
#define FUZZ_MAX_INPUT	(256 * 1024)

static const Dialect fuzz_dialects[4] = {
	DIALECT_POSTGRES, DIALECT_MYSQL, DIALECT_SQLITE, DIALECT_POSTGRES
};
static const char *const fuzz_delimiters[4] = {NULL, "$$", "GO", "//"};

/* a malloc'd copy of exactly len bytes (not NUL-terminated) */
static char *
fuzz_copy(const uint8_t *data, size_t len)
{
	char	   *p = malloc(len ? len : 1);

	if (p == NULL)
		abort();
	if (len)
		memcpy(p, data, len);
	return p;
}

static int
fuzz_count_lines(const char *s, size_t len)
{
	int			n = 1;
	size_t		i;

	for (i = 0; i < len; i++)
		if (s[i] == '\n')
			n++;
	return n;
}

static bool
fuzz_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

/* case-insensitive search for word in s[0..len) */
static bool
fuzz_contains_ci(const char *s, size_t len, const char *word)
{
	size_t		n = strlen(word),
				i;

	for (i = 0; i + n <= len; i++)
		if (strncasecmp(s + i, word, n) == 0)
			return true;
	return false;
}

/* ---- statement splitter ------------------------------------------------ */

/*
 * Split s[0..len) and check:
 *	- an error leaves the list empty and names a line inside the input;
 *	- statements are non-empty, trimmed, free of NUL bytes, appear in the
 *	  input in order (each one a substring found after the previous one),
 *	  and their lines are in bounds and non-decreasing;
 *	- splitting is idempotent: each statement split alone (same dialect,
 *	  same delimiter, starting at its own line) gives back exactly itself.
 *	  MySQL inputs that change the delimiter with DELIMITER are exempt,
 *	  since the delimiter in force at a statement is not known here.
 * Returns the number of statements (or -1 on a split error).
 */
static int
fuzz_check_split(const char *s, size_t len, Dialect d, const char *delim)
{
	StmtList	out;
	SplitError	err;
	int			nlines = fuzz_count_lines(s, len),
				k,
				prev_line = 1,
				rc;
	size_t		cursor = 0;
	bool		idempotent = d != DIALECT_MYSQL ||
	!fuzz_contains_ci(s, len, "delimiter");

	rc = split_sql(s, len, d, delim, 1, &out, &err);
	if (rc != 0)
	{
		if (out.items != NULL || out.n != 0)
			fuzz_fail("split error left %d statements behind", out.n);
		if (err.line < 1 || err.line > nlines)
			fuzz_fail("split error on line %d, input has %d lines", err.line, nlines);
		if (err.msg[0] == '\0' || memchr(err.msg, '\0', sizeof(err.msg)) == NULL)
			fuzz_fail("split error without a message");
		return -1;
	}
	for (k = 0; k < out.n; k++)
	{
		const Stmt *st = &out.items[k];
		size_t		tlen;
		const char *found;

		if (st->text == NULL || st->text[0] == '\0')
			fuzz_fail("statement %d is empty", k);
		tlen = strlen(st->text);
		if (fuzz_is_space(st->text[0]) || fuzz_is_space(st->text[tlen - 1]))
			fuzz_fail("statement %d is not trimmed", k);
		if (st->line < prev_line || st->line > nlines)
			fuzz_fail("statement %d on line %d (previous %d, %d lines)", k, st->line,
					  prev_line, nlines);
		prev_line = st->line;
		found = cursor <= len ? memmem(s + cursor, len - cursor, st->text, tlen) : NULL;
		if (found == NULL)
			fuzz_fail("statement %d is not found in the input after the previous one", k);
		/* the first occurrence may be earlier than the real one, never later */
		if (st->line < fuzz_count_lines(s, (size_t) (found - s)))
			fuzz_fail("statement %d on line %d starts before its text", k, st->line);
		cursor = (size_t) (found - s) + tlen;

		/*
		 * A byte order mark is skipped only at the start of a file, so a
		 * statement that starts with one (after a delimiter) would lose it
		 * when split alone.  In MySQL, "--" ends a statement text only when a
		 * delimiter followed it directly ("--//"), where it is not a comment;
		 * at the end of a text it is one, as the server reads it.
		 */
		if (idempotent && !(tlen >= 3 && memcmp(st->text, "\xEF\xBB\xBF", 3) == 0) &&
			!(d == DIALECT_MYSQL && tlen >= 2 && memcmp(st->text +tlen - 2, "--", 2) == 0))
		{
			StmtList	again;
			SplitError	err2;

			if (split_sql(st->text, tlen, d, delim, st->line, &again, &err2) != 0)
				fuzz_fail("statement %d does not split alone: line %d: %s\n%s", k,
						  err2.line, err2.msg, st->text);
			if (again.n != 1 || strcmp(again.items[0].text, st->text) != 0 ||
				again.items[0].line != st->line)
				fuzz_fail("statement %d splits alone into %d statement(s):\n%s\nfirst: %s",
						  k, again.n, st->text, again.n ? again.items[0].text : "");
			stmtlist_free(&again);
		}
	}
	rc = out.n;
	stmtlist_free(&out);
	return rc;
}

/*
 * Selector byte: bits 0-1 dialect (PostgreSQL, MySQL, SQLite, PostgreSQL),
 * bits 2-3 initial delimiter (default, "$$", "GO", "//").
 */
static int
fuzz_split_one(const uint8_t *data, size_t size)
{
	char	   *s;
	size_t		len;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	len = size - 1;
	s = fuzz_copy(data + 1, len);
	fuzz_check_split(s, len, fuzz_dialects[data[0] & 3], fuzz_delimiters[(data[0] >> 2) & 3]);
	free(s);
	return 0;
}

/* ---- migration files ----------------------------------------------------- */

#define FUZZ_PATH "fuzz/20260101000000_fuzz.sql"

/* when a parse fails, the error must name the file, and its line if any */
static void
fuzz_check_error(int before, const char *path, int nlines)
{
	const char *e = log_last_error();
	size_t		plen = strlen(path);

	if (log_error_count() == before || e == NULL)
		fuzz_fail("parse failed without logging an error");
	if (strncmp(e, path, plen) != 0)
		fuzz_fail("error does not start with the file name: %s", e);
	if (e[plen] == ':' && e[plen + 1] >= '0' && e[plen + 1] <= '9')
	{
		long		line = strtol(e + plen + 1, NULL, 10);

		if (line < 1 || line > nlines)
			fuzz_fail("error names line %ld of a %d-line file: %s", line, nlines, e);
	}
}

static void
fuzz_check_stmts(const StmtList *l, int nlines, const char *what)
{
	int			k;

	for (k = 0; k < l->n; k++)
	{
		if (l->items[k].text == NULL || l->items[k].text[0] == '\0')
			fuzz_fail("%s statement %d is empty", what, k);
		if (l->items[k].line < 1 || l->items[k].line > nlines)
			fuzz_fail("%s statement %d on line %d of a %d-line file", what, k,
					  l->items[k].line, nlines);
	}
}

/*
 * Parse one file.  On success: statements in bounds, content and hash
 * set, the hash is the hash of the content, and the content is part of
 * the input.
 */
static void
fuzz_check_file(const char *s, size_t len, DirFormat format, Dialect d)
{
	MigrationFile f;
	int			before = log_error_count(),
				nlines = fuzz_count_lines(s, len);
	char		h[64];

	memset(&f, 0, sizeof(f));
	f.version = xstrdup("20260101000000");
	f.description = xstrdup("fuzz");
	if (migration_parse(&f, FUZZ_PATH, "20260101000000_fuzz.sql", s, len, format, d) != 0)
		fuzz_check_error(before, FUZZ_PATH, nlines);
	else
	{
		if (log_error_count() != before)
			fuzz_fail("parse succeeded but logged an error: %s", log_last_error());
		if (f.content == NULL || f.content_len > len ||
			(f.content_len > 0 && memmem(s, len, f.content, f.content_len) == NULL))
			fuzz_fail("file content is not part of the input");
		hash_bytes(f.content, f.content_len, h);
		if (strcmp(h, f.hash) != 0)
			fuzz_fail("file hash %s is not the hash of its content %s", f.hash, h);
		fuzz_check_stmts(&f.stmts, nlines, "migration");
		fuzz_check_stmts(&f.checks, nlines, "checks");
		fuzz_check_stmts(&f.down, nlines, "down");
		if (f.txmode != TXMODE_DEFAULT && f.txmode != TXMODE_FILE && f.txmode != TXMODE_NONE)
			fuzz_fail("file txmode %d", (int) f.txmode);
	}
	migration_file_free(&f);
}

/* ---- directories -------------------------------------------------------- */

static char *fuzz_dir;

static void
fuzz_rm_tree(const char *path, bool keep)
{
	DIR		   *dh = opendir(path);
	struct dirent *de;

	if (dh != NULL)
	{
		while ((de = readdir(dh)) != NULL)
		{
			char	   *p;
			struct stat st;

			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			p = path_join(path, de->d_name);
			if (lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				fuzz_rm_tree(p, false);
			else
				unlink(p);
			free(p);
		}
		closedir(dh);
	}
	if (!keep)
		rmdir(path);
}

static void
fuzz_dir_cleanup(void)
{
	if (fuzz_dir)
	{
		fuzz_rm_tree(fuzz_dir, false);
		free(fuzz_dir);
		fuzz_dir = NULL;
	}
}

static const char *
fuzz_scratch(void)
{
	if (fuzz_dir == NULL)
	{
		const char *base = getenv("TMPDIR");
		char	   *p;

		if (base == NULL && is_directory("/dev/shm"))
			base = "/dev/shm";
		p = xasprintf("%s/migrate-fuzz.XXXXXX", base ? base : "/tmp");
		if (mkdtemp(p) == NULL)
		{
			perror("mkdtemp");
			abort();
		}
		fuzz_dir = p;
		atexit(fuzz_dir_cleanup);
	}
	return fuzz_dir;
}

/* a file name made of the bytes of one input line */
static char *
fuzz_file_name(const char *s, size_t n, bool allow_subdir)
{
	StrBuf		sb;
	size_t		i;
	bool		slash = false;

	sb_init(&sb);
	for (i = 0; i < n && sb.len < 80; i++)
	{
		char		c = s[i];

		if (c == '\0' || c == '\n')
			c = '_';
		if (c == '/')
		{
			/* one level of subdirectory for Flyway trees, never empty parts */
			if (!allow_subdir || slash || sb.len == 0 || i + 1 == n)
				c = '_';
			else
				slash = true;
		}
		sb_putc(&sb, c);
	}
	if (sb.len == 0 || strcmp(sb.data, ".") == 0 || strcmp(sb.data, "..") == 0 ||
		strstr(sb.data, "/.") != NULL)
	{
		sb_free(&sb);
		return NULL;
	}
	return sb_steal(&sb);
}

static int
fuzz_write(const char *dir, const char *name, const char *data, size_t len)
{
	char	   *p = path_join(dir, name);
	char	   *slash = strrchr(p, '/');
	FILE	   *f;
	int			rc = 0;

	if (strchr(name, '/') != NULL && slash != NULL)
	{
		*slash = '\0';
		mkdir(p, 0700);
		*slash = '/';
	}
	f = fopen(p, "wbx");
	if (f == NULL)
		rc = -1;				/* a duplicate name, or a file where a
								 * directory is */
	else
	{
		if (len && fwrite(data, 1, len, f) != len)
			rc = -1;
		fclose(f);
	}
	free(p);
	return rc;
}

/*
 * Input: files separated by lines "--FILE--"; the first line of each
 * chunk is its name, the rest its bytes.  Up to 8 files.  With write_sum
 * the directory's migrate.sum is written first (so verification passes
 * unless a name is special), otherwise whatever the input holds is used.
 * Checks: a failed load logged an error; a successful one has files in
 * strictly increasing version order, each parsed and hashed, and as many
 * as the listing.
 */
static void
fuzz_check_dirload(const char *s, size_t len, DirFormat format, Dialect d, bool write_sum)
{
	const char *dir = fuzz_scratch();
	size_t		i = 0;
	int			nfiles = 0,
				before,
				k;
	MigrationDir md;

	while (i < len && nfiles < 8)
	{
		const char *end = memmem(s + i, len - i, "\n--FILE--\n", 10);
		size_t		chunk = end ? (size_t) (end - (s + i)) : len - i;
		const char *nl = memchr(s + i, '\n', chunk);
		size_t		nlen = nl ? (size_t) (nl - (s + i)) : chunk;
		char	   *name = fuzz_file_name(s + i, nlen, format == FORMAT_FLYWAY);

		if (name != NULL)
		{
			size_t		body = nl ? (size_t) (nl + 1 - (s + i)) : chunk;

			if (fuzz_write(dir, name, s + i + body, chunk - body) == 0)
				nfiles++;
			free(name);
		}
		i += chunk + (end ? 10 : 0);
	}
	if (write_sum)
	{
		DirEntry   *entries;
		int			n;
		DirFormat	f2 = format;

		if (dir_list(dir, &f2, &entries, &n) == 0)
		{
			sum_write_dir(dir, entries, n);
			dir_entries_free(entries, n);
		}
	}
	before = log_error_count();
	if (dir_load(dir, format, d, true, &md) != 0)
	{
		if (log_error_count() == before)
			fuzz_fail("directory load failed without logging an error");
	}
	else
	{
		if (md.nfiles > nfiles)
			fuzz_fail("%d files loaded from %d written", md.nfiles, nfiles);
		for (k = 0; k < md.nfiles; k++)
		{
			char		h[64];

			if (k > 0 && version_cmp(md.files[k - 1].version, md.files[k].version) >= 0)
				fuzz_fail("versions out of order: %s then %s", md.files[k - 1].version,
						  md.files[k].version);
			hash_bytes(md.files[k].content, md.files[k].content_len, h);
			if (strcmp(h, md.files[k].hash) != 0)
				fuzz_fail("file %s: hash is not the hash of its content", md.files[k].name);
		}
		dir_free(&md);
	}
	fuzz_rm_tree(dir, true);
}

static const DirFormat fuzz_formats[8] = {
	FORMAT_AUTO, FORMAT_NATIVE, FORMAT_GOLANG_MIGRATE, FORMAT_FLYWAY,
	FORMAT_DBMATE, FORMAT_NATIVE, FORMAT_NATIVE, FORMAT_DBMATE
};

/*
 * Selector byte: bits 0-2 format (auto, native, golang-migrate, flyway,
 * dbmate, native with a txtar header, native with directives, dbmate),
 * bits 3-4 dialect, bit 5: also parse the first line as a file name under
 * the format's naming rules, bits 6-7: 0-1 one file in memory, 2 a
 * directory on disk, 3 a directory on disk with its sum file written.
 */
static int
fuzz_dir_one(const uint8_t *data, size_t size)
{
	uint8_t		sel;
	DirFormat	format;
	Dialect		d;
	char	   *s;
	size_t		len;
	int			mode;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	sel = data[0];
	format = fuzz_formats[sel & 7];
	d = fuzz_dialects[(sel >> 3) & 3];
	mode = sel >> 6;

	if (mode >= 2)
	{
		s = fuzz_copy(data + 1, size - 1);
		fuzz_check_dirload(s, size - 1, format, d, mode == 3);
		free(s);
		return 0;
	}

	/* the txtar and directive variants put a header before the input */
	{
		const char *head = (sel & 7) == 5 ? "-- migrate:txtar\n" :
		(sel & 7) == 6 ? "-- migrate:txmode none\n-- migrate:delimiter ;\n" : "";
		size_t		hlen = strlen(head);

		len = hlen + size - 1;
		s = malloc(len ? len : 1);
		if (s == NULL)
			abort();
		memcpy(s, head, hlen);
		memcpy(s + hlen, data + 1, size - 1);
	}

	if (sel & 0x20)
	{
		const char *nl = memchr(s, '\n', len);
		char	   *name = xstrndup(s, nl ? (size_t) (nl - s) : len);
		char	   *v = NULL,
				   *desc = NULL,
				   *why = NULL;
		int			r = dir_name_version(format, name, &v, &desc, &why);

		if (r == 1 && (v == NULL || desc == NULL))
			fuzz_fail("name \"%s\" accepted without a version", name);
		if (r == -1 && (why == NULL || why[0] == '\0'))
			fuzz_fail("name \"%s\" refused without a reason", name);
		if (r == 0 && (v || why))
			fuzz_fail("name \"%s\" ignored but version or reason set", name);
		if (r < -1 || r > 1)
			fuzz_fail("dir_name_version returned %d", r);
		free(v);
		free(desc);
		free(why);
		free(name);
	}
	fuzz_check_file(s, len, format, d);
	free(s);
	return 0;
}

/* ---- sum file -------------------------------------------------------------- */

static void
fuzz_check_sum_roundtrip(const SumFile *a)
{
	char	   *text = sum_format(a);
	char	   *err = NULL;
	SumFile		b;
	int			k;

	if (sum_parse(text, strlen(text), &b, &err) != 0)
		fuzz_fail("a formatted sum file does not parse: %s\n%s", err, text);
	if (strcmp(a->header, b.header) != 0 || a->n != b.n)
		fuzz_fail("sum file changed in a format/parse round trip");
	for (k = 0; k < a->n; k++)
		if (strcmp(a->lines[k].name, b.lines[k].name) != 0 ||
			strcmp(a->lines[k].hash, b.lines[k].hash) != 0)
			fuzz_fail("sum line %d changed in a format/parse round trip", k);
	sum_free(&b);
	free(text);
}

/* the file opts out of content hashing: edits to it are not seen */
static bool
fuzz_sum_ignored(const DirEntry *e)
{
	return memmem(e->data, e->len, "atlas:sum ignore", 16) != NULL;
}

/*
 * Build a directory listing from the input (files separated by NUL bytes:
 * name, NUL, content, NUL, ...), hash it, and check that the sum file
 * round-trips and matches, then that a tampering chosen by the selector
 * (byte flip, insertion, deletion in a file, rename, removal, addition)
 * is detected and blamed on the right file.
 */
static void
fuzz_check_sum_tamper(const char *s, size_t len, uint8_t sel)
{
	DirEntry	e[9];
	int			n = 0,
				k,
				victim;
	size_t		i = 0;
	SumFile		computed,
				recorded,
				after;
	char	   *text,
			   *err = NULL,
			   *name = NULL;
	StrBuf		problems;
	int			action = (sel >> 1) & 7;

	memset(e, 0, sizeof(e));
	while (i < len && n < 8)
	{
		const char *z = memchr(s + i, '\0', len - i);
		size_t		nlen = z ? (size_t) (z - (s + i)) : len - i;
		const char *c = z ? z + 1 : s + len;
		const char *z2 = memchr(c, '\0', (size_t) (s + len - c));
		size_t		clen = z2 ? (size_t) (z2 - c) : (size_t) (s + len - c);
		char	   *nm = fuzz_file_name(s + i, nlen, false);

		i = (size_t) (c - s) + clen + (z2 ? 1 : 0);
		if (nm == NULL)
			continue;
		for (k = 0; k < n; k++)
			if (strcmp(e[k].name, nm) == 0)
				break;
		if (k < n)
		{
			free(nm);
			continue;
		}
		e[n].name = nm;
		e[n].version = xstrdup("1");
		e[n].description = xstrdup("");
		e[n].data = xstrndup(c, clen);
		e[n].len = strlen(e[n].data);
		n++;
	}
	sum_compute(e, n, &computed);
	text = sum_format(&computed);

	if (sum_parse(text, strlen(text), &recorded, &err) != 0)
		fuzz_fail("computed sum file does not parse: %s", err);
	fuzz_check_sum_roundtrip(&computed);
	sb_init(&problems);
	if (!sum_compare(&computed, &recorded, &problems))
		fuzz_fail("a directory does not match its own sum file: %s", problems.data);
	sb_free(&problems);

	if (n == 0)
		goto done;
	victim = (int) (sel >> 4) % n;
	switch (action)
	{
		case 0:					/* flip a byte */
		case 1:					/* insert a byte */
		case 2:					/* delete a byte */
			{
				DirEntry   *v = &e[victim];
				size_t		at = v->len ? (size_t) sel % v->len : 0;

				if (fuzz_sum_ignored(v))
					goto done;
				if (action == 0 && v->len > 0)
					v->data[at] ^= (char) (1 + (sel & 0x7f));
				else if (action == 1)
				{
					v->data = xrealloc(v->data, v->len + 2);
					memmove(v->data + at + 1, v->data + at, v->len - at + 1);
					v->data[at] = 'x';
					v->len++;
				}
				else if (v->len > 0)
				{
					memmove(v->data + at, v->data + at + 1, v->len - at);
					v->len--;
				}
				else
					goto done;
				if (fuzz_sum_ignored(v))
					goto done;
				name = xstrdup(v->name);
				break;
			}
		case 3:					/* rename */
		case 4:
			name = xstrdup(e[victim].name);
			free(e[victim].name);
			e[victim].name = xasprintf("%s.renamed", name);
			for (k = 0; k < n; k++)
				if (k != victim && strcmp(e[k].name, e[victim].name) == 0)
					goto done;
			break;
		case 5:					/* remove */
			name = xstrdup(e[victim].name);
			free(e[victim].name);
			free(e[victim].version);
			free(e[victim].description);
			free(e[victim].data);
			e[victim] = e[n - 1];
			memset(&e[n - 1], 0, sizeof(DirEntry));
			n--;
			break;
		default:				/* add */
			name = xstrdup("zz_added.sql");
			for (k = 0; k < n; k++)
				if (strcmp(e[k].name, name) == 0)
					goto done;
			e[n].name = xstrdup(name);
			e[n].version = xstrdup("2");
			e[n].description = xstrdup("");
			e[n].data = xstrdup("SELECT 1;");
			e[n].len = 9;
			n++;
			break;
	}
	sum_compute(e, n, &after);
	sb_init(&problems);
	if (sum_compare(&after, &recorded, &problems))
		fuzz_fail("tampering (action %d) with \"%s\" was not detected", action, name);
	if (strstr(problems.data, name) == NULL)
		fuzz_fail("tampering (action %d) with \"%s\" was blamed on: %s", action, name,
				  problems.data);
	sb_free(&problems);
	sum_free(&after);

done:
	free(name);
	sum_free(&computed);
	sum_free(&recorded);
	free(text);
	for (k = 0; k < n; k++)
	{
		free(e[k].name);
		free(e[k].version);
		free(e[k].description);
		free(e[k].data);
	}
}

/*
 * Selector bit 0: 0 parse the input as a sum file (errors are messages,
 * a parsed file round-trips and is consistent with itself unless its
 * header was forged); 1 build a directory from the input and tamper with
 * it (see above).
 */
static int
fuzz_sum_one(const uint8_t *data, size_t size)
{
	char	   *s;
	size_t		len;

	if (size < 1 || size > FUZZ_MAX_INPUT)
		return 0;
	len = size - 1;
	s = fuzz_copy(data + 1, len);
	if (data[0] & 1)
		fuzz_check_sum_tamper(s, len, data[0]);
	else
	{
		SumFile		sf;
		char	   *err = NULL;

		if (sum_parse(s, len, &sf, &err) != 0)
		{
			if (err == NULL || err[0] == '\0')
				fuzz_fail("sum file refused without a reason");
			free(err);
		}
		else
		{
			StrBuf		problems;
			bool		same;

			fuzz_check_sum_roundtrip(&sf);
			sb_init(&problems);
			same = sum_compare(&sf, &sf, &problems);
			if (!same && problems.len == 0)
				fuzz_fail("sum comparison failed without saying why");
			sb_free(&problems);
			sum_free(&sf);
		}
	}
	free(s);
	return 0;
}
