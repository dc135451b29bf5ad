/*-------------------------------------------------------------------------
 *
 * options.c
 *	  The migrate command line: commands, options, help, durations.
 *
 * As in PostgreSQL's client programs, --help/-? and --version/-V are
 * looked at first, then getopt_long parses the rest (options may come
 * before or after the command).  A bad option prints
 *		Try "migrate --help" for more information.
 * and exits with 1.  One table (opt_defs) drives the parser, the check
 * that an option suits the command, and the help texts, so the help
 * cannot drift from what is accepted.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/options.c
 *
 *-------------------------------------------------------------------------
 */
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define C(cmd) (1u << (cmd))
#define DB_CMDS (C(CMD_APPLY) | C(CMD_DOWN) | C(CMD_STATUS) | C(CMD_SET) | C(CMD_TAG))
#define ALL_CMDS (~0u)

enum
{
	OPT_URL = 256,
	OPT_DIR,
	OPT_REVISIONS_SCHEMA,
	OPT_DRY_RUN,
	OPT_TX_MODE,
	OPT_EXEC_ORDER,
	OPT_BASELINE,
	OPT_ALLOW_DIRTY,
	OPT_LOCK_TIMEOUT,
	OPT_TO_VERSION,
	OPT_TO_TAG,
	OPT_ALLOW_LOSS,
	OPT_ACCEPT_DRIFT,
	OPT_PLAN_HASH,
	OPT_FORMAT,
	OPT_ECHO,
	OPT_HELP,
	OPT_VERSION
};

typedef struct OptDef
{
	const char *name;
	int			has_arg;
	int			val;
	unsigned	cmds;			/* commands that accept it */
	const char *arg;			/* argument name for the help */
	const char *help;
} OptDef;

static const OptDef opt_defs[] = {
	{"url", required_argument, OPT_URL, DB_CMDS | C(CMD_VALIDATE), "URL",
	"database URL: postgres://, postgresql://, mysql://, mariadb:// or sqlite://"},
	{"dbname", required_argument, 'd', DB_CMDS, "CONNSTR",
	"PostgreSQL database name or connection string (as psql -d)"},
	{"host", required_argument, 'h', DB_CMDS, "HOSTNAME",
	"PostgreSQL server host or socket directory"},
	{"port", required_argument, 'p', DB_CMDS, "PORT", "PostgreSQL server port"},
	{"username", required_argument, 'U', DB_CMDS, "USERNAME", "PostgreSQL user name"},
	{"no-password", no_argument, 'w', DB_CMDS, NULL, "never prompt for a password"},
	{"password", no_argument, 'W', DB_CMDS, NULL,
	"prompt for a password before connecting"},
	{"dir", required_argument, OPT_DIR,
		C(CMD_APPLY) | C(CMD_DOWN) | C(CMD_STATUS) | C(CMD_HASH) | C(CMD_VALIDATE) | C(CMD_SET),
	"DIR", "migration directory (default \"migrations\"); also file://DIR?format=FORMAT"},
	{"revisions-schema", required_argument, OPT_REVISIONS_SCHEMA, DB_CMDS, "SCHEMA",
	"MySQL: database for the bookkeeping tables (default: the URL's)"},
	{"dry-run", no_argument, OPT_DRY_RUN, C(CMD_APPLY) | C(CMD_DOWN), NULL,
	"print what would run and change nothing"},
	{"tx-mode", required_argument, OPT_TX_MODE, C(CMD_APPLY), "MODE",
	"transactions: file (one per file, default), all (one in total), none"},
	{"exec-order", required_argument, OPT_EXEC_ORDER, C(CMD_APPLY) | C(CMD_STATUS), "ORDER",
	"files added out of order: linear (refuse, default), linear-skip, non-linear"},
	{"baseline", required_argument, OPT_BASELINE, C(CMD_APPLY), "VERSION",
	"on a database without revisions, record VERSION as applied first"},
	{"allow-dirty", no_argument, OPT_ALLOW_DIRTY, C(CMD_APPLY), NULL,
	"apply to a database that has objects but no revisions"},
	{"lock-timeout", required_argument, OPT_LOCK_TIMEOUT, DB_CMDS, "DURATION",
	"wait this long for another migrate run to finish (default 10s)"},
	{"to-version", required_argument, OPT_TO_VERSION, C(CMD_APPLY) | C(CMD_DOWN), "VERSION",
	"apply: stop after VERSION; down: revert what was applied after VERSION"},
	{"to-tag", required_argument, OPT_TO_TAG, C(CMD_DOWN), "TAG",
	"revert to a git ref of the directory's repository or a tag made by \"migrate tag\""},
	{"allow-loss", required_argument, OPT_ALLOW_LOSS, C(CMD_DOWN), "OBJECT",
	"let the revert drop the data of OBJECT (repeatable)"},
	{"accept-drift", no_argument, OPT_ACCEPT_DRIFT, C(CMD_DOWN), NULL,
	"revert even if objects were changed outside migrations"},
	{"plan-hash", required_argument, OPT_PLAN_HASH, C(CMD_DOWN), "HASH",
	"refuse unless the revert plan still has this hash"},
	{"format", required_argument, OPT_FORMAT, ALL_CMDS, "FORMAT",
	"output format: text (default) or json"},
	{"echo", no_argument, OPT_ECHO, DB_CMDS, NULL, "show the SQL sent to the server"},
	{"verbose", no_argument, 'v', ALL_CMDS, NULL,
	"write progress notes to stderr (twice: debugging notes)"},
	{"version", no_argument, 'V', ALL_CMDS, NULL, "output version information, then exit"},
	{"help", no_argument, OPT_HELP, ALL_CMDS, NULL, "show help, then exit"},
	{NULL, 0, 0, 0, NULL, NULL}
};

