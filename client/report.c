/*-------------------------------------------------------------------------
 *
 * report.c
 *	  The Reporter: what apply, down and status print on stdout, as text
 *	  for people or as one JSON document for programs (--format json).
 *
 * Text output streams as the work happens, in the shapes of the reference
 * tool:
 *
 *		Migrating to version 3 from 1 (2 migrations in total):
 *
 *		  -- migrating version 2
 *		    -> CREATE TABLE t (a int);
 *		  -- ok (1.23ms)
 *		  ...
 *		  -------------------------
 *		  -- 5.1ms
 *		  -- 2 migrations
 *		  -- 3 sql statements
 *
 * JSON output collects the same facts and prints them once, at the end,
 * so that stdout always holds exactly one document.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/report.c
 *
 *-------------------------------------------------------------------------
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

typedef struct StrList
{
	char	  **items;
	int			n;
	int			cap;
} StrList;

typedef enum GroupState
{
	GROUP_OPEN,
	GROUP_OK,
	GROUP_ERROR,
	GROUP_CHECK_FAILED
} GroupState;

typedef struct Group
{
	char	   *title;
	StrList		stmts;
	StrList		checks;
	StrList		notes;
	StrList		cleanup;		/* statements run before the file's own */
	GroupState	state;
	bool		planned;		/* listed but not run (apply dry run) */
	int			versions;		/* migrations it stands for; -1: one */
	int64_t		elapsed_ns;
	char	   *error;
	char	   *error_stmt;
} Group;

struct Reporter
{
	FILE	   *out;
	bool		json;
	bool		dry_run;
	ReportKind	kind;
	bool		header;
	char	   *current;
	char	   *target;
	int			total;
	char	   *message;
	char	   *error;
	Group	   *groups;
	int			ngroups;
	int			cap;
	StrList		keys;
	StrList		values;
	StrBuf		extra;			/* preformatted JSON members (status) */
	bool		finished;
};

static void
strlist_add(StrList *l, const char *s)
{
	if (l->n == l->cap)
	{
		l->cap = l->cap ? l->cap * 2 : 8;
		l->items = xrealloc(l->items, sizeof(char *) * l->cap);
	}
	l->items[l->n++] = s ? xstrdup(s) : NULL;
}

static void
strlist_free(StrList *l)
{
	int			k;

	for (k = 0; k < l->n; k++)
		free(l->items[k]);
	free(l->items);
	memset(l, 0, sizeof(*l));
}

Reporter *
reporter_new(FILE *out, bool json, bool dry_run, ReportKind kind)
{
	Reporter   *r = xcalloc(1, sizeof(Reporter));

	r->out = out;
	r->json = json;
	r->dry_run = dry_run;
	r->kind = kind;
	sb_init(&r->extra);
	return r;
}

void
reporter_free(Reporter *r)
{
	int			k;

	if (r == NULL)
		return;
	for (k = 0; k < r->ngroups; k++)
	{
		Group	   *g = &r->groups[k];

		free(g->title);
		strlist_free(&g->stmts);
		strlist_free(&g->checks);
		strlist_free(&g->notes);
		strlist_free(&g->cleanup);
		free(g->error);
		free(g->error_stmt);
	}
	free(r->groups);
	free(r->current);
	free(r->target);
	free(r->message);
	free(r->error);
	strlist_free(&r->keys);
	strlist_free(&r->values);
	sb_free(&r->extra);
	free(r);
}

void
reporter_set(Reporter *r, const char *key, const char *value)
{
	strlist_add(&r->keys, key);
	strlist_add(&r->values, value);
}

void
reporter_set_error(Reporter *r, const char *error)
{
	if (r->error == NULL && error)
		r->error = xstrdup(error);
}

bool
reporter_has_header(const Reporter *r)
{
	return r->header;
}

int
reporter_groups(const Reporter *r)
{
	return r->ngroups;
}

int
reporter_failures(const Reporter *r)
{
	int			k,
				n = 0;

	for (k = 0; k < r->ngroups; k++)
		if (r->groups[k].state == GROUP_ERROR || r->groups[k].state == GROUP_CHECK_FAILED)
			n++;
	return n;
}

/* ---- durations --------------------------------------------------------- */

