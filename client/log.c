/*-------------------------------------------------------------------------
 *
 * log.c
 *	  Messages to stderr in the manner of PostgreSQL's client programs.
 *
 *		migrate: error: could not open file "x.sql": No such file or directory
 *		migrate: detail: ...
 *		migrate: hint: ...
 *
 * Errors, warnings, details and hints are always shown; log_info needs -v
 * and log_debug -vv.  Data (plans, status, JSON) goes to stdout through
 * the Reporter, never through these calls.
 *
 * The verbosity and the stream are process-wide settings, the only global
 * state of the core.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/log.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>

#include "core.h"

static int	verbosity = 0;
static FILE *log_stream = NULL;
static int	errors_logged = 0;
static char last_error[1024];

void
log_set_verbosity(int level)
{
	verbosity = level;
}

int
log_get_verbosity(void)
{
	return verbosity;
}

void
log_set_stream(FILE *f)
{
	log_stream = f;
}

int
log_error_count(void)
{
	return errors_logged;
}

static void log_emit(const char *prefix, const char *fmt, va_list ap)
			__attribute__((format(printf, 2, 0)));

static void
log_emit(const char *prefix, const char *fmt, va_list ap)
{
	FILE	   *f = log_stream ? log_stream : stderr;

	fflush(stdout);
	fprintf(f, "migrate: %s", prefix);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	fflush(f);
}

const char *
log_last_error(void)
{
	return errors_logged ? last_error : NULL;
}

void
log_error(const char *fmt,...)
{
	va_list		ap;

	errors_logged++;
	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	va_start(ap, fmt);
	log_emit("error: ", fmt, ap);
	va_end(ap);
}

void
log_error_detail(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	log_emit("detail: ", fmt, ap);
	va_end(ap);
}

void
log_error_hint(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	log_emit("hint: ", fmt, ap);
	va_end(ap);
}

void
log_warning(const char *fmt,...)
{
	va_list		ap;

	va_start(ap, fmt);
	log_emit("warning: ", fmt, ap);
	va_end(ap);
}

/* a line without any prefix (the "Try ... --help" line) */
void
log_raw(const char *fmt,...)
{
	va_list		ap;
	FILE	   *f = log_stream ? log_stream : stderr;

	fflush(stdout);
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fflush(f);
}

void
log_info(const char *fmt,...)
{
	va_list		ap;

	if (verbosity < 1)
		return;
	va_start(ap, fmt);
	log_emit("", fmt, ap);
	va_end(ap);
}

void
log_echo(const Driver *d, const char *sql)
{
	FILE	   *f = log_stream ? log_stream : stderr;

	if (d == NULL || d->opts == NULL || !d->opts->echo || sql == NULL)
		return;
	fflush(stdout);
	fprintf(f, "%s\n", sql);
	fflush(f);
}

void
log_debug(const char *fmt,...)
{
	va_list		ap;

	if (verbosity < 2)
		return;
	va_start(ap, fmt);
	log_emit("debug: ", fmt, ap);
	va_end(ap);
}
