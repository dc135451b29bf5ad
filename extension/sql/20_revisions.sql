-- Revisions and applying migrations (extension/apply.c, extension/status.c).

CREATE TABLE migrate.revisions (
	version pg_catalog.text PRIMARY KEY,
	description pg_catalog.text NOT NULL,
	type integer NOT NULL DEFAULT 2,
	applied integer NOT NULL DEFAULT 0,
	total integer NOT NULL DEFAULT 0,
	executed_at timestamptz NOT NULL,
	execution_time bigint NOT NULL DEFAULT 0,
	error pg_catalog.text,
	error_stmt pg_catalog.text,
	hash pg_catalog.text NOT NULL DEFAULT '',
	partial_hashes pg_catalog.text[],
	operator_version pg_catalog.text NOT NULL,
	unit bigint
);
COMMENT ON TABLE migrate.revisions IS 'one row per migration version: what ran, how far, with which result';
COMMENT ON COLUMN migrate.revisions.type IS 'bit flags: 1 baseline, 2 applied, 4 set by hand (migrate set)';
COMMENT ON COLUMN migrate.revisions.applied IS 'statements applied so far';
COMMENT ON COLUMN migrate.revisions.total IS 'statements in the file';
COMMENT ON COLUMN migrate.revisions.executed_at IS 'start of the first attempt';
COMMENT ON COLUMN migrate.revisions.execution_time IS 'nanoseconds the last attempt took';
COMMENT ON COLUMN migrate.revisions.hash IS 'h1: + base64(sha256(file content)) of the file that was applied';
COMMENT ON COLUMN migrate.revisions.partial_hashes IS 'running hash after each applied statement while the file is incomplete';
COMMENT ON COLUMN migrate.revisions.unit IS 'unit of history of the last applied step (migrate.units)';

CREATE TABLE migrate.files (
	version pg_catalog.text PRIMARY KEY REFERENCES migrate.revisions (version) ON DELETE CASCADE,
	content pg_catalog.text NOT NULL,
	statements pg_catalog.text[] NOT NULL,
	checks pg_catalog.text[],
	down pg_catalog.text[]
);
COMMENT ON TABLE migrate.files IS 'text of each applied file: content, statements, txtar checks and hand-written down statements';
COMMENT ON COLUMN migrate.files.down IS 'statements of a hand-written down section; NULL when the file had none';

-- Functions that a migration runner (a non-superuser role named with
-- migrate.allow_runner) may call; each script part adds its own.
CREATE TABLE migrate.runner_functions (
	fn regprocedure PRIMARY KEY
);
COMMENT ON TABLE migrate.runner_functions IS 'functions migrate.allow_runner() grants to a runner role';

REVOKE ALL ON TABLE migrate.revisions, migrate.files, migrate.runner_functions FROM PUBLIC;
SELECT pg_catalog.pg_extension_config_dump('migrate.revisions', '');
SELECT pg_catalog.pg_extension_config_dump('migrate.files', '');

CREATE FUNCTION migrate.version_key(version pg_catalog.text) RETURNS bytea
	LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_version_key';
REVOKE ALL ON FUNCTION migrate.version_key(pg_catalog.text) FROM PUBLIC;
-- A pure function of its argument; anyone may order versions with it.
GRANT EXECUTE ON FUNCTION migrate.version_key(pg_catalog.text) TO PUBLIC;
COMMENT ON FUNCTION migrate.version_key(pg_catalog.text)
	IS 'sort key of a version: digit runs compare as numbers, the rest byte by byte';

CREATE FUNCTION migrate.apply_file(version pg_catalog.text, description pg_catalog.text,
		hash pg_catalog.text, content pg_catalog.text, statements pg_catalog.text[],
		checks pg_catalog.text[], down pg_catalog.text[], start integer, mode pg_catalog.text,
		search_path pg_catalog.text, operator_version pg_catalog.text,
		OUT ok boolean, OUT applied integer, OUT total integer, OUT failed_index integer,
		OUT error pg_catalog.text, OUT error_stmt pg_catalog.text, OUT sqlstate pg_catalog.text,
		OUT detail pg_catalog.text, OUT hint pg_catalog.text, OUT elapsed_ns bigint,
		OUT failed_check integer, OUT checks_ns bigint)
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_apply_file';
COMMENT ON FUNCTION migrate.apply_file(pg_catalog.text, pg_catalog.text, pg_catalog.text,
		pg_catalog.text, pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], integer,
		pg_catalog.text, pg_catalog.text, pg_catalog.text)
	IS 'apply a migration file in the caller''s transaction (tx modes file and all)';