/* integer part and `digits` fractional digits of v / unit, zeros trimmed */
static int
fmt_frac(char *buf, size_t size, uint64_t v, uint64_t unit, int digits, const char *suffix)
{
	char		frac[16];
	uint64_t	whole = v / unit,
				rest = v % unit;
	int			k;

	if (rest == 0)
		return snprintf(buf, size, "%" PRIu64 "%s", whole, suffix);
	snprintf(frac, sizeof(frac), "%0*" PRIu64, digits, rest);
	for (k = digits - 1; k > 0 && frac[k] == '0'; k--)
		frac[k] = '\0';
	return snprintf(buf, size, "%" PRIu64 ".%s%s", whole, frac, suffix);
}

void
format_duration(int64_t ns, char *buf, size_t size)
{
	uint64_t	v;
	const char *sign = "";
	char		tmp[64];

	if (ns == 0)
	{
		snprintf(buf, size, "0s");
		return;
	}
	if (ns < 0)
	{
		sign = "-";
		v = (uint64_t) (-(ns + 1)) + 1;
	}
	else
		v = (uint64_t) ns;
	if (v < 1000)
		snprintf(tmp, sizeof(tmp), "%" PRIu64 "ns", v);
	else if (v < 1000000)
		fmt_frac(tmp, sizeof(tmp), v, 1000, 3, "µs");
	else if (v < 1000000000)
		fmt_frac(tmp, sizeof(tmp), v, 1000000, 6, "ms");
	else
	{
		uint64_t	secs = v / 1000000000,
					h = secs / 3600,
					m = (secs % 3600) / 60;
		char		s[32];
		uint64_t	sub = v % 60000000000ULL;	/* nanoseconds within the
												 * minute */

		fmt_frac(s, sizeof(s), sub, 1000000000, 9, "s");
		if (h > 0)
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "h%" PRIu64 "m%s", h, m, s);
		else if (m > 0)
			snprintf(tmp, sizeof(tmp), "%" PRIu64 "m%s", m, s);
		else
			snprintf(tmp, sizeof(tmp), "%s", s);
	}
	snprintf(buf, size, "%s%s", sign, tmp);
}

/* ---- JSON ------------------------------------------------------------- */

void
json_string(StrBuf *sb, const char *s)
{
	const unsigned char *p;

	if (s == NULL)
	{
		sb_puts(sb, "null");
		return;
	}
	sb_putc(sb, '"');
	for (p = (const unsigned char *) s; *p; p++)
	{
		switch (*p)
		{
			case '"':
				sb_puts(sb, "\\\"");
				break;
			case '\\':
				sb_puts(sb, "\\\\");
				break;
			case '\n':
				sb_puts(sb, "\\n");
				break;
			case '\r':
				sb_puts(sb, "\\r");
				break;
			case '\t':
				sb_puts(sb, "\\t");
				break;
			default:
				if (*p < 0x20 || *p == 0x7f)
					sb_printf(sb, "\\u%04x", *p);
				else
					sb_putc(sb, (char) *p);
		}
	}
	sb_putc(sb, '"');
}

static void
json_strlist(StrBuf *sb, const StrList *l)
{
	int			k;

	sb_putc(sb, '[');
	for (k = 0; k < l->n; k++)
	{
		if (k)
			sb_putc(sb, ',');
		json_string(sb, l->items[k]);
	}
	sb_putc(sb, ']');
}

/* ---- text helpers ------------------------------------------------------ */

/* "    -> stmt", continuation lines indented to line up */
static void
print_sql(Reporter *r, const char *arrow, const char *sql)
{
	const char *p = sql;

	fprintf(r->out, "    %s ", arrow);
	for (; *p; p++)
	{
		if (*p == '\r' && p[1] == '\n')
			continue;
		fputc(*p, r->out);
		if (*p == '\n')
			fputs("       ", r->out);
	}
	fputc('\n', r->out);
}

static Group *
current_group(Reporter *r)
{
	if (r->ngroups == 0 || r->groups[r->ngroups - 1].state != GROUP_OPEN)
		return NULL;
	return &r->groups[r->ngroups - 1];
}