typedef struct CmdDef
{
	Command		cmd;
	const char *name;
	const char *usage;
	const char *summary;
	const char *text;
} CmdDef;

static const CmdDef cmd_defs[] = {
	{CMD_APPLY, "apply", "apply [OPTION]... [N]",
		"apply pending migrations (all, or the next N)",
		"Applies the pending migration files of the directory in version order, each in\n"
		"its own transaction unless --tx-mode or a file's txmode directive says\n"
		"otherwise.  A file that failed part way (--tx-mode none) resumes at the\n"
		"statement that failed once the statements before it are verified unchanged.\n"
		"A database with objects but no revisions is refused unless --baseline or\n"
	"--allow-dirty is given.  N and --to-version limit how far to go.\n"},
	{CMD_DOWN, "down", "down [OPTION]... [N]",
		"revert the last N applied versions (default 1)",
		"Reverts applied versions without down files: the database computes the\n"
		"revert from what it recorded, checks that no data is lost (unless\n"
		"--allow-loss names it), and runs it.  N, --to-version and --to-tag choose the\n"
		"target; --dry-run shows the plan and runs only the checks.  The directory\n"
		"(--dir, or \"migrations\" when it exists) is read and verified for --to-tag\n"
	"with a git ref and for hand-written down sections, but it is not needed.\n"},
	{CMD_STATUS, "status", "status [OPTION]...",
		"show the current version, pending files and the last error",
		"Shows the current version, the next one, how many files were executed and\n"
		"are pending, a partially applied file, and the last error with the\n"
	"statement that failed.  Changes nothing.\n"},
	{CMD_HASH, "hash", "hash [OPTION]...",
		"write the directory's sum file (migrate.sum)",
		"Writes migrate.sum, which records every migration file so that any later\n"
		"edit, addition, removal or rename is noticed before anything runs.  Run it\n"
	"after adding or deliberately changing a file.\n"},
	{CMD_VALIDATE, "validate", "validate [OPTION]...",
		"check file names, the sum file, directives and statements",
		"Loads the directory as apply would: file names and versions, the sum file,\n"
		"directives, and statement splitting (in the dialect of --url, PostgreSQL\n"
	"when no URL is given).  Needs no database.\n"},
	{CMD_SET, "set", "set [OPTION]... VERSION",
		"record VERSION as the current version without running SQL",
		"Makes the revisions table say VERSION is the current version: versions\n"
		"above it are forgotten and files up to it are marked as applied by hand.\n"
	"Runs no migration.  Use it to settle a database fixed by hand.\n"},
	{CMD_TAG, "tag", "tag [OPTION]... NAME",
		"remember the current version under NAME",
		"Records the current version under NAME, so that \"migrate down --to-tag NAME\"\n"
	"can return to it.\n"},
	{CMD_VERSION, "version", "version", "show the client version", ""},
	{CMD_HELP, "help", "help [COMMAND]", "show this help, or a command's", ""},
	{CMD_NONE, NULL, NULL, NULL, NULL}
};

