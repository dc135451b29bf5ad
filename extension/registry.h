/*-------------------------------------------------------------------------
 *
 * registry.h
 *	  Batched access to the object registry (migrate.objects): resolve many
 *	  canonical addresses to stable ids in a few queries.
 *
 * Internal to history.c.  Callers are connected to SPI (the rare updates
 * go through it; they switch to the extension owner themselves).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/registry.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_REGISTRY_H
#define MIGRATE_REGISTRY_H

#include "catalog/objectaddress.h"
#include "utils/hsearch.h"

typedef struct RegEntry
{
	ObjectAddress addr;
	const char *kind;
	char	   *identity;
	int			parent;			/* index of the parent entry, -1 none */
	int64		id;				/* 0 until resolved */
	bool		created;		/* inserted by this batch */
	int64		pending_id;		/* id written in the current pass */
} RegEntry;

typedef struct RegBatch
{
	RegEntry   *items;
	int			n;
	int			cap;
	HTAB	   *index;			/* address -> position */
} RegBatch;

extern void regbatch_init(RegBatch *b);

/*
 * Add a live canonical object (kind and identity are looked up when NULL);
 * returns its position, or -1 when the object does not exist.  Adding the
 * same address twice returns the first position.
 */
extern int	regbatch_add(RegBatch *b, const ObjectAddress *addr, const char *kind,
						 char *identity);

/* position of an address already added, -1 otherwise */
extern int	regbatch_find(RegBatch *b, const ObjectAddress *addr);

/*
 * Give every entry its registry id: existing live rows are found (their
 * identity updated after a rename), missing ones are inserted (with their
 * parents, which resolve adds to the batch), created by unit (0: none).
 */
extern void regbatch_resolve(RegBatch *b, int64 unit);

#endif							/* MIGRATE_REGISTRY_H */
