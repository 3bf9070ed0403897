#!/usr/bin/env python3
"""The integrity invariant of every write path, as a seeded property test.

Each case builds a random source: a plain table, a declarative partitioned table (some with
sub-partitions), or, when TimescaleDB is installed, a hypertable with a random chunk interval,
sometimes with a space dimension, with some, all or none of its chunks compressed. Then it runs
random injections (methods, columns, series, count / percent / time placements, overlapping),
in place or into a copy, compresses and decompresses chunks between the calls, drops a chunk
now and then, and reverts the injections in a random order. After every call it compares every
cell of the table with a model:
  - after an injection, the cells that differ from before are exactly the cells its ledger lists,
    each holding the ledger's injected text, and no other row or column changed;
  - after a revert, each cell holds the injected text of the latest still-active injection that
    covers it, or the original text when none does;
  - after the last revert, the table is identical to the original (full-table md5, every row);
  - a copy leaves its source untouched; a dropped chunk makes revert warn and restore the rest.
Usage: python tests/integrity.py [--seed N] [--seconds S] [--cases N]  (PGHOST/PGPORT set)
A failure prints the seed and case, which reproduce it alone: --seed N --cases 1."""
import argparse
import random
import sys
import time

import psycopg

from pgtest import drop_database, fresh_database

DB = "anomdet_integrity"
METHODS = ["spike", "step", "noise", "lowered", "offline", "missing", "mean", "variance", "trend", "extremum"]
COLUMNS = ["value", "load", "count"]  # float8, numeric(10,3), integer