/* a group for calls made outside any (a driver's note, say) */
static Group *
ensure_group(Reporter *r)
{
	Group	   *g = current_group(r);

	if (g == NULL)
	{
		report_group(r, "");
		g = current_group(r);
	}
	return g;
}

static const char *
plural(int n)
{
	return n == 1 ? "" : "s";
}

/* ---- the calls drivers make ------------------------------------------- */

static void
header_common(Reporter *r, const char *current, const char *target, int n)
{
	r->header = true;
	free(r->current);
	free(r->target);
	r->current = current ? xstrdup(current) : NULL;
	r->target = target ? xstrdup(target) : NULL;
	r->total = n;
}

void
report_apply_header(Reporter *r, const char *current, const char *target, int n)
{
	header_common(r, current, target, n);
	if (r->json)
		return;
	fprintf(r->out, "Migrating to version %s", target ? target : "(none)");
	if (current && current[0])
		fprintf(r->out, " from %s", current);
	fprintf(r->out, " (%d migrations in total):\n", n);
}

void
report_down_header(Reporter *r, const char *current, const char *target, int n)
{
	header_common(r, current, target, n);
	if (r->json)
		return;
	fprintf(r->out, "Migrating down from version %s", current ? current : "(none)");
	if (target && target[0])
		fprintf(r->out, " to %s", target);
	else
		fprintf(r->out, " to the state before the first migration");
	fprintf(r->out, " (%d migration%s in total):\n", n, plural(n));
}

void
report_group(Reporter *r, const char *title)
{
	Group	   *g;

	/* a group left open by its caller ends here */
	if (current_group(r))
		current_group(r)->state = GROUP_OK;
	if (r->ngroups == r->cap)
	{
		r->cap = r->cap ? r->cap * 2 : 16;
		r->groups = xrealloc(r->groups, sizeof(Group) * r->cap);
	}
	g = &r->groups[r->ngroups++];
	memset(g, 0, sizeof(*g));
	g->versions = -1;
	g->title = xstrdup(title ? title : "");
	g->state = GROUP_OPEN;
	if (!r->json && g->title[0])
		fprintf(r->out, "\n  -- %s\n", g->title);
}

void
report_group_versions(Reporter *r, int n)
{
	Group	   *g = ensure_group(r);

	g->versions = n;
}

void
report_check(Reporter *r, const char *sql)
{
	Group	   *g = ensure_group(r);

	strlist_add(&g->checks, sql);
	if (!r->json)
		print_sql(r, "->", sql);
}

void
report_stmt(Reporter *r, const char *sql)
{
	Group	   *g = ensure_group(r);

	strlist_add(&g->stmts, sql);
	if (!r->json)
		print_sql(r, "->", sql);
}

void
report_note(Reporter *r, const char *text)
{
	Group	   *g = ensure_group(r);

	strlist_add(&g->notes, text);
	if (!r->json)
		fprintf(r->out, "    -- note: %s\n", text);
}

void
report_cleanup(Reporter *r, const char *what, const char *sql)
{
	Group	   *g = ensure_group(r);

	strlist_add(&g->notes, what);
	strlist_add(&g->cleanup, sql);
	if (r->json)
		return;
	fprintf(r->out, "    -- %s\n", what);
	print_sql(r, "->", sql);
}

void
report_group_ok(Reporter *r, int64_t elapsed_ns)
{
	Group	   *g = current_group(r);
	char		d[64];

	if (g == NULL)
		return;
	g->state = GROUP_OK;
	if (elapsed_ns < 0)
	{
		/* the core's dry run: nothing of this group ran */
		g->planned = true;
		return;
	}
	g->elapsed_ns = elapsed_ns;
	if (r->json)
		return;
	/* in a dry run only checks really ran */
	if (r->dry_run && g->checks.n == 0)
		return;
	format_duration(elapsed_ns, d, sizeof(d));
	fprintf(r->out, "  -- ok (%s)\n", d);
}

static void
print_error(Reporter *r, const char *label, const char *error)
{
	const char *p;

	fprintf(r->out, "  -- %s: ", label);
	for (p = error ? error : "(no message)"; *p; p++)
	{
		fputc(*p, r->out);
		if (*p == '\n' && p[1])
			fputs("     ", r->out);
	}
	if (p == error || (p > error && p[-1] != '\n'))
		fputc('\n', r->out);
}

