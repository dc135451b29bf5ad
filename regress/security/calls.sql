-- regress/security/calls.sql: one call of every function the extension owns,
-- with arguments that exercise it, each printing a result that does not
-- depend on timing or generated ids.  The suite runs this file twice per
-- role, once with an ordinary search_path and once with the hostile one
-- (and pg_temp look-alikes), inside a transaction that is rolled back, and
-- compares the outputs: they must be equal, and the canary untouched.
-- Every function is named in a comment "-- fn: <regprocedure>"; the suite
-- checks that each function of the extension appears here.
\set ON_ERROR_STOP 0
\set ON_ERROR_ROLLBACK on
\set VERBOSITY sqlstate
\pset footer off
\pset null '(null)'

-- fn: migrate.version()
SELECT 'version' AS fn, migrate.version() IS NOT NULL AS ok;
-- fn: migrate.version_key(text)
SELECT 'version_key' AS fn, pg_catalog.encode(migrate.version_key('20260101_1.2a'), 'hex') AS key;
-- fn: migrate.lock(integer)
SELECT 'lock' AS fn, migrate.lock(2000) IS NULL AS ok;
-- fn: migrate.is_clean()
SELECT 'is_clean' AS fn, clean, reason FROM migrate.is_clean();
-- fn: migrate.list_revisions()
SELECT 'list_revisions' AS fn, version, type, applied, total, error FROM migrate.list_revisions();
-- fn: public.migrate_status()
SELECT 'migrate_status' AS fn, version, type, state, applied, total FROM public.migrate_status();
-- fn: migrate.apply_file(text,text,text,text,text[],text[],text[],integer,text,text,text)
SELECT 'apply_file' AS fn, ok, applied, total, failed_index, error, sqlstate, failed_check
	FROM migrate.apply_file('900', 'sec file', 'h1:c2VjdXJpdHkgdGVzdCBmaWxlIGhhc2ggdmFsdWUgeHg=',
		E'CREATE TABLE sec_t (a integer, b text DEFAULT lower(\'X\'));\nCREATE INDEX sec_t_b ON sec_t (b);\n',
		ARRAY['CREATE TABLE sec_t (a integer, b text DEFAULT lower(''X''));',
			'CREATE INDEX sec_t_b ON sec_t (b);'],
		ARRAY['SELECT true;'], NULL, 0, 'file', 'public', '1.0');
-- fn: public.migrate_tag(text)
SELECT 'migrate_tag' AS fn, public.migrate_tag('sec-tag');
-- fn: public.migrate_object_state(text,text,text)
SELECT 'migrate_object_state' AS fn, public.migrate_object_state('table', 'public.sec_t') IS NOT NULL AS found,
	public.migrate_object_state('table', 'public.sec_t', '900') IS NOT NULL AS at_900;
-- the revert of version 900, computed (the file has no down section), then
-- the same file applied again
-- fn: public.migrate_plan(integer,text,text)
SELECT 'migrate_plan' AS fn, version, step, kind, statement FROM public.migrate_plan(1) ORDER BY step;
-- fn: public.migrate_down(integer,text,text,boolean,text[],boolean,text)
SELECT 'migrate_down' AS fn, version, step, kind, statement, result FROM public.migrate_down(1) ORDER BY step;
SELECT 'after_down' AS fn, pg_catalog.to_regclass('public.sec_t') IS NULL AS gone, pg_catalog.count(*) AS revisions
	FROM migrate.list_revisions();
SELECT 'apply_file' AS fn, ok, applied, total, failed_index, error, sqlstate, failed_check
	FROM migrate.apply_file('900', 'sec file', 'h1:c2VjdXJpdHkgdGVzdCBmaWxlIGhhc2ggdmFsdWUgeHg=',
		E'CREATE TABLE sec_t (a integer, b text DEFAULT lower(\'X\'));\nCREATE INDEX sec_t_b ON sec_t (b);\n',
		ARRAY['CREATE TABLE sec_t (a integer, b text DEFAULT lower(''X''));',
			'CREATE INDEX sec_t_b ON sec_t (b);'],
		ARRAY['SELECT true;'], NULL, 0, 'file', 'public', '1.0');
