-- Leftovers of interrupted top-level statements (extension/leftover.c).

-- A CREATE INDEX CONCURRENTLY or REINDEX CONCURRENTLY of a tx mode none
-- file commits part of its work before it finishes: interrupted, it leaves
-- an invalid index.  Before such a statement runs, migrate.expect_toplevel
-- records the attempt here, in a transaction of its own, with what tells
-- later what the statement created: the table it works on, the transaction
-- and the OID counter at the attempt, and the last unit of history.
CREATE TABLE migrate.attempts (
	version pg_catalog.text NOT NULL REFERENCES migrate.revisions (version) ON DELETE CASCADE,
	step integer NOT NULL,
	statement pg_catalog.text NOT NULL,
	relid oid NOT NULL,
	xid xid8 NOT NULL,
	next_oid oid NOT NULL,
	unit bigint NOT NULL,
	attempted_at timestamptz NOT NULL,
	PRIMARY KEY (version, step)
);
COMMENT ON TABLE migrate.attempts IS 'top-level statements that build indexes concurrently, recorded before each run: what an interruption of them may have left behind';
COMMENT ON COLUMN migrate.attempts.step IS 'statement index (0-based) in the file';
COMMENT ON COLUMN migrate.attempts.relid IS 'the table the statement builds indexes on, resolved under the runner''s search_path';
COMMENT ON COLUMN migrate.attempts.xid IS 'transaction that recorded the attempt: what the statement created has a later xmin';
COMMENT ON COLUMN migrate.attempts.next_oid IS 'the OID counter at the attempt: what the statement created has an OID from here on';
COMMENT ON COLUMN migrate.attempts.unit IS 'last unit of history at the attempt (migrate.units)';
REVOKE ALL ON TABLE migrate.attempts FROM PUBLIC;

CREATE FUNCTION migrate.leftovers(for_version pg_catalog.text DEFAULT NULL,
		OUT version pg_catalog.text, OUT step integer, OUT statement pg_catalog.text,
		OUT index_oid oid, OUT index_name pg_catalog.text, OUT action pg_catalog.text,
		OUT message pg_catalog.text, OUT detail pg_catalog.text, OUT hint pg_catalog.text,
		OUT drop_statement pg_catalog.text)
	RETURNS SETOF record
	LANGUAGE c STABLE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_leftovers';
COMMENT ON FUNCTION migrate.leftovers(pg_catalog.text)
	IS 'invalid indexes interrupted statements of partially applied versions left behind, and what the next apply does with each (drop, refuse, keep)';

CREATE FUNCTION migrate.expect_cleanup(version pg_catalog.text, step integer, index_oid oid)
	RETURNS pg_catalog.text
	LANGUAGE c VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_expect_cleanup';
COMMENT ON FUNCTION migrate.expect_cleanup(pg_catalog.text, integer, oid)
	IS 'txmode none: announce the drop of a leftover migrate.leftovers() says to drop; returns the DROP INDEX CONCURRENTLY statement to run at top level';

-- Not for PUBLIC: they reveal and change the bookkeeping.
REVOKE ALL ON FUNCTION migrate.leftovers(pg_catalog.text),
	migrate.expect_cleanup(pg_catalog.text, integer, oid) FROM PUBLIC;
INSERT INTO migrate.runner_functions (fn) VALUES
	('migrate.leftovers(pg_catalog.text)'),
	('migrate.expect_cleanup(pg_catalog.text, integer, oid)');