const char *
command_name(Command c)
{
	int			k;

	for (k = 0; cmd_defs[k].name; k++)
		if (cmd_defs[k].cmd == c)
			return cmd_defs[k].name;
	return "";
}

static const CmdDef *
find_command(const char *name)
{
	int			k;

	for (k = 0; cmd_defs[k].name; k++)
		if (strcmp(cmd_defs[k].name, name) == 0)
			return &cmd_defs[k];
	return NULL;
}

/* ---- durations --------------------------------------------------------- */

int
parse_duration_ms(const char *s, int *ms, char **err)
{
	const char *p = s;
	long double total_ns = 0;

	if (s == NULL || *s == '\0')
		goto bad;
	if (strcmp(s, "0") == 0)
	{
		*ms = 0;
		return 0;
	}
	while (*p)
	{
		long double v = 0,
					scale = 1,
					unit;
		bool		digits = false;

		while (isdigit((unsigned char) *p))
		{
			v = v * 10 + (*p++ - '0');
			digits = true;
		}
		if (*p == '.')
		{
			p++;
			while (isdigit((unsigned char) *p))
			{
				scale /= 10;
				v += (*p++ - '0') * scale;
				digits = true;
			}
		}
		if (!digits)
			goto bad;
		if (strncmp(p, "ns", 2) == 0)
			unit = 1, p += 2;
		else if (strncmp(p, "us", 2) == 0)
			unit = 1e3, p += 2;
		else if (strncmp(p, "µs", strlen("µs")) == 0)
			unit = 1e3, p += strlen("µs");
		else if (strncmp(p, "ms", 2) == 0)
			unit = 1e6, p += 2;
		else if (*p == 's')
			unit = 1e9, p++;
		else if (*p == 'm')
			unit = 60e9, p++;
		else if (*p == 'h')
			unit = 3600e9, p++;
		else
			goto bad;
		total_ns += v * unit;
		if (total_ns > (long double) INT_MAX * 1e6)
		{
			*err = xasprintf("duration \"%s\" is too long", s);
			return -1;
		}
	}
	{
		long double m = total_ns / 1e6;
		int			r = (int) m;

		if ((long double) r < m)
			r++;				/* round up: 500us waits 1ms, not 0 */
		*ms = r;
	}
	return 0;

bad:
	*err = xasprintf("invalid duration \"%s\"", s ? s : "");
	return -1;
}

/* ---- help -------------------------------------------------------------- */

/* text from column `indent` on, wrapped at 79 columns */
static void
print_wrapped(FILE *out, const char *text, int indent)
{
	const char *p = text;
	int			col = indent;

	while (*p)
	{
		size_t		w = strcspn(p, " ");

		if (col > indent && col + 1 + (int) w > 79)
		{
			fprintf(out, "\n%*s", indent, "");
			col = indent;
		}
		else if (col > indent)
		{
			fputc(' ', out);
			col++;
		}
		fwrite(p, 1, w, out);
		col += (int) w;
		p += w;
		while (*p == ' ')
			p++;
	}
	fputc('\n', out);
}

static void
print_option(FILE *out, const OptDef *o)
{
	char		left[64];
	int			sh = o->val < 256 && o->val != 'V' ? o->val : 0;

	if (o->val == OPT_HELP)
		snprintf(left, sizeof(left), "-?, --help");
	else if (o->val == 'V')
		snprintf(left, sizeof(left), "-V, --version");
	else if (sh && o->arg)
		snprintf(left, sizeof(left), "-%c, --%s=%s", sh, o->name, o->arg);
	else if (sh)
		snprintf(left, sizeof(left), "-%c, --%s", sh, o->name);
	else if (o->arg)
		snprintf(left, sizeof(left), "    --%s=%s", o->name, o->arg);
	else
		snprintf(left, sizeof(left), "    --%s", o->name);
	if (strlen(left) > 26)
		fprintf(out, "  %s\n  %-26s ", left, "");
	else
		fprintf(out, "  %-26s ", left);
	print_wrapped(out, o->help, 29);
}

static void
print_options_for(FILE *out, unsigned mask)
{
	int			k;

	for (k = 0; opt_defs[k].name; k++)
		if ((opt_defs[k].cmds & mask) != 0 && opt_defs[k].cmds != ALL_CMDS)
			print_option(out, &opt_defs[k]);
}

