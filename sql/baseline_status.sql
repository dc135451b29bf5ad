-- The baseline image, the clean-database rule, baseline revisions, status,
-- tags and "migrate set".
DROP EXTENSION IF EXISTS migrate;
SELECT count(*) AS leftover_tables FROM pg_tables WHERE schemaname = 'public';
CREATE EXTENSION migrate;
SELECT * FROM migrate.is_clean();

-- Objects that exist before CREATE EXTENSION are in the baseline image.
DROP EXTENSION migrate;
CREATE TABLE before_ext (id int PRIMARY KEY, note text);
CREATE VIEW before_view AS SELECT id FROM before_ext;
CREATE EXTENSION migrate;
SELECT u.kind, o.kind, i.identity
FROM migrate.images i JOIN migrate.units u ON u.id = i.unit JOIN migrate.objects o ON o.id = i.object
ORDER BY 2, 3;
SELECT * FROM migrate.is_clean();
CREATE FUNCTION before_fn() RETURNS int LANGUAGE sql RETURN 1;
CREATE SCHEMA before_schema;
SELECT * FROM migrate.is_clean();
DROP FUNCTION before_fn();
DROP SCHEMA before_schema;

-- Retaking the baseline writes only what changed (here: nothing, then one
-- object changed behind migrate's back with capture off).
SELECT migrate.take_baseline() > 0 AS took;
SELECT count(*) AS images_in_second_baseline FROM migrate.images
WHERE unit = (SELECT max(id) FROM migrate.units);
SET migrate.capture = off;
COMMENT ON TABLE before_ext IS 'changed unseen';
RESET migrate.capture;
SELECT migrate.take_baseline() > 0 AS took;
SELECT i.identity FROM migrate.images i WHERE unit = (SELECT max(id) FROM migrate.units);

-- First run on a database that holds its schema: a baseline revision.
SELECT migrate.baseline('20260101000000', 'existing schema', 'regress') > 0 AS baseline_unit;
SELECT version, description, type, state, applied, total FROM migrate_status();
SELECT migrate_object_state('table', 'public.before_ext', '20260101000000') ->> 'comment' AS comment_at_baseline;
SELECT migrate.baseline('20260101000000', 'again', 'regress');

-- Applied, partial and failed rows, in version order.
SELECT ok FROM migrate.apply_file('20260102000000', 'add column', 'h1:a', 'x',
	ARRAY['ALTER TABLE before_ext ADD COLUMN extra int;'], NULL, NULL, 0, 'file', 'public', 'regress');
SELECT ok FROM migrate.begin_file('20260103000000', 'partial', 'h1:b', 'x',
	ARRAY['CREATE TABLE p1 (id int);', 'CREATE TABLE p2 (id int);'], NULL, NULL, 0, 'public', 'regress');
SELECT status FROM migrate.apply_statement('20260103000000', 0, 'public');
SELECT version, description, type, state, applied, total, error, error_stmt FROM migrate_status();
SELECT version, type, applied, total, hash, partial_hashes IS NOT NULL AS has_running_hashes
FROM migrate.list_revisions();

-- Tags name the current version: the highest complete one.
SELECT migrate_tag('release-1');
SELECT migrate_tag('release-1');
SELECT migrate_tag('');
SELECT name, version FROM migrate.tags;

-- "migrate set": remove rows above the target, mark a partial row at or
-- below it as set, add rows for files without one.
SELECT * FROM migrate.set_version('20260103000000',
	ARRAY['20260101000000', '20260102000000', '20260103000000'],
	ARRAY['existing schema', 'add column', 'partial'], ARRAY['', 'h1:a', 'h1:b'], 'regress');
SELECT version, type, state FROM migrate_status();
SELECT * FROM migrate.set_version('20260101000000',
	ARRAY['20260101000000'], ARRAY['existing schema'], ARRAY[''], 'regress');
SELECT version, type, state FROM migrate_status();
SELECT * FROM migrate.set_version('20260102000000',
	ARRAY['20260101000000', '20260102000000'], ARRAY['existing schema', 'add column'],
	ARRAY['', 'h1:a'], 'regress');
SELECT version, type, state FROM migrate_status();
SELECT * FROM migrate.set_version('1', ARRAY['1', '2'], ARRAY['x'], ARRAY['h'], 'regress');

DROP VIEW before_view;
DROP TABLE before_ext, p1;
DROP EXTENSION migrate;
CREATE EXTENSION migrate;
