-- A read-only PostgreSQL login role for PASOPATI auditors.
--
-- `pasopati audit list|show|export|verify` only read the store, so an auditor's login needs SELECT
-- and nothing else. (`pasopati audit anchor` writes to the Prefect server, not to the store, but it is
-- an operator's task.) Run as the store's owner or a superuser, connected to the store's database:
--
--   psql -d pasopati -v db=pasopati -v schema=public -v owner=pasopati -v auditor=pasopati_auditor \
--        -f docs/auditor-role.sql
--
--   db       the store's database          schema   its schema (public unless search_path says otherwise)
--   owner    the role that runs the migrations (`pasopati db upgrade`) and so owns future tables
--   auditor  the login role to create (pasopati_auditor)
--
-- Then set its password without putting it on a command line: \password pasopati_auditor
-- and give the auditor PASOPATI_DATABASE_URL=postgresql+psycopg://pasopati_auditor@HOST/pasopati.
-- tests/test_auditor_role.py runs this file and proves every audit command works and no write does.

-- A login that can do nothing by itself: no superuser, createdb, createrole (the defaults), and
-- NOINHERIT so a group role it is later added to does not silently lend it write grants.
CREATE ROLE :"auditor" LOGIN NOINHERIT;

-- Defense in depth: every transaction of this role starts read-only, so even a grant added by
-- mistake later cannot be used by accident. (The role may switch it off itself: the grants below,
-- not this setting, are what forbid writing.)
ALTER ROLE :"auditor" SET default_transaction_read_only = on;

-- May connect to the store's database (PUBLIC usually may too; explicit in case it was revoked).
GRANT CONNECT ON DATABASE :"db" TO :"auditor";

-- May see the store's schema and look up its tables; no CREATE on it.
GRANT USAGE ON SCHEMA :"schema" TO :"auditor";

-- May read every table that exists now, alembic_version included (every command checks the schema).
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"auditor";

-- And every table a later migration creates: default privileges apply to objects created by
-- the role named in FOR ROLE, so it must be the role that runs `pasopati db upgrade`.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema" GRANT SELECT ON TABLES TO :"auditor";

-- Explicitly nothing else on the tables, whatever was granted to this role before.
REVOKE INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA :"schema" FROM :"auditor";

-- And no creating objects in the schema. (Before PostgreSQL 15 every role may create in schema
-- public through PUBLIC: there, also run REVOKE CREATE ON SCHEMA public FROM PUBLIC if the owner
-- does not rely on it.)
REVOKE CREATE ON SCHEMA :"schema" FROM :"auditor";

-- What this file cannot take away, because PostgreSQL grants it to PUBLIC (every role) and
-- revoking it there affects every application of the database: creating large objects
-- (lo_create, lo_from_bytea) and TEMPORARY tables. Neither touches PASOPATI's tables, but both
-- use disk. On a database that serves only PASOPATI, the DBA may also run:
--   REVOKE TEMPORARY ON DATABASE :"db" FROM PUBLIC;
--   REVOKE EXECUTE ON FUNCTION lo_create(oid), lo_from_bytea(oid, bytea), lo_import(text), lo_import(text, oid) FROM PUBLIC;
-- and limit the role's sessions: ALTER ROLE :"auditor" SET statement_timeout = '5min';