void
cli_usage(FILE *out, const char *topic)
{
	const CmdDef *c = topic ? find_command(topic) : NULL;
	int			k;

	if (c && c->text[0])
	{
		fprintf(out, "migrate %s: %s.\n\n", c->name, c->summary);
		fprintf(out, "Usage:\n  migrate %s\n\n", c->usage);
		fputs(c->text, out);
		fprintf(out, "\nOptions:\n");
		print_options_for(out, C(c->cmd));
		for (k = 0; opt_defs[k].name; k++)
			if (opt_defs[k].cmds == ALL_CMDS)
				print_option(out, &opt_defs[k]);
		if (C(c->cmd) & DB_CMDS)
			fprintf(out, "\nWithout --url and -d, PostgreSQL is reached through the PG* environment\n"
					"variables and ~/.pgpass, as psql does.\n");
		fprintf(out, "\nSee docs/cli.md for the URL forms, directory formats and output.\n");
		return;
	}
	fprintf(out,
			"migrate applies versioned schema migrations and reverts them without down\nfiles.\n\n"
			"Usage:\n  migrate COMMAND [OPTION]... [ARGUMENT]\n\nCommands:\n");
	for (k = 0; cmd_defs[k].name; k++)
	{
		char		u[64];
		const char *opt = strstr(cmd_defs[k].usage, " [OPTION]...");

		/* "apply [OPTION]... [N]" -> "apply [N]" */
		if (opt)
			snprintf(u, sizeof(u), "%.*s%s", (int) (opt - cmd_defs[k].usage),
					 cmd_defs[k].usage, opt + strlen(" [OPTION]..."));
		else
			snprintf(u, sizeof(u), "%s", cmd_defs[k].usage);
		fprintf(out, "  %-16s %s\n", u, cmd_defs[k].summary);
	}
	fprintf(out, "\nConnection options (apply, down, status, set, tag):\n");
	for (k = 0; opt_defs[k].name; k++)
		if (opt_defs[k].cmds == DB_CMDS || opt_defs[k].val == OPT_URL)
			if (opt_defs[k].val != OPT_REVISIONS_SCHEMA && opt_defs[k].val != OPT_LOCK_TIMEOUT &&
				opt_defs[k].val != OPT_ECHO)
				print_option(out, &opt_defs[k]);
	fprintf(out, "  Without --url and -d, PostgreSQL is reached through the PG* environment\n"
			"  variables and ~/.pgpass, as psql does.\n");
	fprintf(out, "\nDirectory options:\n");
	for (k = 0; opt_defs[k].name; k++)
		if (opt_defs[k].val == OPT_DIR)
			print_option(out, &opt_defs[k]);
	fprintf(out, "  FORMAT is native, golang-migrate, flyway or dbmate; detected when not given.\n");
	fprintf(out, "\nApply and revert options:\n");
	for (k = 0; opt_defs[k].name; k++)
	{
		int			v = opt_defs[k].val;

		if (v == OPT_REVISIONS_SCHEMA || v == OPT_DRY_RUN || v == OPT_TX_MODE ||
			v == OPT_EXEC_ORDER || v == OPT_BASELINE || v == OPT_ALLOW_DIRTY ||
			v == OPT_LOCK_TIMEOUT || v == OPT_TO_VERSION || v == OPT_TO_TAG ||
			v == OPT_ALLOW_LOSS || v == OPT_ACCEPT_DRIFT || v == OPT_PLAN_HASH)
			print_option(out, &opt_defs[k]);
	}
	fprintf(out, "\nOutput options:\n");
	for (k = 0; opt_defs[k].name; k++)
		if (opt_defs[k].val == OPT_FORMAT || opt_defs[k].val == OPT_ECHO || opt_defs[k].val == 'v')
			print_option(out, &opt_defs[k]);
	fprintf(out, "\nOther options:\n");
	for (k = 0; opt_defs[k].name; k++)
		if (opt_defs[k].val == 'V' || opt_defs[k].val == OPT_HELP)
			print_option(out, &opt_defs[k]);
	fprintf(out, "\nRun \"migrate help COMMAND\" for the options of one command.\n"
			"Exit status: 0 success, 1 error, 2 connection lost, 3 a migration step failed.\n");
}

