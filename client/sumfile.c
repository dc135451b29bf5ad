/*-------------------------------------------------------------------------
 *
 * sumfile.c
 *	  The directory's sum file (migrate.sum, or atlas.sum as written by the
 *	  reference tool), which guards the migration files against unnoticed
 *	  edits, additions, removals and renames.
 *
 * Format (the same as atlas.sum, so existing files verify):
 *
 *		h1:<header>
 *		<name1> h1:<hash1>
 *		<name2> h1:<hash2>
 *
 * Files are taken in byte order of their names.  One SHA-256 runs over
 * the whole list: for each file its name, then its bytes, are fed in, and
 * the file's line carries the digest at that point (so a line covers its
 * file and every file before it).  A file whose leading comment lines hold
 * "atlas:sum ignore" (followed by a blank line) contributes its name only.
 * The header is the SHA-256 of name1 ‖ hash1 ‖ name2 ‖ hash2 ..., where
 * the hashes are the base64 texts without "h1:".  Hashes are standard
 * base64 of the 32-byte digest.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/sumfile.c
 *
 *-------------------------------------------------------------------------
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE				/* qsort_r */
#endif
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

/* does the file opt out of content hashing ("-- atlas:sum ignore")? */
static bool
sum_ignored(const char *data, size_t len)
{
	size_t		i = 0;
	bool		found = false;

	while (i < len)
	{
		size_t		eol = i,
					b = i;

		while (eol < len && data[eol] != '\n')
			eol++;
		while (b < eol && isspace((unsigned char) data[b]))
			b++;
		if (b == eol)
			return found;		/* the blank line that ends the directives */
		if (!(data[b] == '#' || (eol - b >= 2 && data[b] == '-' && data[b + 1] == '-')))
			return false;
		{
			size_t		n = eol - b;
			const char *p = data + b;
			size_t		k;

			for (k = 0; k + 16 <= n; k++)
				if (strncmp(p + k, "atlas:sum ignore", 16) == 0)
					found = true;
		}
		i = eol + 1;
	}
	return false;
}

static int
cmp_idx_name(const void *a, const void *b, void *arg)
{
	const DirEntry *e = arg;

	return strcmp(e[*(const int *) a].name, e[*(const int *) b].name);
}

static void
sum_header(const SumFile *s, char out[64])
{
	void	   *h = hash_chain_new();
	char		b64[45];
	int			k;

	for (k = 0; k < s->n; k++)
	{
		hash_chain_update(h, s->lines[k].name, strlen(s->lines[k].name));
		hash_chain_update(h, s->lines[k].hash + 3, strlen(s->lines[k].hash + 3));
	}
	hash_chain_peek(h, b64);
	hash_chain_free(h);
	snprintf(out, 64, "h1:%s", b64);
}

void
sum_compute(const DirEntry *entries, int n, SumFile *out)
{
	int		   *idx = xmalloc(sizeof(int) * (n ? n : 1));
	void	   *h = hash_chain_new();
	char		b64[45];
	int			k;

	for (k = 0; k < n; k++)
		idx[k] = k;
	qsort_r(idx, n, sizeof(int), cmp_idx_name, (void *) entries);
	out->n = n;
	out->lines = xcalloc(n ? n : 1, sizeof(SumLine));
	for (k = 0; k < n; k++)
	{
		const DirEntry *e = &entries[idx[k]];

		hash_chain_update(h, e->name, strlen(e->name));
		if (!sum_ignored(e->data, e->len))
			hash_chain_update(h, e->data, e->len);
		hash_chain_peek(h, b64);
		out->lines[k].name = xstrdup(e->name);
		snprintf(out->lines[k].hash, 64, "h1:%s", b64);
	}
	hash_chain_free(h);
	free(idx);
	sum_header(out, out->header);
}

char *
sum_format(const SumFile *s)
{
	StrBuf		sb;
	int			k;

	sb_init(&sb);
	sb_printf(&sb, "%s\n", s->header);
	for (k = 0; k < s->n; k++)
		sb_printf(&sb, "%s %s\n", s->lines[k].name, s->lines[k].hash);
	return sb_steal(&sb);
}

static bool
valid_hash(const char *h, size_t n)
{
	size_t		k;

	if (n != 47 || strncmp(h, "h1:", 3) != 0)
		return false;
	for (k = 3; k < n; k++)
		if (!(isalnum((unsigned char) h[k]) || h[k] == '+' || h[k] == '/' || h[k] == '='))
			return false;
	return true;
}

