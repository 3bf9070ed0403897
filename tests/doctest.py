#!/usr/bin/env python3
"""Run the SQL examples in docs/*.md and README.md against the running cluster (PGHOST/PGPORT) and compare
their output with the ```output block that follows each ```sql block.

Each Markdown file gets a fresh database with the extension created, and its blocks run in
order, so later examples can use tables made by earlier ones. Block tags:
  ```sql                 run and compare with the next ```output block, if any
  ```sql ignore-output   run, do not compare (timings, ids)
Also checks that every function in schema anomdet has at least one example.
A page marked `<!-- doctest: timescaledb -->` needs TimescaleDB: it is left out of the plain
run and is the only kind run with --timescaledb (on a cluster with timescaledb preloaded, where
its database gets CREATE EXTENSION timescaledb first).
With --as-hypertables (TimescaleDB preloaded) the plain pages run again, and after every example
each new table with one timestamp column becomes a hypertable of about ten chunks with every
other chunk compressed: the same outputs must come out of anomdet reading and writing them.
An example whose output cannot be the same there (it shows how a table is stored) is tagged
`sql plain-storage` and is left out of that comparison.
"""
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BLOCK = re.compile(r"```(sql(?: [a-z-]+)*|output)\n(.*?)```", re.S)


def psql(db, sql):
    # Progress notices of long calls carry timings: none in the compared output.
    env = dict(os.environ, PGTZ="UTC", PGDATESTYLE="ISO",
               PGOPTIONS=os.environ.get("PGOPTIONS", "") + " -c anomdet.progress_every=0")
    return subprocess.run(
        ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-P", "footer=off", "-d", db],
        input=sql, text=True, capture_output=True, env=env, cwd=ROOT)  # \copy paths are relative to the repo


def normalise(text):
    return [line.rstrip() for line in text.strip("\n").splitlines() if line.strip()]


UPDATE = "--update" in sys.argv
TIMESCALEDB = "--timescaledb" in sys.argv
AS_HYPERTABLES = "--as-hypertables" in sys.argv
# Turns every new plain table into a hypertable, every other chunk compressed (one file, shared
# with the golden tests' TimescaleDB pass).
TO_HYPERTABLES = (ROOT / "tests" / "hypertables.sql").read_text()
MARK = "<!-- doctest: timescaledb -->"


def update_outputs(path, outputs):
    """Rewrite each ```output block with what its example printed (review the diff!)."""
    text, pos, out = path.read_text(), 0, []
    for m in BLOCK.finditer(text):
        if m.group(1) == "output" and m.start() in outputs:
            out.append(text[pos:m.start()] + "```output\n" + outputs[m.start()] + "```")
            pos = m.end()
    out.append(text[pos:])
    path.write_text("".join(out))


def run_file(path):
    db = "doctest_" + re.sub(r"\W", "_", path.stem).lower()
    admin = "postgres"
    psql(admin, f"DROP DATABASE IF EXISTS {db}")
    r = psql(admin, f"CREATE DATABASE {db}")
    if r.returncode:
        return [f"{path}: cannot create database: {r.stderr}"], 0
    if TIMESCALEDB or AS_HYPERTABLES:
        psql(db, "CREATE EXTENSION timescaledb")
    psql(db, "CREATE EXTENSION anomdet")
    failures, examples = [], 0
    matches = list(BLOCK.finditer(path.read_text()))
    blocks = [(m.group(1), m.group(2)) for m in matches]
    outputs = {}
    for i, (tag, body) in enumerate(blocks):
        if not tag.startswith("sql"):
            continue
        examples += 1
        r = psql(db, body)
        where = f"{path.relative_to(ROOT)} example {examples}"
        if r.returncode:
            failures.append(f"{where} failed:\n{body}\n{r.stderr}")
            continue
        if AS_HYPERTABLES:
            converted = psql(db, TO_HYPERTABLES)
            if converted.returncode:
                failures.append(f"{where}: could not turn its tables into hypertables:\n{converted.stderr}")
            if "plain-storage" in tag:
                continue
        expected = blocks[i + 1] if i + 1 < len(blocks) and blocks[i + 1][0] == "output" else None
        if expected is not None and UPDATE and "ignore-output" not in tag:
            outputs[matches[i + 1].start()] = "\n".join(l.rstrip() for l in r.stdout.strip("\n").splitlines()) + "\n"
        elif expected is not None and "ignore-output" not in tag:
            if normalise(r.stdout) != normalise(expected[1]):
                failures.append(f"{where} output differs:\n{body}\n--- expected\n{expected[1]}--- got\n{r.stdout}")
    psql(admin, f"DROP DATABASE IF EXISTS {db}")
    if UPDATE and outputs:
        update_outputs(path, outputs)
    return failures, examples


def undocumented(docs_text):
    r = psql("postgres", "SELECT 1")  # cluster reachable
    db = "doctest_catalog"
    psql("postgres", f"DROP DATABASE IF EXISTS {db}")
    psql("postgres", f"CREATE DATABASE {db}")
    psql(db, "CREATE EXTENSION anomdet")
    r = psql(db, "SELECT DISTINCT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
                 "WHERE n.nspname = 'anomdet' AND p.proname NOT LIKE '\\_%' ORDER BY 1")
    psql("postgres", f"DROP DATABASE IF EXISTS {db}")
    names = [line.strip() for line in r.stdout.splitlines()[2:] if line.strip()]
    return [n for n in names if f"anomdet.{n}(" not in docs_text], len(names)


def main():
    # The README's quick start too: it must run as it is in an empty database.
    files = sorted((ROOT / "docs").rglob("*.md")) + [ROOT / "README.md"]
    failures, examples, docs_text = [], 0, ""
    files = [p for p in files if (MARK in p.read_text()) == TIMESCALEDB]
    if AS_HYPERTABLES:
        print("doctest: every table the examples create becomes a hypertable, every other chunk compressed")
    for path in files:
        text = path.read_text()
        docs_text += "\n".join(b for t, b in BLOCK.findall(text) if t.startswith("sql"))
        f, n = run_file(path)
        failures += f
        examples += n
    missing, total = undocumented(docs_text) if not (TIMESCALEDB or AS_HYPERTABLES) else ([], 0)
    for name in missing:
        failures.append(f"function anomdet.{name}() has no runnable example in docs/")
    print(f"doctest: {examples} examples in {len(files)} files, {total} SQL functions documented"
          f" {total - len(missing)}/{total}, {len(failures)} failures")
    for f in failures:
        print("\n" + f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