/* ---- parsing ----------------------------------------------------------- */

static void
usage_error(CliArgs *a)
{
	log_raw("Try \"migrate --help\" for more information.");
	a->exit_now = EXIT_ERROR;
}

static const OptDef *
find_opt(int val)
{
	int			k;

	for (k = 0; opt_defs[k].name; k++)
		if (opt_defs[k].val == val)
			return &opt_defs[k];
	return NULL;
}

static bool
parse_amount(const char *s, int *out)
{
	long		v;
	char	   *end;

	if (!isdigit((unsigned char) s[0]))
		return false;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v <= 0 || v > INT_MAX)
		return false;
	*out = (int) v;
	return true;
}

static bool
choose(const char *value, const char *optname, const char *const *names,
	   const int *values, int *out)
{
	int			k;

	for (k = 0; names[k]; k++)
		if (strcmp(value, names[k]) == 0)
		{
			*out = values[k];
			return true;
		}
	log_error("invalid value \"%s\" for option --%s", value, optname);
	{
		StrBuf		sb;

		sb_init(&sb);
		for (k = 0; names[k]; k++)
			sb_printf(&sb, "%s\"%s\"", k == 0 ? "" : names[k + 1] ? ", " : " and ", names[k]);
		log_error_hint("Valid values are %s.", sb.data);
		sb_free(&sb);
	}
	return false;
}

static bool
check_combinations(CliArgs *a, unsigned seen_mask, const int *seen_vals, int nseen)
{
	Options    *o = &a->opts;
	int			k;

	for (k = 0; k < nseen; k++)
	{
		const OptDef *d = find_opt(seen_vals[k]);

		if (d && !(d->cmds & C(a->command)))
		{
			log_error("option --%s cannot be used with \"migrate %s\"", d->name,
					  command_name(a->command));
			log_error_hint("Run \"migrate help %s\" for its options.", command_name(a->command));
			return false;
		}
	}
	if (o->baseline && o->allow_dirty)
	{
		log_error("options --baseline and --allow-dirty cannot be used together");
		log_error_hint("--baseline records the existing schema as a version; --allow-dirty applies on top of it without recording it.");
		return false;
	}
	if (o->amount > 0 && (o->to_version || o->to_tag))
	{
		log_error("an amount cannot be combined with --%s", o->to_version ? "to-version" : "to-tag");
		return false;
	}
	if (o->to_version && o->to_tag)
	{
		log_error("options --to-version and --to-tag cannot be used together");
		return false;
	}
	if (a->opts.url && a->pg_dbname)
	{
		log_error("options --url and -d/--dbname cannot be used together");
		return false;
	}
	if (o->prompt_password == -1)
	{
		log_error("options -w/--no-password and -W/--password cannot be used together");
		return false;
	}
	(void) seen_mask;
	return true;
}

static bool
build_connection(CliArgs *a)
{
	char	   *err = NULL;
	bool		pg_opts = a->pg_host || a->pg_port || a->pg_user;

	if (a->opts.url)
	{
		if (url_parse(a->opts.url, &a->url, &err) != 0)
		{
			log_error("%s", err);
			log_error_hint("URLs look like postgres://user@host:5432/db, mysql://user@host:3306/db or sqlite://path/to/file.db.");
			free(err);
			goto fail;
		}
		if (a->url.dialect != DIALECT_POSTGRES &&
			(pg_opts || a->opts.prompt_password != PROMPT_AUTO))
		{
			log_error("options -h, -p, -U, -w and -W only apply to PostgreSQL, not to a %s URL",
					  dialect_name(a->url.dialect));
			goto fail;
		}
		if (a->url.dialect == DIALECT_POSTGRES &&
			url_pg_override(&a->url, a->pg_host, a->pg_port, a->pg_user, &err) != 0)
		{
			log_error("%s", err);
			free(err);
			goto fail;
		}
	}
	else if (url_from_pg_options(a->pg_dbname, a->pg_host, a->pg_port, a->pg_user,
								 &a->url, &err) != 0)
	{
		log_error("%s", err);
		free(err);
		goto fail;
	}
	a->have_url = true;
	if (a->url.password && a->url.password[0])
	{
		log_warning("a password given on the command line can be seen by other users of this machine");
		log_error_hint("For PostgreSQL, use ~/.pgpass or the PGPASSWORD environment variable instead.");
	}
	return true;

fail:
	url_free(&a->url);
	return false;
}