int
sum_parse(const char *text, size_t len, SumFile *out, char **err)
{
	size_t		i = 0;
	int			line = 0,
				cap = 0;

	memset(out, 0, sizeof(*out));
	if (memchr(text, '\0', len) != NULL)
	{
		*err = xasprintf("line %d contains a NUL byte",
						 line_at(text, len, (size_t) ((const char *) memchr(text, '\0', len) - text)));
		return -1;
	}
	while (i < len)
	{
		size_t		eol = i,
					e;

		while (eol < len && text[eol] != '\n')
			eol++;
		e = eol;
		if (e > i && text[e - 1] == '\r')
			e--;
		line++;
		if (line == 1)
		{
			if (!valid_hash(text +i, e - i))
			{
				*err = xstrdup("the first line is not a hash");
				goto fail;
			}
			memcpy(out->header, text +i, e - i);
			out->header[e - i] = '\0';
		}
		else if (e > i)
		{
			/*
			 * "<name> h1:<hash>": the name may hold spaces, so split at the
			 * end
			 */
			const char *sp;

			if (e - i < 49 || text[e - 48] != ' ' || !valid_hash(text +e - 47, 47))
			{
				*err = xasprintf("line %d is not \"<file> h1:<hash>\"", line);
				goto fail;
			}
			sp = text  +e - 48;

			if (out->n == cap)
			{
				cap = cap ? cap * 2 : 32;
				out->lines = xrealloc(out->lines, sizeof(SumLine) * cap);
			}
			out->lines[out->n].name = xstrndup(text +i, (size_t) (sp - (text +i)));
			memcpy(out->lines[out->n].hash, sp + 1, 47);
			out->lines[out->n].hash[47] = '\0';
			out->n++;
		}
		i = eol + 1;
	}
	if (line == 0)
	{
		*err = xstrdup("the file is empty");
		goto fail;
	}
	return 0;

fail:
	sum_free(out);
	return -1;
}

void
sum_free(SumFile *s)
{
	int			k;

	for (k = 0; k < s->n; k++)
		free(s->lines[k].name);
	free(s->lines);
	memset(s, 0, sizeof(*s));
}

/*
 * Name lookups: a sorted index of a sum file's lines, so that comparing
 * directories of thousands of files stays O(n log n).
 */
typedef struct NameIndex
{
	const SumFile *s;
	int		   *order;			/* line numbers sorted by name */
} NameIndex;

static int
cmp_line_name(const void *a, const void *b, void *arg)
{
	const SumFile *s = arg;

	return strcmp(s->lines[*(const int *) a].name, s->lines[*(const int *) b].name);
}

static void
index_build(NameIndex *ix, const SumFile *s)
{
	int			k;

	ix->s = s;
	ix->order = xmalloc(sizeof(int) * (s->n ? s->n : 1));
	for (k = 0; k < s->n; k++)
		ix->order[k] = k;
	qsort_r(ix->order, s->n, sizeof(int), cmp_line_name, (void *) s);
}

