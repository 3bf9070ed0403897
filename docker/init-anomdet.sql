-- Runs once when the container's database is first initialised.
CREATE EXTENSION IF NOT EXISTS timescaledb;
CREATE EXTENSION IF NOT EXISTS anomdet;
