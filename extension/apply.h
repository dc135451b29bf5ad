/*-------------------------------------------------------------------------
 *
 * apply.h
 *	  Applying migration files and recording revisions (apply.c).
 *
 * Copyright (c) 2026, migrate developers
 *
 * IDENTIFICATION
 *	  extension/apply.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef MIGRATE_APPLY_H
#define MIGRATE_APPLY_H

/*
 * Record that statement index of version's file was applied: applied =
 * index + 1, its running hash appended, the error cleared, the unit of the
 * last step set (unless unit is 0), elapsed_ns added to execution_time.
 * Runs in the caller's transaction, as the extension owner.
 */
extern void migrate_revision_advance(const char *version, int index, int64 unit,
									 int64 elapsed_ns);

#endif							/* MIGRATE_APPLY_H */