-- fn: migrate.begin_file(text,text,text,text,text[],text[],text[],integer,text,text)
SELECT 'begin_file' AS fn, ok, failed_check, error, sqlstate
	FROM migrate.begin_file('901', 'sec none', 'h1:c2VjdXJpdHkgdGVzdCBub25lIGZpbGUgaGFzaCB2YWx1ZXg=',
		E'ALTER TABLE sec_t ADD c integer;\nCREATE INDEX CONCURRENTLY sec_t_c ON sec_t (c);\nCOMMENT ON TABLE sec_t IS \'it''s\';\n',
		ARRAY['ALTER TABLE sec_t ADD c integer;', 'CREATE INDEX CONCURRENTLY sec_t_c ON sec_t (c);',
			'COMMENT ON TABLE sec_t IS ''it''''s'';'],
		NULL, NULL, 0, 'public', '1.0');
-- fn: migrate.apply_statement(text,integer,text)
SELECT 'apply_statement' AS fn, status, error, sqlstate, search_path_after
	FROM migrate.apply_statement('901', 0, 'public');
-- fn: migrate.expect_toplevel(text,integer,text)
SELECT 'expect_toplevel' AS fn, migrate.expect_toplevel('901', 1, 'public') IS NULL AS ok;
-- fn: migrate.leftovers(text)
SELECT 'leftovers' AS fn, version, step, action, message FROM migrate.leftovers();
-- fn: migrate.expect_cleanup(text,integer,oid)
SELECT 'expect_cleanup' AS fn, migrate.expect_cleanup('901', 1, 'public.sec_t_b'::pg_catalog.regclass);
-- fn: migrate.finish_toplevel(text,integer,bigint)
SELECT 'finish_toplevel' AS fn, migrate.finish_toplevel('901', 1, 0) IS NOT NULL AS ok;
SELECT 'apply_statement' AS fn, status, error, sqlstate, search_path_after
	FROM migrate.apply_statement('901', 2, 'public');
-- fn: migrate.record_failure(text,text,text,integer,text,text,bigint,text)
SELECT 'record_failure' AS fn, migrate.record_failure('902', 'sec failed', 'h1:c2VjdXJpdHkgdGVzdCBmYWlsZWQgZmlsZSBoYXNoIHZhbHVl',
	1, 'relation "nope" does not exist', 'SELECT * FROM nope;', 1000, '1.0') IS NULL AS ok;
SELECT 'list_revisions' AS fn, version, type, applied, total, error FROM migrate.list_revisions();
-- fn: migrate.set_version(text,text[],text[],text[],text)
SELECT 'set_version' AS fn, action, version, description
	FROM migrate.set_version('901', ARRAY['900', '901', '902'], ARRAY['sec file', 'sec none', 'sec failed'],
		ARRAY['h1:c2VjdXJpdHkgdGVzdCBmaWxlIGhhc2ggdmFsdWUgeHg=', 'h1:c2VjdXJpdHkgdGVzdCBub25lIGZpbGUgaGFzaCB2YWx1ZXg=',
			'h1:c2VjdXJpdHkgdGVzdCBmYWlsZWQgZmlsZSBoYXNoIHZhbHVl'], '1.0')
	ORDER BY version, action;
-- fn: migrate.image(oid,oid,integer)
SELECT 'image' AS fn, migrate.image('pg_catalog.pg_class'::pg_catalog.regclass, 'public.sec_t'::pg_catalog.regclass, 0) OPERATOR(pg_catalog.->>) 'kind' AS kind;
-- fn: migrate.object_image(bigint)
SELECT 'object_image' AS fn, migrate.object_image(o.id) OPERATOR(pg_catalog.->>) 'kind' AS kind
	FROM migrate.objects o WHERE o.identity OPERATOR(pg_catalog.=) 'public.sec_t' AND o.dropped_unit IS NULL;
-- fn: migrate.take_baseline(text)
SELECT 'take_baseline' AS fn, migrate.take_baseline() IS NOT NULL AS ok;
-- fn: migrate.baseline(text,text,text)
SELECT 'baseline' AS fn, migrate.baseline('1', 'base', '1.0') IS NOT NULL AS ok;
-- fn: migrate.allow_runner(regrole)
SELECT 'allow_runner' AS fn, migrate.allow_runner(:'app') IS NULL AS ok;
-- fn: migrate.disallow_runner(regrole)
SELECT 'disallow_runner' AS fn, migrate.disallow_runner(:'app') IS NULL AS ok;
-- fn: migrate.unlock()
SELECT 'unlock' AS fn, migrate.unlock();
-- DDL outside any migration: the event triggers record it as drift (no
-- operator or function in these statements, so that only the extension
-- could fire the canary)
CREATE TABLE sec_drift (a integer PRIMARY KEY, b text CHECK (b IS NOT NULL));
ALTER TABLE sec_drift ADD COLUMN c text DEFAULT 'xy';
ALTER TABLE sec_drift ALTER COLUMN a TYPE bigint;
CREATE VIEW sec_drift_v AS SELECT a, b FROM sec_drift;
ALTER TABLE sec_drift RENAME TO sec_drift2;
DROP VIEW sec_drift_v;
DROP TABLE sec_drift2;
SELECT 'drift' AS fn, pg_catalog.count(*) AS touches FROM migrate.drift;
-- the event trigger functions cannot be called directly
-- fn: migrate.capture_ddl_end()
-- fn: migrate.capture_sql_drop()
-- fn: migrate.capture_table_rewrite()
SELECT 'capture_ddl_end' AS fn, migrate.capture_ddl_end();
