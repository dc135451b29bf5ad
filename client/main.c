/*-------------------------------------------------------------------------
 *
 * main.c
 *	  Entry point of the migrate client: parse the command line, pick the
 *	  driver for the URL's scheme, run the command.
 *
 * The drivers (driver_pg.c, driver_sqlite*.c, drivers-mysql/) are
 * separate objects that may be left out of a build; their init functions
 * are weak references here, so the client links without them and says
 * which driver is missing when a URL needs it.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  client/main.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>

#include "core.h"

#pragma weak migrate_driver_init_postgres
#pragma weak migrate_driver_init_mysql
#pragma weak migrate_driver_init_sqlite

static bool
make_driver(Dialect dialect, Driver *d)
{
	void		(*init) (Driver *) = NULL;

	switch (dialect)
	{
		case DIALECT_POSTGRES:
			init = migrate_driver_init_postgres;
			break;
		case DIALECT_MYSQL:
			init = migrate_driver_init_mysql;
			break;
		case DIALECT_SQLITE:
			init = migrate_driver_init_sqlite;
			break;
	}
	if (init == NULL)
	{
		log_error("this client was built without the %s driver", dialect_name(dialect));
		log_error_hint("Build migrate from a source tree that includes the %s driver.",
					   dialect_name(dialect));
		return false;
	}
	init(d);
	if (d->ops == NULL)
	{
		log_error("the %s driver did not initialize", dialect_name(dialect));
		return false;
	}
	return true;
}

int
main(int argc, char **argv)
{
	CliArgs		args;
	int			code;

	/*
	 * Progress lines go out as they are written, also into a pipe or a log
	 * file: when a run is killed or times out, its output must show how far
	 * it got.
	 */
	setvbuf(stdout, NULL, _IOLBF, 0);
	cli_parse(argc, argv, &args);
	if (args.exit_now >= 0)
	{
		code = args.exit_now;
		cli_free(&args);
		return code;
	}
	code = run_command(&args, make_driver, stdout);
	cli_free(&args);
	if (fflush(stdout) != 0 && code == EXIT_OK)
	{
		log_error("could not write to standard output");
		code = EXIT_ERROR;
	}
	return code;
}
