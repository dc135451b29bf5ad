-- The revert (extension/revert.c and the files it uses): migrate_down() and
-- migrate_plan(), and the record of what was reverted.

CREATE TABLE migrate.reverts (
	unit bigint NOT NULL,
	version pg_catalog.text NOT NULL,
	description pg_catalog.text NOT NULL,
	hash pg_catalog.text NOT NULL,
	target_version pg_catalog.text,
	handwritten boolean NOT NULL,
	plan_hash pg_catalog.text NOT NULL,
	reverted_at timestamptz NOT NULL,
	role_name pg_catalog.text NOT NULL,
	PRIMARY KEY (unit, version)
);
CREATE INDEX reverts_version ON migrate.reverts (version, unit);
COMMENT ON TABLE migrate.reverts IS 'reverted versions: the revert unit, the revision it removed, the plan hash, who and when';
COMMENT ON COLUMN migrate.reverts.unit IS 'the unit of kind revert that undid the version (its units before it are history)';
COMMENT ON COLUMN migrate.reverts.target_version IS 'the version current after the revert; NULL: none';
COMMENT ON COLUMN migrate.reverts.handwritten IS 'reverted with the hand-written down section of the file';
REVOKE ALL ON TABLE migrate.reverts FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('migrate.reverts', '');

-- A revert finds the units of a version by version.
CREATE INDEX units_version ON migrate.units (version, id);

-- No SET search_path clause: a hand-written down section runs under the
-- caller's search_path (the plan itself qualifies every name and runs under
-- an empty one, set inside).
CREATE FUNCTION @extschema@.migrate_down(steps integer DEFAULT 1,
		to_version pg_catalog.text DEFAULT NULL, to_tag pg_catalog.text DEFAULT NULL,
		dry_run boolean DEFAULT false, allow_loss pg_catalog.text[] DEFAULT NULL,
		accept_drift boolean DEFAULT false, plan_hash pg_catalog.text DEFAULT NULL,
		OUT version pg_catalog.text, OUT step integer, OUT kind pg_catalog.text,
		OUT statement pg_catalog.text, OUT result pg_catalog.text, OUT duration interval)
	RETURNS SETOF record
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'migrate_down';
COMMENT ON FUNCTION @extschema@.migrate_down(integer, pg_catalog.text, pg_catalog.text, boolean,
		pg_catalog.text[], boolean, pg_catalog.text)
	IS 'revert applied versions in the caller''s transaction: checks, statements, verification';

CREATE FUNCTION @extschema@.migrate_plan(steps integer DEFAULT 1,
		to_version pg_catalog.text DEFAULT NULL, to_tag pg_catalog.text DEFAULT NULL,
		OUT version pg_catalog.text, OUT step integer, OUT kind pg_catalog.text,
		OUT statement pg_catalog.text, OUT result pg_catalog.text, OUT duration interval)
	RETURNS SETOF record
	LANGUAGE c VOLATILE
	AS 'MODULE_PATHNAME', 'migrate_plan';
COMMENT ON FUNCTION @extschema@.migrate_plan(integer, pg_catalog.text, pg_catalog.text)
	IS 'the plan migrate_down() would run, with its checks and its hash; nothing changes';

-- Runners only (migrate.allow_runner): a revert changes the schema and the
-- revisions, and a plan shows what the history recorded.
REVOKE ALL ON FUNCTION
	@extschema@.migrate_down(integer, pg_catalog.text, pg_catalog.text, boolean,
		pg_catalog.text[], boolean, pg_catalog.text),
	@extschema@.migrate_plan(integer, pg_catalog.text, pg_catalog.text)
	FROM PUBLIC;
INSERT INTO migrate.runner_functions (fn)
	SELECT p.oid FROM pg_catalog.pg_proc p
	JOIN pg_catalog.pg_extension e ON e.extnamespace OPERATOR(pg_catalog.=) p.pronamespace
	JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.refobjid OPERATOR(pg_catalog.=) e.oid
		AND d.deptype OPERATOR(pg_catalog.=) 'e'
	WHERE e.extname OPERATOR(pg_catalog.=) 'migrate'
	AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['migrate_down', 'migrate_plan']::pg_catalog.name[]);
