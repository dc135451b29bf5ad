/*-------------------------------------------------------------------------
 *
 * leftover.h
 *	  What an interrupted index build of a tx mode none file left behind,
 *	  and what a rerun or a revert does with it (leftover.c).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/leftover.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_LEFTOVER_H
#define MIGRATE_LEFTOVER_H

#include "nodes/pg_list.h"

typedef enum LeftoverAction
{
	LEFTOVER_DROP,				/* provably the statement's own: dropped
								 * before it runs again, or by a revert */
	LEFTOVER_REFUSE,			/* in the way of the statement and not
								 * provably its own: the rerun stops */
	LEFTOVER_KEEP				/* not in the way and not provably its own:
								 * left alone, reported */
} LeftoverAction;

/* One invalid index (or index in the way) and the verdict on it. */
typedef struct Leftover
{
	char	   *version;
	int			step;			/* 0-based statement index */
	char	   *statement;		/* the interrupted statement */
	Oid			indexoid;
	char	   *index;			/* qualified, quoted name */
	LeftoverAction action;
	char	   *message;		/* what it is (drop, keep) or why the rerun
								 * stops */
	char	   *detail;
	char	   *hint;
	char	   *drop_sql;		/* DROP INDEX CONCURRENTLY <index> */
} Leftover;

/*
 * Before the client runs statement step of version at top level: when it
 * builds an index concurrently, record the attempt (migrate.attempts) in
 * the caller's transaction, which must commit before the statement starts.
 * Returns whether an attempt was recorded.
 */
extern bool migrate_attempt_record(const char *version, int step, const char *sql,
								   const char *search_path);

/* The statement completed: its attempt row goes. */
extern void migrate_attempt_forget(const char *version, int step);

/*
 * Leftovers of the recorded attempts of partially applied versions (all of
 * them when version is NULL), in version order; palloc'd in the caller's
 * memory context.
 */
extern List *migrate_leftovers_list(const char *version);

extern const char *migrate_leftover_action_name(LeftoverAction action);

#endif							/* MIGRATE_LEFTOVER_H */
