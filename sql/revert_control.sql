-- What a revert reverts and how: targets (steps, version, tag), the plan
-- hash, failed and partially applied versions, hand-written down sections,
-- refusals, the transaction, privileges and the search_path.
DROP EXTENSION IF EXISTS migrate;
CREATE EXTENSION migrate;
CREATE FUNCTION apply(v text, VARIADIC stmts text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, NULL, 0, 'file', 'public', 'regress')
$$;
CREATE FUNCTION apply_down(v text, stmts text[], down text[]) RETURNS text LANGUAGE sql AS $$
	SELECT CASE WHEN ok THEN 'ok' ELSE error END
	FROM migrate.apply_file(v, 'version ' || v, 'h1:' || v, array_to_string(stmts, E'\n'), stmts,
		NULL, down, 0, 'file', 'public', 'regress')
$$;
CREATE FUNCTION status() RETURNS text LANGUAGE sql AS $$
	SELECT string_agg(version || ':' || state, ' ' ORDER BY migrate.version_key(version)) FROM migrate_status()
$$;

SELECT apply('1', 'CREATE TABLE t (id int PRIMARY KEY)');
SELECT apply('2', 'ALTER TABLE t ADD COLUMN a int');
SELECT migrate_tag('two');
SELECT apply('3', 'ALTER TABLE t ADD COLUMN b int');
SELECT apply('4', 'ALTER TABLE t ADD COLUMN c int');

-- Targets: a count, a version, a tag; what is not recorded is an error.
SELECT version, kind, statement FROM migrate_plan(2) WHERE kind IN ('statement', 'verify', 'plan');
SELECT version, kind, statement FROM migrate_plan(to_version => '2') WHERE kind IN ('statement', 'verify', 'plan');
SELECT version, kind, statement FROM migrate_plan(to_tag => 'two') WHERE kind IN ('statement', 'verify', 'plan');
SELECT * FROM migrate_plan(to_version => '4');
SELECT * FROM migrate_plan(to_version => '9');
SELECT * FROM migrate_plan(to_tag => 'nine');
SELECT * FROM migrate_plan(to_version => '2', to_tag => 'two');
SELECT * FROM migrate_plan(5);
SELECT * FROM migrate_plan(0);

-- The plan hash: the same state gives the same plan; a reviewed plan runs
-- only while the state still gives it.
SELECT (SELECT result FROM migrate_plan(2) WHERE kind = 'plan') = (SELECT result FROM migrate_plan(2) WHERE kind = 'plan') AS deterministic;
SELECT result AS reviewed FROM migrate_plan(2) WHERE kind = 'plan' \gset
ALTER TABLE t RENAME COLUMN b TO bee;
SELECT kind, statement FROM migrate_plan(2) WHERE kind IN ('drift', 'statement');
SELECT kind FROM migrate_down(2, plan_hash => :'reviewed', accept_drift => true);
ALTER TABLE t RENAME COLUMN bee TO b;
SELECT kind FROM migrate_down(2, plan_hash => 'h1:not-the-plan', accept_drift => true);
SELECT kind, statement FROM migrate_down(2, plan_hash => :'reviewed', accept_drift => true) WHERE kind IN ('statement', 'verify');
SELECT status();

-- One transaction: rolled back, nothing happened.
BEGIN;
SELECT kind, result FROM migrate_down() WHERE kind = 'verify';
SELECT status() AS inside;
ROLLBACK;
SELECT status() AS after_rollback, (SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'a') AS column_a;

-- A failed version committed nothing: only its revision goes.
SELECT apply('3', 'ALTER TABLE t ADD COLUMN b int', 'ALTER TABLE t ADD COLUMN b int');
SELECT status();
SELECT version, kind, statement FROM migrate_down();
SELECT status();

-- A version applied statement by statement (txmode none) that failed half
-- way: only what it did is undone.
SELECT ok FROM migrate.begin_file('3', 'none', 'h1:none', 'x',
	ARRAY['ALTER TABLE t ADD COLUMN b int', 'CREATE INDEX t_b ON t (b)', 'ALTER TABLE t ADD COLUMN b int', 'ALTER TABLE t ADD COLUMN c int'],
	NULL, NULL, 0, 'public', 'regress');
SELECT status FROM migrate.apply_statement('3', 0, 'public');
SELECT status FROM migrate.apply_statement('3', 1, 'public');
SELECT status, error FROM migrate.apply_statement('3', 2, 'public');
SELECT status();
SELECT version, kind, statement FROM migrate_down();
SELECT status(), (SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname IN ('b', 'c')) AS b_or_c;

-- The same version applied, reverted, applied again: reverted again.
SELECT apply('3', 'ALTER TABLE t ADD COLUMN b int');
SELECT kind, result FROM migrate_down() WHERE kind = 'verify';
SELECT apply('3', 'ALTER TABLE t ADD COLUMN b text');
SELECT version, kind, statement FROM migrate_down() WHERE kind IN ('check', 'statement');

-- A hand-written down section is used instead of the computed plan, with
-- the checks of what it drops and the same verification.
SELECT apply_down('3', ARRAY['ALTER TABLE t ADD COLUMN b int', 'CREATE TABLE audit (line text)'],
	ARRAY['DROP TABLE audit', 'ALTER TABLE t DROP COLUMN b']);