void
report_group_error(Reporter *r, const char *stmt, const char *error)
{
	Group	   *g = ensure_group(r);

	g->state = GROUP_ERROR;
	g->error = error ? xstrdup(error) : NULL;
	g->error_stmt = stmt ? xstrdup(stmt) : NULL;
	if (r->json)
		return;
	/* the failing statement was reported; show it again if it was not */
	if (stmt && (g->stmts.n == 0 || strcmp(g->stmts.items[g->stmts.n - 1], stmt) != 0) &&
		(g->cleanup.n == 0 || strcmp(g->cleanup.items[g->cleanup.n - 1], stmt) != 0))
	{
		strlist_add(&g->stmts, stmt);
		print_sql(r, "->", stmt);
	}
	print_error(r, "error", error);
}

void
report_check_failed(Reporter *r, const char *sql, const char *error)
{
	Group	   *g = ensure_group(r);

	g->state = GROUP_CHECK_FAILED;
	g->error = error ? xstrdup(error) : NULL;
	g->error_stmt = sql ? xstrdup(sql) : NULL;
	if (r->json)
		return;
	if (sql && (g->checks.n == 0 || strcmp(g->checks.items[g->checks.n - 1], sql) != 0))
	{
		strlist_add(&g->checks, sql);
		print_sql(r, "->", sql);
	}
	print_error(r, "check failed", error);
}

/* ---- the core's own calls ---------------------------------------------- */

void
report_nothing(Reporter *r, const char *message)
{
	free(r->message);
	r->message = xstrdup(message);
	if (!r->json)
		fprintf(r->out, "%s\n", message);
}

typedef struct Counts
{
	int			migrations;
	int			migrations_failed;
	int			stmts;
	int			stmts_failed;
	int			checks;
	int			checks_failed;
} Counts;

static bool
group_is_check(const Group *g)
{
	return strncmp(g->title, "checks", 6) == 0 || (g->checks.n > 0 && g->stmts.n == 0);
}

static void
count(const Reporter *r, Counts *c)
{
	int			k;

	memset(c, 0, sizeof(*c));
	for (k = 0; k < r->ngroups; k++)
	{
		const Group *g = &r->groups[k];

		c->stmts += g->stmts.n;
		c->checks += g->checks.n;
		if (g->state == GROUP_ERROR)
			c->stmts_failed++;
		if (g->state == GROUP_CHECK_FAILED)
			c->checks_failed++;
		if (!g->title[0])
			continue;
		if (group_is_check(g))
		{
			/* a version whose checks failed did not run: a failed migration */
			if (g->state == GROUP_CHECK_FAILED)
			{
				c->migrations += g->versions < 0 ? 1 : g->versions;
				c->migrations_failed += g->versions < 0 ? 1 : g->versions;
			}
		}
		else
		{
			c->migrations += g->versions < 0 ? 1 : g->versions;
			if (g->state == GROUP_ERROR)
				c->migrations_failed += g->versions < 0 ? 1 : g->versions;
		}
	}
}

static void
footer_line(Reporter *r, int n, int failed, const char *what)
{
	if (failed == 0)
		fprintf(r->out, "  -- %d %s%s\n", n, what, plural(n));
	else if (n - failed > 0)
		fprintf(r->out, "  -- %d %s%s ok, %d with errors\n", n - failed, what,
				plural(n - failed), failed);
	else
		fprintf(r->out, "  -- %d %s%s with errors\n", failed, what, plural(failed));
}

static const char *
group_state_name(const Reporter *r, const Group *g)
{
	switch (g->state)
	{
		case GROUP_OPEN:
		case GROUP_OK:
			return g->planned || (r->dry_run && g->checks.n == 0) ? "planned" : "ok";
		case GROUP_ERROR:
			return "error";
		case GROUP_CHECK_FAILED:
			return "check_failed";
	}
	return "ok";
}

static const char *
kind_name(ReportKind k)
{
	switch (k)
	{
		case REPORT_APPLY:
			return "apply";
		case REPORT_DOWN:
			return "down";
		case REPORT_STATUS:
			return "status";
		case REPORT_OTHER:
			break;
	}
	return NULL;
}