CREATE FUNCTION migrate.begin_file(version pg_catalog.text, description pg_catalog.text,
		hash pg_catalog.text, content pg_catalog.text, statements pg_catalog.text[],
		checks pg_catalog.text[], down pg_catalog.text[], start integer,
		search_path pg_catalog.text, operator_version pg_catalog.text,
		OUT ok boolean, OUT failed_check integer, OUT error pg_catalog.text,
		OUT error_stmt pg_catalog.text, OUT sqlstate pg_catalog.text,
		OUT detail pg_catalog.text, OUT hint pg_catalog.text, OUT checks_ns bigint)
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_begin_file';
COMMENT ON FUNCTION migrate.begin_file(pg_catalog.text, pg_catalog.text, pg_catalog.text,
		pg_catalog.text, pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], integer,
		pg_catalog.text, pg_catalog.text)
	IS 'txmode none: record the file, verify the applied prefix and run its checks';

CREATE FUNCTION migrate.apply_statement(version pg_catalog.text, index integer,
		search_path pg_catalog.text,
		OUT status pg_catalog.text, OUT error pg_catalog.text, OUT sqlstate pg_catalog.text,
		OUT detail pg_catalog.text, OUT hint pg_catalog.text,
		OUT search_path_after pg_catalog.text, OUT elapsed_ns bigint)
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_apply_statement';
COMMENT ON FUNCTION migrate.apply_statement(pg_catalog.text, integer, pg_catalog.text)
	IS 'txmode none: apply one statement and record it (status ok, failed, or toplevel)';

CREATE FUNCTION migrate.expect_toplevel(version pg_catalog.text, index integer,
		search_path pg_catalog.text DEFAULT NULL) RETURNS void
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_expect_toplevel';
COMMENT ON FUNCTION migrate.expect_toplevel(pg_catalog.text, integer, pg_catalog.text)
	IS 'txmode none: announce a statement the client runs at top level (under search_path); an index build is recorded in migrate.attempts first';

CREATE FUNCTION migrate.finish_toplevel(version pg_catalog.text, index integer, elapsed_ns bigint)
	RETURNS pg_catalog.text
	LANGUAGE c VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_finish_toplevel';
COMMENT ON FUNCTION migrate.finish_toplevel(pg_catalog.text, integer, bigint)
	IS 'txmode none: record a top-level statement unless its event trigger already did';

CREATE FUNCTION migrate.record_failure(version pg_catalog.text, description pg_catalog.text,
		hash pg_catalog.text, total integer, error pg_catalog.text, error_stmt pg_catalog.text,
		elapsed_ns bigint, operator_version pg_catalog.text) RETURNS void
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_record_failure';
COMMENT ON FUNCTION migrate.record_failure(pg_catalog.text, pg_catalog.text, pg_catalog.text,
		integer, pg_catalog.text, pg_catalog.text, bigint, pg_catalog.text)
	IS 'record the error of a failed attempt after the client rolled back its transaction';

CREATE FUNCTION migrate.baseline(version pg_catalog.text, description pg_catalog.text,
		operator_version pg_catalog.text) RETURNS bigint
	LANGUAGE c VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_baseline';
COMMENT ON FUNCTION migrate.baseline(pg_catalog.text, pg_catalog.text, pg_catalog.text)
	IS 'record version as the baseline of a database that already holds its schema';

CREATE FUNCTION migrate.set_version(version pg_catalog.text, versions pg_catalog.text[],
		descriptions pg_catalog.text[], hashes pg_catalog.text[], operator_version pg_catalog.text,
		OUT action pg_catalog.text, OUT version pg_catalog.text, OUT description pg_catalog.text)
	RETURNS SETOF record
	LANGUAGE c VOLATILE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_set_version';
COMMENT ON FUNCTION migrate.set_version(pg_catalog.text, pg_catalog.text[], pg_catalog.text[],
		pg_catalog.text[], pg_catalog.text)
	IS 'migrate set: make the revisions say version is current, without running anything';

CREATE FUNCTION migrate.is_clean(OUT clean boolean, OUT reason pg_catalog.text)
	LANGUAGE c STABLE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_is_clean';
COMMENT ON FUNCTION migrate.is_clean() IS 'does the database hold no user objects?  reason names one that it holds';

CREATE FUNCTION migrate.list_revisions(OUT version pg_catalog.text, OUT description pg_catalog.text,
		OUT type integer, OUT applied integer, OUT total integer, OUT executed_at timestamptz,
		OUT execution_time bigint, OUT error pg_catalog.text, OUT error_stmt pg_catalog.text,
		OUT hash pg_catalog.text, OUT partial_hashes pg_catalog.text[])
	RETURNS SETOF record
	LANGUAGE c STABLE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_list_revisions';