/* line number of name, or -1 */
static int
find_line(const NameIndex *ix, const char *name)
{
	int			lo = 0,
				hi = ix->s->n - 1;

	while (lo <= hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(ix->s->lines[ix->order[mid]].name, name);

		if (c == 0)
			return ix->order[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid - 1;
	}
	return -1;
}

bool
sum_compare(const SumFile *computed, const SumFile *recorded, StrBuf *problems)
{
	char		header[64];
	int			k,
				added = 0,
				removed = 0,
				last_added = -1,
				last_removed = -1;
	bool		ok = true;
	NameIndex	cix,
				rix;

	sum_header(recorded, header);
	if (strcmp(header, recorded->header) != 0)
	{
		sb_puts(problems, "The first line of the sum file does not match the lines after it, so the sum file itself was edited.");
		return false;
	}
	index_build(&cix, computed);
	index_build(&rix, recorded);
	for (k = 0; k < computed->n; k++)
		if (find_line(&rix, computed->lines[k].name) < 0)
		{
			added++;
			last_added = k;
		}
	for (k = 0; k < recorded->n; k++)
		if (find_line(&cix, recorded->lines[k].name) < 0)
		{
			removed++;
			last_removed = k;
		}
	if (added == 1 && removed == 1)
	{
		sb_printf(problems, "%sFile \"%s\" was renamed to \"%s\" (or replaced by it).",
				  problems->len ? "\n" : "",
				  recorded->lines[last_removed].name, computed->lines[last_added].name);
		ok = false;
	}
	else
	{
		for (k = 0; k < computed->n; k++)
			if (find_line(&rix, computed->lines[k].name) < 0)
			{
				sb_printf(problems, "%sFile \"%s\" was added.", problems->len ? "\n" : "",
						  computed->lines[k].name);
				ok = false;
			}
		for (k = 0; k < recorded->n; k++)
			if (find_line(&cix, recorded->lines[k].name) < 0)
			{
				sb_printf(problems, "%sFile \"%s\" was removed.", problems->len ? "\n" : "",
						  recorded->lines[k].name);
				ok = false;
			}
	}

	/* files present in both: same relative order? */
	{
		int			a = 0,
					b = 0;

		while (a < computed->n && b < recorded->n)
		{
			if (find_line(&rix, computed->lines[a].name) < 0)
			{
				a++;
				continue;
			}
			if (find_line(&cix, recorded->lines[b].name) < 0)
			{
				b++;
				continue;
			}
			if (strcmp(computed->lines[a].name, recorded->lines[b].name) != 0)
			{
				sb_printf(problems, "%sFile \"%s\" is listed out of order in the sum file.",
						  problems->len ? "\n" : "", recorded->lines[b].name);
				ok = false;
				break;
			}
			a++;
			b++;
		}
	}

	/*
	 * Contents: a line hash covers every file up to it, so only the first
	 * difference can be attributed to a file, and only while everything
	 * before it matches.
	 */
	for (k = 0; k < computed->n && k < recorded->n; k++)
	{
		if (strcmp(computed->lines[k].name, recorded->lines[k].name) != 0)
			break;
		if (strcmp(computed->lines[k].hash, recorded->lines[k].hash) != 0)
		{
			sb_printf(problems, "%sFile \"%s\" was edited.", problems->len ? "\n" : "",
					  computed->lines[k].name);
			ok = false;
			break;
		}
	}
	if (ok && (computed->n != recorded->n || strcmp(computed->header, recorded->header) != 0))
	{
		/* cannot happen when every line matched; keep the check honest */
		sb_puts(problems, "The sum file does not match the directory.");
		ok = false;
	}
	free(cix.order);
	free(rix.order);
	return ok;
}

int
sum_verify_dir(const char *dirpath, const DirEntry *entries, int n, char **used)
{
	char	   *path = path_join(dirpath, SUM_FILE_NAME);
	char	   *data = NULL,
			   *err = NULL;
	size_t		len;
	SumFile		computed,
				recorded;
	StrBuf		problems;

	*used = NULL;
	if (!path_exists(path))
	{
		free(path);
		path = path_join(dirpath, ATLAS_SUM_FILE_NAME);
		if (!path_exists(path))
		{
			free(path);
			if (n == 0)
				return 0;
			log_error("migration directory \"%s\" has no sum file", dirpath);
			log_error_detail("The sum file (%s) records the migration files so that changes to them are noticed.",
							 SUM_FILE_NAME);
			log_error_hint("Run \"migrate hash\" to create it once the files are as they should be.");
			return -1;
		}
	}
	if (read_file(path, &data, &len, &err) != 0)
	{
		log_error("could not read sum file \"%s\": %s", path, err);
		free(err);
		free(path);
		return -1;
	}
	if (sum_parse(data, len, &recorded, &err) != 0)
	{
		log_error("sum file \"%s\" is malformed: %s", path, err);
		log_error_hint("If the migration files are as they should be, run \"migrate hash\" to write the sum file again.");
		free(err);
		free(data);
		free(path);
		return -1;
	}
	free(data);
	sum_compute(entries, n, &computed);
	sb_init(&problems);
	if (!sum_compare(&computed, &recorded, &problems))
	{
		log_error("migration directory \"%s\" does not match its sum file \"%s\"", dirpath, path);
		log_error_detail("%s", problems.data);
		log_error_hint("If the change is intended, run \"migrate hash\" to update the sum file.");
		sb_free(&problems);
		sum_free(&computed);
		sum_free(&recorded);
		free(path);
		return -1;
	}
	sb_free(&problems);
	sum_free(&computed);
	sum_free(&recorded);
	*used = path;
	return 0;
}

int
sum_write_dir(const char *dirpath, const DirEntry *entries, int n)
{
	SumFile		s;
	char	   *text,
			   *path,
			   *err = NULL;
	int			rc = 0;

	sum_compute(entries, n, &s);
	text = sum_format(&s);

	path = path_join(dirpath, SUM_FILE_NAME);
	if (write_file_atomic(path, text, strlen(text), &err) != 0)
	{
		log_error("could not write sum file \"%s\": %s", path, err);
		free(err);
		rc = -1;
	}
	else
		log_info("wrote \"%s\" (%d files)", path, n);
	free(path);
	free(text);
	sum_free(&s);
	return rc;
}