static void
print_json(Reporter *r, int64_t total_ns, const Counts *c)
{
	StrBuf		sb;
	int			k;
	char		d[64];

	sb_init(&sb);
	sb_putc(&sb, '{');
	for (k = 0; k < r->keys.n; k++)
	{
		if (k)
			sb_putc(&sb, ',');
		json_string(&sb, r->keys.items[k]);
		sb_putc(&sb, ':');
		json_string(&sb, r->values.items[k]);
	}
	if (r->kind == REPORT_APPLY || r->kind == REPORT_DOWN)
	{
		sb_puts(&sb, r->keys.n ? "," : "");
		sb_puts(&sb, "\"current\":");
		json_string(&sb, r->current);
		sb_puts(&sb, ",\"target\":");
		json_string(&sb, r->target);
		sb_printf(&sb, ",\"total\":%d,\"dry_run\":%s", r->total, r->dry_run ? "true" : "false");
		sb_puts(&sb, ",\"message\":");
		json_string(&sb, r->message);
		sb_puts(&sb, ",\"groups\":[");
		for (k = 0; k < r->ngroups; k++)
		{
			const Group *g = &r->groups[k];
			const char *v = strrchr(g->title, ' ');

			if (k)
				sb_putc(&sb, ',');
			sb_puts(&sb, "{\"title\":");
			json_string(&sb, g->title);
			sb_puts(&sb, ",\"version\":");
			json_string(&sb, v ? v + 1 : NULL);
			sb_puts(&sb, ",\"status\":");
			json_string(&sb, group_state_name(r, g));
			format_duration(g->elapsed_ns, d, sizeof(d));
			sb_printf(&sb, ",\"elapsed_ns\":%" PRId64 ",\"elapsed\":", g->elapsed_ns);
			json_string(&sb, d);
			sb_puts(&sb, ",\"checks\":");
			json_strlist(&sb, &g->checks);
			sb_puts(&sb, ",\"statements\":");
			json_strlist(&sb, &g->stmts);
			sb_puts(&sb, ",\"notes\":");
			json_strlist(&sb, &g->notes);
			sb_puts(&sb, ",\"cleanup\":");
			json_strlist(&sb, &g->cleanup);
			sb_puts(&sb, ",\"error\":");
			json_string(&sb, g->error);
			sb_puts(&sb, ",\"error_statement\":");
			json_string(&sb, g->error_stmt);
			sb_putc(&sb, '}');
		}
		sb_printf(&sb, "],\"counts\":{\"migrations\":%d,\"migrations_failed\":%d,"
				  "\"statements\":%d,\"statements_failed\":%d,"
				  "\"checks\":%d,\"checks_failed\":%d}",
				  c->migrations, c->migrations_failed, c->stmts, c->stmts_failed,
				  c->checks, c->checks_failed);
		format_duration(total_ns, d, sizeof(d));
		sb_printf(&sb, ",\"elapsed_ns\":%" PRId64 ",\"elapsed\":", total_ns);
		json_string(&sb, d);
	}
	if (r->extra.len)
	{
		if (sb.len > 1)
			sb_putc(&sb, ',');
		sb_put(&sb, r->extra.data, r->extra.len);
	}
	if (sb.len > 1)
		sb_putc(&sb, ',');
	sb_puts(&sb, "\"error\":");
	json_string(&sb, r->error);
	sb_puts(&sb, "}\n");
	fputs(sb.data, r->out);
	sb_free(&sb);
}

void
report_finish(Reporter *r, int64_t total_ns)
{
	Counts		c;
	char		d[64];

	if (r->finished)
		return;
	r->finished = true;
	if (current_group(r))
		current_group(r)->state = GROUP_OK;
	count(r, &c);
	if (r->json)
	{
		if (kind_name(r->kind) && r->keys.n == 0)
			reporter_set(r, "command", kind_name(r->kind));
		print_json(r, total_ns, &c);
		fflush(r->out);
		return;
	}
	if (!r->header || (r->kind != REPORT_APPLY && r->kind != REPORT_DOWN))
	{
		fflush(r->out);
		return;
	}
	format_duration(total_ns, d, sizeof(d));
	fprintf(r->out, "\n  -------------------------\n");
	fprintf(r->out, "  -- %s\n", d);
	footer_line(r, c.migrations, c.migrations_failed, "migration");
	if (c.checks > 0)
		footer_line(r, c.checks, c.checks_failed, "check");
	footer_line(r, c.stmts, c.stmts_failed, "sql statement");
	if (r->dry_run)
		fprintf(r->out, "  -- dry run: nothing was changed\n");
	fflush(r->out);
}

