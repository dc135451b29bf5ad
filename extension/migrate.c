/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  Module entry point of the migrate extension: module magic, GUCs and
 *	  the version function the client uses for its handshake.
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/migrate.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(migrate_version);

/*
 * migrate.version() RETURNS text
 *
 * Version of the loaded shared library.  The client compares it with its
 * own version and with the installed SQL script's version.
 */
Datum
migrate_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(MIGRATE_VERSION));
}
