/*-------------------------------------------------------------------------
 *
 * migrate.c
 *	  Module entry point of the migrate extension: module magic, GUCs,
 *	  callbacks, and the version function the client uses for its
 *	  handshake.
 *
 * The extension's C code is split by responsibility:
 *	  image.c	canonical images of objects read from the catalog
 *	  history.c	units, object registry, event triggers, stored images
 *	  apply.c	applying migration files and recording revisions
 *	  lock.c	the runner lock
 *	  status.c	migrate_status(), tags, repairs
 *	  util.c	JSON writer, SPI helpers, hashing, owner switching
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
#include "utils/guc.h"

#include "history.h"
#include "image.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(migrate_version);

void		_PG_init(void);

void
_PG_init(void)
{
	DefineCustomBoolVariable("migrate.capture",
							 "Records schema changes in the migrate history.",
							 "When off, event triggers record nothing and CREATE EXTENSION "
							 "takes no baseline (used when restoring a dump that already "
							 "holds the history).",
							 &migrate_capture,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
	MarkGUCPrefixReserved("migrate");
	migrate_history_init();
	migrate_image_init();
}

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