/* ---- status ------------------------------------------------------------ */

static const char *
leftover_action_name(LeftoverAction a)
{
	return a == LEFTOVER_DROP ? "drop" : a == LEFTOVER_REFUSE ? "refuse" : "keep";
}

static void
leftovers_json(StrBuf *sb, const RevisionList *revs)
{
	int			k,
				j,
				n = 0;

	sb_puts(sb, ",\"leftovers\":[");
	for (k = 0; revs && k < revs->n; k++)
		for (j = 0; j < revs->items[k].nleftovers; j++)
		{
			const Leftover *l = &revs->items[k].leftovers[j];

			if (n++)
				sb_putc(sb, ',');
			sb_puts(sb, "{\"version\":");
			json_string(sb, revs->items[k].version);
			sb_printf(sb, ",\"statement\":%d,\"action\":", revs->items[k].applied + 1);
			json_string(sb, leftover_action_name(l->action));
			sb_puts(sb, ",\"message\":");
			json_string(sb, l->message);
			sb_puts(sb, ",\"detail\":");
			json_string(sb, l->detail);
			sb_puts(sb, ",\"hint\":");
			json_string(sb, l->hint);
			sb_puts(sb, ",\"drop\":");
			json_string(sb, l->drop);
			sb_putc(sb, '}');
		}
	sb_putc(sb, ']');
}

/*
 * What an interrupted statement left behind, and what the next apply does
 * with it (the text shape of status).
 */
static void
print_leftovers(FILE *o, const RevisionList *revs)
{
	int			k,
				j;

	for (k = 0; revs && k < revs->n; k++)
		for (j = 0; j < revs->items[k].nleftovers; j++)
		{
			const Leftover *l = &revs->items[k].leftovers[j];
			const char *indent = "                      ";

			fprintf(o, "  -- Leftover:        %s\n", l->message);
			if (l->detail)
				fprintf(o, "%s%s\n", indent, l->detail);
			if (l->action == LEFTOVER_DROP)
				fprintf(o, "%sThe next apply drops it, then runs the statement again.\n", indent);
			else if (l->action == LEFTOVER_REFUSE)
				fprintf(o, "%sThe next apply stops here.%s%s\n", indent, l->hint ? " " : "",
						l->hint ? l->hint : "");
			else
				fprintf(o, "%sThe next apply leaves it in place.%s%s\n", indent,
						l->hint ? " " : "", l->hint ? l->hint : "");
		}
}

