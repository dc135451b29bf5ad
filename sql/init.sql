-- The extension installs (pg_regress --load-extension created it) and the
-- library and the script agree on the version.
SELECT extname, extversion FROM pg_extension WHERE extname = 'migrate';
SELECT migrate.version() = (SELECT extversion FROM pg_extension WHERE extname = 'migrate') AS versions_match;
