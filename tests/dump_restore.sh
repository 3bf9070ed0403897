#!/usr/bin/env bash
# pg_dump and restore keep anomdet's catalog (reliability checklist D7): inject, run a job,
# benchmark, register a detector, train a model and run a schedule in one database, dump it, restore it into a fresh one,
# then check the catalog rows came along and the restored ledger reverts the restored table
# exactly. Runs against the cluster in PGHOST/PGPORT.
set -euo pipefail
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
dump=$(mktemp /tmp/anomdet-dump.XXXXXX)
q() { psql -X -qAt -v ON_ERROR_STOP=1 -d "$1" -c "$2"; }
fail() { echo "  FAIL $*"; exit 1; }
for db in dr_src dr_dst; do q postgres "DROP DATABASE IF EXISTS $db"; done
q postgres "CREATE DATABASE dr_src"
q dr_src "CREATE EXTENSION anomdet"
q dr_src "CREATE TABLE m AS SELECT timestamptz '2024-01-01' + i * interval '1 minute' AS ts, 10 + sin(i / 20.0) AS value
          FROM generate_series(0, 1999) AS i"
original=$(q dr_src "SELECT md5(string_agg(value::text, ',' ORDER BY ts)) FROM m")
injection=$(q dr_src "SELECT anomdet.inject('m', 'spike', '{value}', seed => 4, count => 5)")
q dr_src "SELECT anomdet.run_batch('m', 'value', 'mad')" >/dev/null
q dr_src "SELECT anomdet.benchmark('m', 'value', '{zscore,mad}', '{spike}', seeds => 1)" >/dev/null
q dr_src "CREATE FUNCTION absolute(vals float8[]) RETURNS float8[] LANGUAGE sql AS \$\$ SELECT array_agg(abs(v) ORDER BY o) FROM unnest(vals) WITH ORDINALITY AS u(v, o) \$\$"
q dr_src "SELECT anomdet.register_detector('absolute', 'absolute', threshold => 100)" >/dev/null
# A model, and a schedule's carried state.
q dr_src "SELECT anomdet.train('m_rrcf', 'm', 'value', 'rrcf', end_time => '2024-01-01 20:00+00')" >/dev/null
q dr_src "SELECT anomdet.score_new_rows('{\"source\": \"m\", \"value_column\": \"value\", \"detector\": \"ewma\"}')" >/dev/null
# A multivariate model (its columns: the value and its lag).
q dr_src "CREATE VIEW m2 AS SELECT ts, value, lag(value) OVER (ORDER BY ts) AS previous FROM m" >/dev/null
q dr_src "SELECT anomdet.train_columns('m_pca', 'm2', ARRAY['value', 'previous'], 'pca', end_time => '2024-01-01 20:00+00')" >/dev/null
model_scores="SELECT md5(string_agg(coalesce(score::text, '-'), ',' ORDER BY ts)) FROM anomdet.detect('m', 'value', model => 'm_rrcf', start_time => '2024-01-01 20:00+00')"
scored_with_model=$(q dr_src "$model_scores")
columns_scores="SELECT md5(string_agg(coalesce(score::text, '-') || coalesce(contributions::text, ''), ',' ORDER BY ts)) FROM anomdet.detect_columns('m2', ARRAY['value', 'previous'], model => 'm_pca', explain => 'all')"
scored_with_columns_model=$(q dr_src "$columns_scores")
summary="SELECT (SELECT count(*) FROM anomdet.jobs) || ' jobs, ' || (SELECT count(*) FROM anomdet.results) || ' results, '
         || (SELECT count(*) FROM anomdet.injection_cells) || ' injected cells, ' || (SELECT count(*) FROM anomdet.benchmark_results)
         || ' benchmark cells, ' || (SELECT count(*) FROM anomdet.custom_detectors) || ' registered detector, '
         || (SELECT count(*) FROM anomdet.models) || ' models, ' || (SELECT md5(string_agg(state::text, ',' ORDER BY series)) FROM anomdet.model_states)
         || ', ' || (SELECT count(*) FROM anomdet.detector_states) || ' detector state'"
before=$(q dr_src "$summary")
injected=$(q dr_src "SELECT md5(string_agg(value::text, ',' ORDER BY ts)) FROM m")

"$PG_BIN/pg_dump" -Fc -d dr_src -f "$dump"
q postgres "CREATE DATABASE dr_dst"
"$PG_BIN/pg_restore" -d dr_dst --exit-on-error "$dump"
after=$(q dr_dst "$summary")
echo "  source:   $before"
echo "  restored: $after"
[ "$before" = "$after" ] || fail "the catalog did not come back whole"
[ "$(q dr_dst "SELECT md5(string_agg(value::text, ',' ORDER BY ts)) FROM m")" = "$injected" ] || fail "the injected table differs"
[ "$(q dr_dst "$model_scores")" = "$scored_with_model" ] || fail "the restored model scores differently"
echo "  ok   the restored model scores the new rows exactly as before the dump"
[ "$(q dr_dst "$columns_scores")" = "$scored_with_columns_model" ] || fail "the restored multivariate model scores differently"
echo "  ok   the restored multivariate model scores and explains every row exactly as before the dump"
q dr_dst "SELECT anomdet.revert_injection($injection)" >/dev/null
[ "$(q dr_dst "SELECT md5(string_agg(value::text, ',' ORDER BY ts)) FROM m")" = "$original" ] || fail "revert after restore is not exact"
echo "  ok   revert_injection($injection) after restore gives back the original table exactly"
[ "$(q dr_dst "SELECT count(*) FILTER (WHERE is_anomaly) FROM anomdet.detect('m', 'value', 'absolute')")" = "0" ] \
    || fail "the restored registered detector does not work"
echo "  ok   the registered detector works after restore"
# New rows after restore continue the restored sequences (no id clash).
q dr_dst "SELECT anomdet.run_batch('m', 'value', 'zscore')" >/dev/null || fail "a new job after restore failed"
echo "  ok   a new job after restore gets a fresh id"
for db in dr_src dr_dst; do q postgres "DROP DATABASE $db"; done
rm -f "$dump"
echo "dump_restore: all checks passed"
