-- Bookkeeping schema.  The user-facing functions live in the extension's schema
-- (so that they are callable unqualified after a plain CREATE EXTENSION); everything
-- internal lives in schema "migrate", which only the extension's owner can
-- write to.  The schema must not exist before CREATE EXTENSION: a pre-created
-- "migrate" schema makes the installation fail rather than adopt it.
CREATE SCHEMA migrate;
REVOKE ALL ON SCHEMA migrate FROM PUBLIC;
-- USAGE lets any role call migrate.version() for the client's handshake and see
-- the names of the bookkeeping objects; every table and every other function
-- stays revoked from PUBLIC below.
GRANT USAGE ON SCHEMA migrate TO PUBLIC;
COMMENT ON SCHEMA migrate IS 'bookkeeping of the migrate extension: revisions, history, images';

CREATE FUNCTION migrate.version() RETURNS pg_catalog.text
	LANGUAGE c STRICT IMMUTABLE PARALLEL SAFE
	SET search_path = pg_catalog, pg_temp
	AS 'MODULE_PATHNAME', 'migrate_version';
REVOKE ALL ON FUNCTION migrate.version() FROM PUBLIC;
-- The handshake is harmless; anyone may ask which version is loaded.
GRANT EXECUTE ON FUNCTION migrate.version() TO PUBLIC;
COMMENT ON FUNCTION migrate.version() IS 'version of the loaded migrate library';