static void
status_json(Reporter *r, const StatusView *v)
{
	StrBuf	   *sb = &r->extra;
	int			k;

	sb_puts(sb, "\"status\":");
	json_string(sb, v->pending > 0 ? "PENDING" : "OK");
	sb_puts(sb, ",\"current\":");
	json_string(sb, v->current);
	sb_puts(sb, ",\"next\":");
	json_string(sb, v->next);
	sb_printf(sb, ",\"executed\":%d,\"pending_count\":%d,\"out_of_order\":%d",
			  v->executed, v->pending, v->out_of_order);
	sb_puts(sb, ",\"pending\":[");
	for (k = 0; v->plan && k < v->plan->n; k++)
	{
		const PendingItem *it = &v->plan->items[k];

		if (k)
			sb_putc(sb, ',');
		sb_puts(sb, "{\"version\":");
		json_string(sb, it->file->version);
		sb_puts(sb, ",\"name\":");
		json_string(sb, it->file->name);
		sb_puts(sb, ",\"description\":");
		json_string(sb, it->file->description);
		sb_printf(sb, ",\"statements\":%d,\"start\":%d,\"out_of_order\":%s}",
				  it->file->stmts.n, it->start, it->out_of_order ? "true" : "false");
	}
	sb_puts(sb, "],\"partial\":");
	if (v->last_partial && v->plan && v->plan->partial)
	{
		const Revision *p = v->plan->partial;

		sb_puts(sb, "{\"version\":");
		json_string(sb, p->version);
		sb_printf(sb, ",\"applied\":%d,\"total\":%d}", p->applied, p->total);
	}
	else
		sb_puts(sb, "null");
	sb_puts(sb, ",\"last_error\":");
	if (v->error)
	{
		sb_puts(sb, "{\"error\":");
		json_string(sb, v->error);
		sb_puts(sb, ",\"statement\":");
		json_string(sb, v->error_stmt);
		sb_putc(sb, '}');
	}
	else
		sb_puts(sb, "null");
	leftovers_json(sb, v->revs);
	sb_puts(sb, ",\"problem\":");
	json_string(sb, v->problem);
	sb_puts(sb, ",\"revisions\":[");
	for (k = 0; v->revs && k < v->revs->n; k++)
	{
		const Revision *rv = &v->revs->items[k];

		if (k)
			sb_putc(sb, ',');
		sb_puts(sb, "{\"version\":");
		json_string(sb, rv->version);
		sb_puts(sb, ",\"description\":");
		json_string(sb, rv->description);
		sb_printf(sb, ",\"type\":%d,\"applied\":%d,\"total\":%d,"
				  "\"executed_at_us\":%" PRId64 ",\"execution_time_ns\":%" PRId64,
				  rv->type, rv->applied, rv->total, rv->executed_at_us,
				  rv->execution_time_ns);
		sb_puts(sb, ",\"error\":");
		json_string(sb, rv->error);
		sb_puts(sb, ",\"error_statement\":");
		json_string(sb, rv->error_stmt);
		sb_puts(sb, ",\"hash\":");
		json_string(sb, rv->hash);
		sb_putc(sb, '}');
	}
	sb_putc(sb, ']');
}

/* one line, newlines folded to spaces, as the reference tool shows SQL */
static void
print_folded(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc(*s == '\n' || *s == '\r' ? ' ' : *s, out);
	fputc('\n', out);
}

void
report_status(Reporter *r, const StatusView *v)
{
	FILE	   *o = r->out;
	int			k;

	if (r->json)
	{
		status_json(r, v);
		return;
	}
	fprintf(o, "Migration Status: %s\n", v->pending > 0 ? "PENDING" : "OK");
	fprintf(o, "  -- Current Version: ");
	if (v->current == NULL)
		fprintf(o, "No migration applied yet\n");
	else if (v->current_applied > 0)
		fprintf(o, "%s (%d statement%s applied)\n", v->current, v->current_applied,
				plural(v->current_applied));
	else
		fprintf(o, "%s\n", v->current);
	fprintf(o, "  -- Next Version:    ");
	if (v->next == NULL)
		fprintf(o, "%s\n", v->pending > 0 ? "UNKNOWN" : "Already at latest version");
	else if (v->next_left > 0)
		fprintf(o, "%s (%d statement%s left)\n", v->next, v->next_left, plural(v->next_left));
	else
		fprintf(o, "%s\n", v->next);
	fprintf(o, "  -- Executed Files:  %d%s\n", v->executed,
			v->last_partial ? " (last one partially)" : "");
	if (v->out_of_order > 0)
		fprintf(o, "  -- Pending Files:   %d (%d out of order)\n", v->pending, v->out_of_order);
	else
		fprintf(o, "  -- Pending Files:   %d\n", v->pending);
	for (k = 0; v->plan && k < v->plan->n; k++)
		fprintf(o, "       %s%s\n", v->plan->items[k].file->name,
				v->plan->items[k].out_of_order ? " (out of order)" : "");
	print_leftovers(o, v->revs);
	if (v->problem)
		fprintf(o, "  -- Problem:         %s\n", v->problem);
	if (v->error)
	{
		fprintf(o, "\nLast migration attempt had errors:\n");
		if (v->error_stmt)
		{
			fprintf(o, "  -- SQL:   ");
			print_folded(o, v->error_stmt);
		}
		fprintf(o, "  -- ERROR: ");
		print_folded(o, v->error);
	}
}