COMMENT ON FUNCTION migrate.list_revisions() IS 'the revisions in version order, for the client';

CREATE FUNCTION @extschema@.migrate_status(OUT version pg_catalog.text,
		OUT description pg_catalog.text, OUT type pg_catalog.text, OUT state pg_catalog.text,
		OUT applied integer, OUT total integer, OUT executed_at timestamptz,
		OUT execution_time interval, OUT error pg_catalog.text, OUT error_stmt pg_catalog.text)
	RETURNS SETOF record
	LANGUAGE c STABLE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_status';
COMMENT ON FUNCTION @extschema@.migrate_status() IS 'one row per recorded version, in version order';

CREATE FUNCTION @extschema@.migrate_tag(name pg_catalog.text) RETURNS pg_catalog.text
	LANGUAGE c VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_tag';
COMMENT ON FUNCTION @extschema@.migrate_tag(pg_catalog.text)
	IS 'remember the current version under a name (a revert target); returns the version';

-- None of these is for PUBLIC: they change or reveal the bookkeeping.  A
-- superuser names the roles that may run migrations with migrate.allow_runner().
REVOKE ALL ON FUNCTION
	migrate.apply_file(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text,
		pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], integer, pg_catalog.text,
		pg_catalog.text, pg_catalog.text),
	migrate.begin_file(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text,
		pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], integer, pg_catalog.text,
		pg_catalog.text),
	migrate.apply_statement(pg_catalog.text, integer, pg_catalog.text),
	migrate.expect_toplevel(pg_catalog.text, integer, pg_catalog.text),
	migrate.finish_toplevel(pg_catalog.text, integer, bigint),
	migrate.record_failure(pg_catalog.text, pg_catalog.text, pg_catalog.text, integer,
		pg_catalog.text, pg_catalog.text, bigint, pg_catalog.text),
	migrate.baseline(pg_catalog.text, pg_catalog.text, pg_catalog.text),
	migrate.set_version(pg_catalog.text, pg_catalog.text[], pg_catalog.text[],
		pg_catalog.text[], pg_catalog.text),
	migrate.is_clean(),
	migrate.list_revisions(),
	@extschema@.migrate_status(),
	@extschema@.migrate_tag(pg_catalog.text)
	FROM PUBLIC;

INSERT INTO migrate.runner_functions (fn) VALUES
	('migrate.apply_file(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], integer, pg_catalog.text, pg_catalog.text, pg_catalog.text)'),
	('migrate.begin_file(pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text, pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], integer, pg_catalog.text, pg_catalog.text)'),
	('migrate.apply_statement(pg_catalog.text, integer, pg_catalog.text)'),
	('migrate.expect_toplevel(pg_catalog.text, integer, pg_catalog.text)'),
	('migrate.finish_toplevel(pg_catalog.text, integer, bigint)'),
	('migrate.record_failure(pg_catalog.text, pg_catalog.text, pg_catalog.text, integer, pg_catalog.text, pg_catalog.text, bigint, pg_catalog.text)'),
	('migrate.baseline(pg_catalog.text, pg_catalog.text, pg_catalog.text)'),
	('migrate.set_version(pg_catalog.text, pg_catalog.text[], pg_catalog.text[], pg_catalog.text[], pg_catalog.text)'),
	('migrate.is_clean()'),
	('migrate.list_revisions()');
-- The user-facing functions, found through the extension's schema and membership
-- (so that the schema name never appears inside a string literal).
INSERT INTO migrate.runner_functions (fn)
	SELECT p.oid FROM pg_catalog.pg_proc p
	JOIN pg_catalog.pg_extension e ON e.extnamespace OPERATOR(pg_catalog.=) p.pronamespace
	JOIN pg_catalog.pg_depend d ON d.classid OPERATOR(pg_catalog.=) 'pg_catalog.pg_proc'::pg_catalog.regclass
		AND d.objid OPERATOR(pg_catalog.=) p.oid AND d.refobjid OPERATOR(pg_catalog.=) e.oid
		AND d.deptype OPERATOR(pg_catalog.=) 'e'
	WHERE e.extname OPERATOR(pg_catalog.=) 'migrate'
	AND p.proname OPERATOR(pg_catalog.=) ANY (ARRAY['migrate_status', 'migrate_tag', 'migrate_object_state']::pg_catalog.name[]);
