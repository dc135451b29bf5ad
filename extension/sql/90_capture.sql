-- History capture (extension/history.c): the event triggers, created last so
-- that nothing above is recorded, then the baseline image of the database.

CREATE FUNCTION migrate.capture_ddl_end() RETURNS event_trigger
	LANGUAGE c SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_capture_ddl_end';
CREATE FUNCTION migrate.capture_sql_drop() RETURNS event_trigger
	LANGUAGE c SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_capture_sql_drop';
CREATE FUNCTION migrate.capture_table_rewrite() RETURNS event_trigger
	LANGUAGE c SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_capture_table_rewrite';
-- Event triggers call these whoever runs the DDL; nobody needs to call them directly.
REVOKE ALL ON FUNCTION migrate.capture_ddl_end(), migrate.capture_sql_drop(),
	migrate.capture_table_rewrite() FROM PUBLIC;
COMMENT ON FUNCTION migrate.capture_ddl_end() IS 'event trigger: record the objects a DDL command touched';
COMMENT ON FUNCTION migrate.capture_sql_drop() IS 'event trigger: record the objects a DDL command dropped';
COMMENT ON FUNCTION migrate.capture_table_rewrite() IS 'event trigger: record a table rewrite';

CREATE EVENT TRIGGER migrate_capture_ddl_end ON ddl_command_end
	EXECUTE FUNCTION migrate.capture_ddl_end();
CREATE EVENT TRIGGER migrate_capture_sql_drop ON sql_drop
	EXECUTE FUNCTION migrate.capture_sql_drop();
CREATE EVENT TRIGGER migrate_capture_table_rewrite ON table_rewrite
	EXECUTE FUNCTION migrate.capture_table_rewrite();
-- Fire whatever session_replication_role is: history must not have holes.
ALTER EVENT TRIGGER migrate_capture_ddl_end ENABLE ALWAYS;
ALTER EVENT TRIGGER migrate_capture_sql_drop ENABLE ALWAYS;
ALTER EVENT TRIGGER migrate_capture_table_rewrite ENABLE ALWAYS;

CREATE FUNCTION migrate.allow_runner(role regrole) RETURNS void
	LANGUAGE plpgsql VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT r.fn FROM migrate.runner_functions r LOOP
		EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION %s TO %s', f, role);
	END LOOP;
END
$fn$;
CREATE FUNCTION migrate.disallow_runner(role regrole) RETURNS void
	LANGUAGE plpgsql VOLATILE STRICT
	SET search_path = pg_catalog, pg_temp
	AS $fn$
DECLARE
	f regprocedure;
BEGIN
	FOR f IN SELECT r.fn FROM migrate.runner_functions r LOOP
		EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION %s FROM %s', f, role);
	END LOOP;
END
$fn$;
-- Granting is for the extension owner (a superuser); these stay revoked.
REVOKE ALL ON FUNCTION migrate.allow_runner(regrole), migrate.disallow_runner(regrole) FROM PUBLIC;
COMMENT ON FUNCTION migrate.allow_runner(regrole)
	IS 'let a role run migrations: EXECUTE on the functions in migrate.runner_functions';
COMMENT ON FUNCTION migrate.disallow_runner(regrole) IS 'undo migrate.allow_runner';

-- The baseline: every user object as it is now (skipped when migrate.capture
-- is off, e.g. while restoring a dump that carries the history).
SELECT migrate.take_baseline()
	WHERE pg_catalog.current_setting('migrate.capture') OPERATOR(pg_catalog.=) 'on';
