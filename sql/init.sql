-- The extension installs (pg_regress --load-extension created it) and the
-- library and the script agree on the version.
SELECT extname, extversion FROM pg_extension WHERE extname = 'migrate';
SELECT migrate.version() = (SELECT extversion FROM pg_extension WHERE extname = 'migrate') AS versions_match;

-- What the install created: the bookkeeping tables, the event triggers
-- (enabled always), and a baseline unit.
SELECT c.relname, c.relkind
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'migrate' AND c.relkind IN ('r', 'v')
ORDER BY 1;
SELECT evtname, evtevent, evtenabled, evtfoid::regproc
FROM pg_event_trigger WHERE evtname LIKE 'migrate%' ORDER BY 1;
SELECT kind, version FROM migrate.units;

-- A schema named "migrate" that the extension did not create makes the
-- installation fail instead of adopting it.
DROP EXTENSION migrate;
CREATE SCHEMA migrate;
CREATE EXTENSION migrate;
DROP SCHEMA migrate;
CREATE EXTENSION migrate;
SELECT count(*) AS units FROM migrate.units;