class Case:
    def __init__(self, conn, rng, number, timescale, warnings):
        self.conn, self.rng, self.number = conn, rng, number
        self.table = f"src_{number}"
        self.kinds = ["plain", "partitioned", "subpartitioned"] + (["hypertable", "space"] * 2 if timescale else [])
        self.kind = rng.choice(self.kinds)
        self.keyed = self.kind in ("subpartitioned", "space") or rng.random() < 0.5
        self.warnings = warnings
        warnings.clear()

    # ---- building the source -------------------------------------------------------------
    def build(self):
        rng, t = self.rng, self.table
        series = ["a", "b", "c"][: rng.randint(1, 3)] if self.keyed else [None]
        rows = rng.randint(150, 900)
        key_col = ", host text NOT NULL" if self.keyed else ""
        create = f"CREATE TABLE {t} (ts timestamptz NOT NULL{key_col}, value float8, load numeric(10,3), count integer)"
        if self.kind == "partitioned":
            create += " PARTITION BY RANGE (ts)"
        elif self.kind == "subpartitioned":
            create += " PARTITION BY LIST (host)"
        self.sql(create)
        step = rng.choice([30, 60, 300])  # seconds between rows
        span = rows * step
        if self.kind == "partitioned":
            self.range_partitions(t, span)
        elif self.kind == "subpartitioned":
            for k in ["a", "b", "c"]:
                self.sql(f"CREATE TABLE {t}_{k} PARTITION OF {t} FOR VALUES IN ('{k}') PARTITION BY RANGE (ts)")
                self.range_partitions(f"{t}_{k}", span)
        elif self.kind in ("hypertable", "space"):
            chunk = max(span // rng.randint(2, 12), 600)
            if self.kind == "space":
                self.sql(f"SELECT create_hypertable('{t}', 'ts', 'host', {rng.randint(2, 4)}, "
                         f"chunk_time_interval => interval '{chunk} seconds')")
            else:
                self.sql(f"SELECT create_hypertable('{t}', 'ts', chunk_time_interval => interval '{chunk} seconds')")
            segment = ", timescaledb.compress_segmentby = 'host'" if self.keyed else ""
            self.sql(f"ALTER TABLE {t} SET (timescaledb.compress{segment})")
        for k in series:
            key_value = f", '{k}'" if self.keyed else ""
            offset = rng.randint(0, 59)
            self.sql(
                f"INSERT INTO {t} SELECT timestamptz '2024-01-01' + (i * {step} + {offset}) * interval '1 second'{key_value}, "
                f"10 + sin(i / 9.0) + (i % 7) / 10.0, round((50 + cos(i / 5.0) * 3)::numeric, 3), 100 + i % 13 "
                f"FROM generate_series(0, {rows - 1}) AS i")
        if self.kind in ("hypertable", "space"):
            self.recompress(rng.choice(["none", "some", "all"]))
        self.original = self.snapshot()
        self.original_checksum = self.checksum()

    def range_partitions(self, parent, span):
        parts = self.rng.randint(2, 5)
        width = span // parts + 3600
        for p in range(parts + 1):
            lo = f"timestamptz '2024-01-01' + {p * width} * interval '1 second'"
            hi = "MAXVALUE" if p == parts else f"timestamptz '2024-01-01' + {(p + 1) * width} * interval '1 second'"
            self.sql(f"CREATE TABLE {parent}_p{p} PARTITION OF {parent} FOR VALUES FROM ({lo}) TO ({hi})")

    def chunks(self):
        return [r[0] for r in self.sql(f"SELECT c::text FROM show_chunks('{self.table}') c ORDER BY 1").fetchall()]

    def recompress(self, how):
        for c in self.chunks():
            if how == "all" or (how == "some" and self.rng.random() < 0.5):
                self.sql(f"SELECT compress_chunk('{c}', if_not_compressed => true)")
            elif how == "none" or self.rng.random() < 0.5:
                self.sql(f"SELECT decompress_chunk('{c}', if_compressed => true)")

    # ---- reading ----------------------------------------------------------------------------
    def snapshot(self, table=None):
        key = "host" if self.keyed else "NULL::text"
        rows = self.sql(f"SELECT ts, {key}, value::text, load::text, count::text FROM {table or self.table}").fetchall()
        return {(r[0], r[1]): dict(zip(COLUMNS, r[2:])) for r in rows}

    def checksum(self, table=None):
        key = "host" if self.keyed else "''"
        return self.sql(f"SELECT md5(string_agg(concat_ws('|', ts, {key}, value, load, count), ',' "
                        f"ORDER BY ts, {key})) FROM {table or self.table}").fetchone()[0]

    def ledger(self, injection):
        rows = self.sql("SELECT ts, series, column_name, original, injected FROM anomdet.injection_cells "
                        "WHERE injection_id = %s", [injection]).fetchall()
        return {(r[0], r[1] if self.keyed else None, r[2]): (r[3], r[4]) for r in rows}

    def sql(self, text, args=None):
        return self.conn.execute(text, args)

    # ---- the calls --------------------------------------------------------------------------
    def inject_args(self):
        rng = self.rng
        columns = rng.sample(COLUMNS, rng.randint(1, 2))
        method = rng.choice(METHODS)
        place = rng.choice(["count", "percent", "time"])
        if place == "count":
            where = f"count => {rng.randint(1, 4)}, length => {rng.randint(1, 12)}"
        elif place == "percent":
            where = f"percent => {rng.choice([1, 3, 8])}, length => {rng.randint(1, 5)}"
        else:
            start = rng.randint(0, 40_000)
            where = (f"start_time => timestamptz '2024-01-01' + interval '{start} seconds', "
                     f"duration => interval '{rng.randint(60, 6000)} seconds'")
        series = ""
        if self.keyed:
            series = ", series_column => 'host'" + (", series => 'a'" if rng.random() < 0.3 else "")
        cols = "{" + ",".join(columns) + "}"
        return (f"SELECT anomdet.inject('{self.table}', '{method}', '{cols}', seed => {rng.randint(1, 10**6)}, "
                f"{where}{series}")

    def compare(self, call, now, expected, cells):
        """The table after an injection against the model: every cell of every row."""
        wrong = diff(now, expected)
        if not wrong:
            return []
        outside = [w for w in wrong if (w[0][0], w[0][1], w[1]) not in cells]
        return [f"{call}): {len(wrong)} cells differ from the model ({len(outside)} outside the ledger's "
                f"{len(cells)}), e.g. {sorted(wrong)[:3]}"]

    def run(self):
        """Returns a list of failures (strings)."""
        failures = []
        self.build()
        model = dict(self.original)
        active = []  # (id, {(ts, key, col): injected text})
        for _ in range(self.rng.randint(1, 4)):
            if self.kind in ("hypertable", "space") and self.rng.random() < 0.4:
                self.recompress("some")
            into_copy = self.rng.random() < 0.15
            call = self.inject_args()
            copy = f"{self.table}_copy{self.rng.randint(0, 10**9)}"
            if into_copy:
                call += f", target => '{copy}'"
            before = self.snapshot()
            try:
                injection = self.sql(call + ")").fetchone()[0]
            except psycopg.errors.Error as e:
                # A placement that selects nothing, or spans that do not fit, is refused; nothing changes.
                if e.sqlstate not in ("22023",):
                    failures.append(f"{call}): {e.sqlstate} {e}")
                if self.snapshot() != before:
                    failures.append(f"{call}): a refused call changed the table")
                continue
            cells = self.ledger(injection)
            if into_copy:
                if self.snapshot() != before:
                    failures.append(f"{call}): injecting into a copy changed the source")
                failures += self.compare(call, self.snapshot(copy), apply(before, cells, "injected"), cells)
                self.sql(f"SELECT anomdet.revert_injection({injection})")
                if self.snapshot(copy) != before:
                    failures.append(f"{call}): revert of the copy's injection did not restore the copy")
                continue
            for (ts, key, col), (orig, _) in cells.items():
                if model.get((ts, key), {}).get(col) != orig:
                    failures.append(f"{call}): ledger original of {ts} {key} {col} is {orig!r}, "
                                    f"the table held {model.get((ts, key), {}).get(col)!r}")
            model = apply(model, cells, "injected")
            failures += self.compare(call, self.snapshot(), model, cells)
            active.append((injection, {k: v[1] for k, v in cells.items()}))
            if failures:
                return failures
        dropped = self.maybe_drop_chunk(active)
        self.rng.shuffle(active)
        while active:
            if self.kind in ("hypertable", "space") and self.rng.random() < 0.4:
                self.recompress("some")
            injection, _ = active.pop()
            restored = self.sql(f"SELECT anomdet.revert_injection({injection})").fetchone()[0]
            expected = dict(self.original)
            for key in dropped:
                expected.pop(key, None)
            for _, cells in sorted(active):  # oldest first: a later injection's text wins
                for (ts, key, col), text in cells.items():
                    if (ts, key) in expected:
                        expected[(ts, key)] = dict(expected[(ts, key)], **{col: text})
            now = self.snapshot()
            if now != expected:
                failures.append(f"revert_injection({injection}) left {len(diff(now, expected))} cells wrong, "
                                f"e.g. {sorted(diff(now, expected))[:3]} (restored {restored})")
                return failures
        if not dropped and self.checksum() != self.original_checksum:
            failures.append("after every revert the table's checksum differs from the original")
        if dropped and not any("could not be restored" in w for w in self.warnings):
            failures.append("revert after a dropped chunk did not warn about the cells it could not restore")
        return failures

    def maybe_drop_chunk(self, active):
        """Drop one chunk holding injected cells (as a retention policy would); returns its rows."""
        if self.kind not in ("hypertable", "space") or not active or self.rng.random() < 0.6:
            return set()
        ts, host, _ = next(iter(active[0][1]))
        # The chunk of that very cell: with a space dimension, other hosts' rows at the same
        # time live in other chunks, which may hold no injected cell at all.
        same_row = "host IS NOT DISTINCT FROM %s" if self.keyed else "%s::text IS NULL"
        chunk = self.sql(f"SELECT tableoid::regclass::text FROM {self.table} WHERE ts = %s AND {same_row} LIMIT 1",
                         [ts, host]).fetchone()
        if not chunk:
            return set()
        key = "host" if self.keyed else "NULL::text"
        gone = {(r[0], r[1]) for r in self.sql(f"SELECT ts, {key} FROM {chunk[0]}").fetchall()}
        self.sql(f"DROP TABLE {chunk[0]}")
        return gone


def apply(state, cells, which):
    out = {k: dict(v) for k, v in state.items()}
    for (ts, key, col), (orig, injected) in cells.items():
        if (ts, key) in out:
            out[(ts, key)][col] = injected if which == "injected" else orig
    return out


def diff(a, b):
    return {(k, c) for k in set(a) | set(b) for c in COLUMNS if a.get(k, {}).get(c) != b.get(k, {}).get(c)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100_000)
    parser.add_argument("--seconds", type=float, default=180)
    parser.add_argument("--cases", type=int, default=10_000)
    args = parser.parse_args()
    admin, conn = fresh_database(DB, "CREATE EXTENSION anomdet")
    timescale = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'timescaledb'").fetchone()[0] > 0
    if timescale:
        conn.execute("CREATE EXTENSION timescaledb")
        # Compression-ratio warnings on tiny chunks are noise; revert's own warning is checked.
        conn.execute("SET timescaledb.enable_compression_ratio_warnings = off")
        conn.execute("SET timescaledb.enable_deprecation_warnings = off")
    conn.execute("SET TimeZone = 'UTC'")
    print(f"integrity: seed {args.seed}, relation kinds: plain, partitioned, sub-partitioned"
          f"{', hypertable, hypertable with a space dimension (compressed chunks too)' if timescale else ' (TimescaleDB not installed: hypertables skipped)'}")
    started, counts, failures = time.monotonic(), {}, []
    warnings = []
    conn.add_notice_handler(lambda d: warnings.append(d.message_primary or ""))
    case = 0
    while case < args.cases and time.monotonic() - started < args.seconds:
        rng = random.Random(args.seed * 100_003 + case)
        c = Case(conn, rng, case, timescale, warnings)
        try:
            found = c.run()
        except psycopg.errors.Error as e:
            found = [f"{type(e).__name__} {e.sqlstate}: {e}"]
        counts[c.kind] = counts.get(c.kind, 0) + 1
        if found:
            failures.append((case, c.kind, found))
            print(f"  FAIL seed {args.seed} case {case} ({c.kind}): reproduce with --seed {args.seed} --cases {case + 1}")
            for f in found[:5]:
                print(f"    {f}")
            break
        for t in [r[0] for r in conn.execute(
                "SELECT relname FROM pg_class WHERE relname LIKE %s AND relkind IN ('r', 'p') "
                "AND NOT relispartition", [f"src_{case}%"]).fetchall()]:
            conn.execute(f"DROP TABLE IF EXISTS {t} CASCADE")
        case += 1
    conn.close()
    drop_database(admin, DB)
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(counts.items()))
    print(f"integrity: {case} cases in {time.monotonic() - started:.0f} s ({kinds}), {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
