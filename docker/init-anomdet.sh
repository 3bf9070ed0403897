#!/usr/bin/env bash
# Runs once, when the container's database is first initialised: both extensions, and a
# login role for applications. Stream jobs run as the role that starts them, and anomdet
# refuses to run them as a superuser (docs/security.md, B8), so this role is the one that
# starts streams and schedules detection; postgres stays the administrator.
set -euo pipefail
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
     -v app_user="${ANOMDET_USER:-anomdet}" -v app_password="${ANOMDET_PASSWORD:-anomdet}" <<'SQL'
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS anomdet;
CREATE ROLE :"app_user" LOGIN PASSWORD :'app_password';
GRANT CREATE, USAGE ON SCHEMA public TO :"app_user";
SQL
