"""Shared by the Python test harnesses: a throwaway database with fixtures, and timing a call
that something is expected to stop."""
import time

import psycopg


def fresh_database(name, fixtures):
    """Drop and create database `name`, run `fixtures` in it; returns (admin, conn), autocommit."""
    admin = psycopg.connect(dbname="postgres", autocommit=True)
    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.execute(f"CREATE DATABASE {name}")
    conn = psycopg.connect(dbname=name, autocommit=True)
    conn.execute(fixtures)
    return admin, conn


def drop_database(admin, name):
    admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin.close()


def stopped(conn, sql, stop_after):
    """Run `sql`; (None, seconds) when it finished, else (SQLSTATE, seconds past `stop_after`)."""
    started = time.monotonic()
    try:
        conn.execute(sql)
        return None, time.monotonic() - started
    except psycopg.errors.Error as e:
        return e.sqlstate, time.monotonic() - started - stop_after