INSERT INTO audit VALUES ('x');
SELECT version, kind, statement, result FROM migrate_down(dry_run => true);
DELETE FROM audit;
SELECT version, kind, statement, result FROM migrate_down();
-- one that does not restore the state is refused
SELECT apply_down('3', ARRAY['ALTER TABLE t ADD COLUMN b int'], ARRAY['ALTER TABLE t RENAME COLUMN b TO bb']);
SELECT * FROM migrate_down();
-- a hand-written down is run under the caller's search_path
CREATE SCHEMA other;
SET search_path = other, public;
SELECT apply_down('5', ARRAY['CREATE TABLE public.u (x int)'], ARRAY['DROP TABLE u']);
SELECT kind, statement, result FROM migrate_down() WHERE kind IN ('statement', 'verify');
RESET search_path;
DROP SCHEMA other;
-- the data migration case: no schema change, a hand-written down
SELECT apply_down('5', ARRAY['INSERT INTO t VALUES (42)'], ARRAY['DELETE FROM t WHERE id = 42']);
SELECT kind, statement FROM migrate_down() WHERE kind IN ('statement', 'verify');
SELECT count(*) AS row_42 FROM t WHERE id = 42;
-- a partially applied version with a hand-written down: the computed plan
SELECT ok FROM migrate.begin_file('5', 'none', 'h1:5', 'x', ARRAY['CREATE TABLE v5 (x int)', 'SELECT 1/0'],
	NULL, ARRAY['DROP TABLE v5', 'DROP TABLE never'], 0, 'public', 'regress');
SELECT status FROM migrate.apply_statement('5', 0, 'public');
SELECT status FROM migrate.apply_statement('5', 1, 'public');
SELECT version, kind, statement FROM migrate_down() WHERE kind IN ('note', 'statement');

-- Versions applied out of order: reverting one refuses while a version
-- applied after it stays.
SELECT apply('35', 'CREATE TABLE t35 (x int)');
SELECT apply('4', 'CREATE TABLE t4 (x int)');
SELECT status();
SELECT * FROM migrate_plan(1);
SELECT version, kind, statement FROM migrate_plan(2) WHERE kind = 'statement';
SELECT kind, result FROM migrate_down(2) WHERE kind = 'verify';

-- Kinds the revert does not handle: refused, naming them, unless the
-- version has a hand-written down section.
SELECT apply('4', 'CREATE AGGREGATE total(int) (SFUNC = int4pl, STYPE = int)');
SELECT * FROM migrate_plan();
SELECT apply_down('5', ARRAY['CREATE POLICY p ON t USING (true)'], ARRAY['DROP POLICY p ON t']);
SELECT kind, statement FROM migrate_down() WHERE kind = 'statement';
DROP AGGREGATE total(int);
SELECT kind FROM migrate_down(accept_drift => true) WHERE kind = 'verify';

-- A hand-written down section that cannot run in a transaction is refused.
SELECT apply_down('4', ARRAY['CREATE INDEX t_a ON t (a)'], ARRAY['DROP INDEX CONCURRENTLY t_a']);
SELECT * FROM migrate_down();

-- A baseline has nothing before it.
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
SELECT migrate.baseline('100', 'baseline', 'regress') > 0 AS baselined;
SELECT apply('101', 'CREATE TABLE t101 (x int)');
SELECT kind FROM migrate_plan(1) WHERE kind = 'verify';
SELECT * FROM migrate_plan(2);
SELECT kind FROM migrate_down() WHERE kind = 'verify';

-- Privileges: a runner may revert; others may not.
CREATE ROLE migrate_regress_reverter LOGIN;
GRANT CREATE ON SCHEMA public TO migrate_regress_reverter;
SELECT migrate.allow_runner('migrate_regress_reverter');
SET ROLE migrate_regress_reverter;
SELECT ok FROM migrate.apply_file('101', 'x', 'h1:101', 'x', ARRAY['CREATE TABLE t101 (x int)'], NULL, NULL, 0, 'file', 'public', 'regress');
SELECT kind, statement FROM migrate_down() WHERE kind = 'statement';
RESET ROLE;
SELECT migrate.disallow_runner('migrate_regress_reverter');
SET ROLE migrate_regress_reverter;
SELECT * FROM migrate_plan();
RESET ROLE;
REVOKE CREATE ON SCHEMA public FROM migrate_regress_reverter;
DROP ROLE migrate_regress_reverter;

-- A search_path that would hijack operators does not reach the revert.
CREATE SCHEMA evil;
CREATE TABLE evil.canary (what text);
CREATE FUNCTION evil.texteq_hook(text, text) RETURNS boolean LANGUAGE sql
	AS $$ INSERT INTO evil.canary VALUES ('=') RETURNING true $$;
CREATE OPERATOR evil.= (LEFTARG = text, RIGHTARG = text, FUNCTION = evil.texteq_hook);
CREATE FUNCTION evil.count(anyelement) RETURNS bigint LANGUAGE sql
	AS $$ INSERT INTO evil.canary VALUES ('count') RETURNING 0::bigint $$;
SELECT apply('101', 'CREATE TABLE t101 (x text)');
INSERT INTO t101 VALUES ('a');
SET search_path = evil, pg_catalog, public;
CREATE TEMP TABLE dry AS SELECT * FROM migrate_down(dry_run => true);
CREATE TEMP TABLE done AS SELECT * FROM migrate_down(allow_loss => ARRAY['public.t101']);
RESET search_path;
SELECT kind, result FROM dry WHERE kind = 'check';
SELECT kind, result FROM done WHERE kind IN ('check', 'verify');
SELECT count(*) AS canary_rows FROM evil.canary;
DROP SCHEMA evil CASCADE;

DROP FUNCTION apply(text, text[]);
DROP FUNCTION apply_down(text, text[], text[]);
DROP FUNCTION status();
DROP TABLE t;