void
cli_parse(int argc, char **argv, CliArgs *a)
{
	struct option longopts[sizeof(opt_defs) / sizeof(opt_defs[0])];
	int			nseen = 0,
				k,
				c;
	int		   *seen = xcalloc((size_t) argc + 1, sizeof(int));
	bool		want_help = false;
	char	  **alloss = NULL;
	const char *format = NULL;

	memset(a, 0, sizeof(*a));
	a->exit_now = -1;
	a->opts.lock_timeout_ms = 10000;
	a->opts.dir = "migrations";

	if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-?") == 0))
	{
		cli_usage(stdout, argc > 2 ? argv[2] : NULL);
		a->exit_now = EXIT_OK;
		free(seen);
		return;
	}
	if (argc > 1 && (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0))
	{
		printf("migrate %s\n", MIGRATE_VERSION);
		a->exit_now = EXIT_OK;
		free(seen);
		return;
	}

	for (k = 0; opt_defs[k].name; k++)
	{
		longopts[k].name = opt_defs[k].name;
		longopts[k].has_arg = opt_defs[k].has_arg;
		longopts[k].flag = NULL;
		longopts[k].val = opt_defs[k].val;
	}
	memset(&longopts[k], 0, sizeof(longopts[k]));

	opterr = 0;
	optind = 0;					/* glibc: start over (tests parse several
								 * times) */
	while ((c = getopt_long(argc, argv, ":d:h:p:U:wWvV", longopts, NULL)) != -1)
	{
		Options    *o = &a->opts;

		switch (c)
		{
			case ':':
				log_error("option \"%s\" needs a value", argv[optind - 1]);
				usage_error(a);
				goto done;
			case '?':
				if (optopt == '?')
				{
					want_help = true;
					continue;
				}
				if (optopt)
					log_error("invalid option \"-%c\"", optopt);
				else
					log_error("unrecognized option \"%s\"", argv[optind - 1]);
				usage_error(a);
				goto done;
			case OPT_HELP:
				want_help = true;
				continue;
			case 'V':
				printf("migrate %s\n", MIGRATE_VERSION);
				a->exit_now = EXIT_OK;
				goto done;
			case 'v':
				o->verbose++;
				continue;
		}
		seen[nseen++] = c;
		switch (c)
		{
			case OPT_URL:
				o->url = optarg;
				break;
			case 'd':
				a->pg_dbname = optarg;
				break;
			case 'h':
				a->pg_host = optarg;
				break;
			case 'p':
				a->pg_port = optarg;
				break;
			case 'U':
				a->pg_user = optarg;
				break;
			case 'w':
				o->prompt_password = o->prompt_password == PROMPT_ALWAYS ? -1 : PROMPT_NEVER;
				break;
			case 'W':
				o->prompt_password = o->prompt_password == PROMPT_NEVER ? -1 : PROMPT_ALWAYS;
				break;
			case OPT_DIR:
				o->dir = optarg;
				a->dir_given = true;
				break;
			case OPT_REVISIONS_SCHEMA:
				o->revisions_schema = optarg;
				break;
			case OPT_DRY_RUN:
				o->dry_run = true;
				break;
			case OPT_TX_MODE:
				{
					static const char *const names[] = {"file", "all", "none", NULL};
					static const int vals[] = {TXMODE_FILE, TXMODE_ALL, TXMODE_NONE};
					int			v;

					if (!choose(optarg, "tx-mode", names, vals, &v))
					{
						usage_error(a);
						goto done;
					}
					o->txmode = (TxMode) v;
					break;
				}
			case OPT_EXEC_ORDER:
				{
					static const char *const names[] = {"linear", "linear-skip", "non-linear", NULL};
					static const int vals[] = {EXEC_LINEAR, EXEC_LINEAR_SKIP, EXEC_NON_LINEAR};
					int			v;

					if (!choose(optarg, "exec-order", names, vals, &v))
					{
						usage_error(a);
						goto done;
					}
					o->exec_order = (ExecOrder) v;
					break;
				}
			case OPT_BASELINE:
				o->baseline = optarg;
				break;
			case OPT_ALLOW_DIRTY:
				o->allow_dirty = true;
				break;
			case OPT_LOCK_TIMEOUT:
				{
					char	   *err = NULL;

					if (parse_duration_ms(optarg, &o->lock_timeout_ms, &err) != 0)
					{
						log_error("%s for option --lock-timeout", err);
						log_error_hint("Use a number and a unit (ms, s, m or h), such as \"10s\" or \"500ms\".");
						free(err);
						usage_error(a);
						goto done;
					}
					break;
				}
			case OPT_TO_VERSION:
				o->to_version = optarg;
				break;
			case OPT_TO_TAG:
				o->to_tag = optarg;
				break;
			case OPT_ALLOW_LOSS:
				alloss = xrealloc(alloss, sizeof(char *) * (o->nallow_loss + 1));
				alloss[o->nallow_loss++] = optarg;
				o->allow_loss = alloss;
				break;
			case OPT_ACCEPT_DRIFT:
				o->accept_drift = true;
				break;
			case OPT_PLAN_HASH:
				o->plan_hash = optarg;
				break;
			case OPT_FORMAT:
				format = optarg;
				if (strcmp(optarg, "json") == 0)
					o->json = true;
				else if (strcmp(optarg, "text") == 0)
					o->json = false;
				else
				{
					log_error("invalid value \"%s\" for option --format", optarg);
					log_error_hint("Valid values are \"text\" and \"json\".");
					usage_error(a);
					goto done;
				}
				break;
			case OPT_ECHO:
				o->echo = true;
				break;
			default:
				log_error("unrecognized option \"%s\"", argv[optind - 1]);
				usage_error(a);
				goto done;
		}
	}
	(void) format;
	log_set_verbosity(a->opts.verbose);

	/* positional arguments: the command, then its argument */
	if (optind < argc)
	{
		const CmdDef *cd = find_command(argv[optind]);

		if (cd == NULL)
		{
			log_error("unknown command \"%s\"", argv[optind]);
			usage_error(a);
			goto done;
		}
		a->command = cd->cmd;
		optind++;
	}
	if (want_help || a->command == CMD_HELP)
	{
		const char *topic = a->command == CMD_HELP ? (optind < argc ? argv[optind] : NULL) :
		command_name(a->command);

		if (a->command == CMD_HELP && topic && !find_command(topic))
		{
			log_error("unknown command \"%s\"", topic);
			usage_error(a);
			goto done;
		}
		cli_usage(stdout, topic && topic[0] ? topic : NULL);
		a->exit_now = EXIT_OK;
		goto done;
	}
	if (a->command == CMD_NONE)
	{
		log_error("no command given");
		usage_error(a);
		goto done;
	}
	if (optind < argc)
	{
		const char *arg = argv[optind++];

		switch (a->command)
		{
			case CMD_APPLY:
			case CMD_DOWN:
				if (!parse_amount(arg, &a->opts.amount))
				{
					log_error("invalid amount \"%s\"", arg);
					log_error_hint("The amount is the number of migrations, a positive integer.");
					usage_error(a);
					goto done;
				}
				break;
			case CMD_SET:
			case CMD_TAG:
				a->arg = arg;
				break;
			default:
				optind--;
				break;
		}
	}
	if (optind < argc)
	{
		log_error("too many command-line arguments (first is \"%s\")", argv[optind]);
		usage_error(a);
		goto done;
	}
	if ((a->command == CMD_SET || a->command == CMD_TAG) && a->arg == NULL)
	{
		log_error("\"migrate %s\" needs a %s", command_name(a->command),
				  a->command == CMD_SET ? "version" : "tag name");
		usage_error(a);
		goto done;
	}
	if (!check_combinations(a, 0, seen, nseen))
	{
		usage_error(a);
		goto done;
	}
	{
		char	   *err = NULL;

		if (dir_parse_spec(a->opts.dir, &a->dir_path, &a->dir_format, &err) != 0)
		{
			log_error("%s", err);
			free(err);
			usage_error(a);
			goto done;
		}
	}
	if (((C(a->command) & DB_CMDS) || (a->command == CMD_VALIDATE && a->opts.url)) &&
		!build_connection(a))
	{
		usage_error(a);
		goto done;
	}

done:
	free(seen);
}

void
cli_free(CliArgs *a)
{
	free(a->opts.allow_loss);
	free(a->dir_path);
	if (a->have_url)
		url_free(&a->url);
	memset(a, 0, sizeof(*a));
}
