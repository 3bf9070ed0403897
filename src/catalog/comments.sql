-- What pgAdmin, DBeaver and psql's \d+ / \df+ show for every object of the extension: one
-- line per function (what it does, the arguments that matter), table, view and column.
-- Applied by anomdet._apply_comments() at the end of a fresh install and of every update, so
-- this file is the one place they are written. A regress test fails on an object without one.

-- Functions.
COMMENT ON FUNCTION anomdet.help() IS
    'Every function with its arguments, what it does and an example to run: SELECT function, description, example FROM anomdet.help() ORDER BY step';
COMMENT ON FUNCTION anomdet.detectors() IS
    'The built-in and registered detectors: name, family, online or batch, parameters with defaults and ranges, a one-line description, and what one pass costs as the series grows (linear or quadratic, seconds per 1M values on 2 cores, the values a minute scores)';
COMMENT ON FUNCTION anomdet._scored_series(text, timestamptz[], float8[], jsonb) IS
    'Internal: what a Citus worker runs when the coordinator scores a table distributed by its series column (one series, scored as detect would, returned as bytes)';
COMMENT ON FUNCTION anomdet._benchmark_series(text, integer, timestamptz[], float8[], jsonb) IS
    'Internal: what a Citus worker runs when the coordinator benchmarks a table distributed by its series column (one series through the whole grid, its evaluated cells as JSON)';
COMMENT ON FUNCTION anomdet.multivariate_detectors() IS
    'The detectors that score several columns together (detect_columns, train_columns), with their parameters';
COMMENT ON FUNCTION anomdet.injectors() IS
    'The anomaly injection methods (spike, step, mean, variance, ..., AnomDet''s lowered and offline) with their parameters';
COMMENT ON FUNCTION anomdet.detect(regclass, text, text, jsonb, text, text, text, text, text, boolean, timestamptz, timestamptz, bigint, text) IS
    'Score every row of source.value_column with a detector (params, mode batch or online, model), returning score, flag, expected value, band and calibrated probability; nothing is stored';
COMMENT ON FUNCTION anomdet._detect_planner_support(internal) IS
    'Planner support of detect: loads anomdet while a call of detect is planned, so the call streams its rows (anomdet.stream_functions); not called directly';
COMMENT ON FUNCTION anomdet.detect_columns(regclass, text[], text, jsonb, text, text, text, text) IS
    'Score rows by several value_columns together (multivariate detector), with each flagged row''s per-column contributions and each row''s calibrated probability';
COMMENT ON FUNCTION anomdet.run_batch(regclass, text, text, jsonb, text, text, text, text, text, text, timestamptz, timestamptz, bigint, text, boolean) IS
    'Score source.value_column as a job: rows go to anomdet.results, the job to anomdet.jobs; returns the job id (cancel with cancel_job)';
COMMENT ON FUNCTION anomdet.run_stream(regclass, text, text, text, jsonb, double precision, text, text, text, jsonb, text) IS
    'Replay source as a simulated real-time stream in a background worker at speedup times real time, scoring each row as it arrives into target; returns the job id';
COMMENT ON FUNCTION anomdet.cancel_job(bigint) IS
    'Cancel one of your queued or running jobs (batch or stream); rows already written are kept, the source is untouched';
COMMENT ON FUNCTION anomdet.job_results(bigint, timestamptz) IS
    'Scored rows of one of your jobs, optionally only those after a timestamp (AnomDet get-data)';
COMMENT ON FUNCTION anomdet.generate(text, text, integer, interval, double precision, double precision, double precision, double precision, double precision, integer, integer, bigint, timestamptz, double precision[]) IS
    'Create table target with a synthetic series of a kind (sine, ecg, walk, ...): length rows every interval, seeded; returns the rows written';
COMMENT ON FUNCTION anomdet.inject(regclass, text, text[], jsonb, bigint, timestamptz, interval, integer, double precision, integer, text, text, text, text) IS
    'Inject labelled anomalies of a method into columns of source (or a copy in target), seeded; the truth goes to anomdet.injections, the original values are kept for revert_injection';
COMMENT ON FUNCTION anomdet.revert_injection(bigint, boolean) IS
    'Put back the original values of an injection (force: even where a row changed since); its labels are retired';
COMMENT ON FUNCTION anomdet.evaluate(bigint, text, timestamptz, timestamptz, text, regclass) IS
    'Metrics of a job against its labels (injected, or yours: label_column of the source, or label_windows with start_ts, end_ts[, series]): precision, recall, F1, VUS-PR, NAB and more, at the detector''s threshold or another';
COMMENT ON FUNCTION anomdet.evaluate_arrays(boolean[], double precision[], boolean[], text) IS
    'The same metrics as evaluate from your own arrays of labels, scores and flags';
COMMENT ON FUNCTION anomdet.benchmark(regclass, text, text[], text[], integer, integer, integer, text, text, text, timestamptz, timestamptz, text, regclass) IS
    'Every detector against every injection method on copies of source.value_column, seeds times, or against your own labels (label_column, label_windows): results in anomdet.benchmark_results, ranked in anomdet.leaderboard';
COMMENT ON FUNCTION anomdet.report(bigint, bigint) IS
    'A self-contained HTML page (plots as inline SVG) for a job (job_id) or a benchmark (benchmark_id); save it with psql''s \g file.html';
COMMENT ON FUNCTION anomdet.decompose(regclass, text, integer, integer, boolean, text, text) IS
    'Robust STL decomposition of source.value_column: trend, season and remainder per row (period found when 0)';
COMMENT ON FUNCTION anomdet.train(text, regclass, text, text, jsonb, text, text, timestamptz, timestamptz) IS
    'Fit a detector once on source.value_column between start_time and end_time and store it as model name (anomdet.models); score later with model => name';
COMMENT ON FUNCTION anomdet.train_columns(text, regclass, text[], text, jsonb, text, text, timestamptz, timestamptz) IS
    'Fit a multivariate detector on several value_columns and store it as model name, for detect_columns(..., model => name)';
COMMENT ON FUNCTION anomdet.drop_model(text) IS
    'Drop your model name and its stored states; false when you have none of that name';
COMMENT ON FUNCTION anomdet.score_new_rows(jsonb) IS
    'Score the rows newer than the watermark of the config''s source, value_column and detector, carrying each series'' detector state; for a scheduler';
COMMENT ON PROCEDURE anomdet.scheduled_detect(integer, jsonb) IS
    'Score the rows newer than the watermark of (source, column, detector, params): for TimescaleDB add_job or pg_cron';
COMMENT ON FUNCTION anomdet.register_detector(text, text, double precision, integer, text, boolean, boolean) IS
    'Register your SQL function(values float8[] [, params jsonb]) -> float8[] as detector name, usable wherever a built-in one is';
COMMENT ON FUNCTION anomdet.unregister_detector(text) IS
    'Remove a detector you registered';
COMMENT ON FUNCTION anomdet.progress() IS
    'The long calls running now in the sessions you may see (benchmark, run_batch, inject, evaluate, train, detect): phase, done / total, elapsed, time left; also the view anomdet.progress';
COMMENT ON FUNCTION anomdet._apply_comments() IS
    'Internal: writes these comments (run by the install and update scripts)';
COMMENT ON FUNCTION anomdet._job_rows(bigint) IS
    'Internal: the scored rows of a job, from anomdet.results or its stream target';
COMMENT ON FUNCTION anomdet._reap_lost_jobs() IS
    'Internal: marks failed the streams whose worker is gone (called by run_stream and cancel_job)';
COMMENT ON FUNCTION anomdet._stream_alive(bigint, integer) IS
    'Internal: whether the background worker of a stream job is still running';
COMMENT ON FUNCTION anomdet._stream_lost(text, text, timestamptz, bigint, integer) IS
    'Internal: whether a job is a stream whose worker is gone';
COMMENT ON FUNCTION anomdet._delete_job_results() IS
    'Internal trigger: deleting a job deletes its scored rows';

-- Tables.
COMMENT ON TABLE anomdet.benchmarks IS 'Benchmark runs: which detectors, methods and seeds on which source; the cells are in benchmark_results';
COMMENT ON TABLE anomdet.benchmark_results IS 'One row per benchmark cell (detector x method x seed x dataset) with every metric and its runtime';
COMMENT ON TABLE anomdet.generated IS 'Tables made by anomdet.generate, with the spec that made them (reproducible)';

-- Views.
COMMENT ON VIEW anomdet.progress IS 'Long anomdet calls running now, one row per session, like pg_stat_progress_*: your own role''s (all with pg_read_all_stats)';
COMMENT ON VIEW anomdet.leaderboard_by_method IS 'Detectors ranked by mean VUS-PR within each injection method of a benchmark';
COMMENT ON VIEW anomdet.leaderboard_by_dataset IS 'Detectors ranked by mean VUS-PR within each dataset (source series) of a benchmark';

-- Columns that mean the same wherever they appear.
DO $comments$
DECLARE
    shared CONSTANT jsonb := '{
        "owner": "The role that made the row; only it (and superusers) can see and change it",
        "created_at": "When the row was made",
        "job_id": "The job (anomdet.jobs.id)",
        "benchmark_id": "The benchmark (anomdet.benchmarks.id)",
        "injection_id": "The injection (anomdet.injections.id)",
        "model_id": "The model (anomdet.models.id)",
        "series": "The series key (value of the series column as text); empty for a table with one series",
        "detector": "Detector name (anomdet.detectors())",
        "params": "Detector parameters as given, JSON",
        "method": "Injection method (anomdet.injectors())",
        "relid": "The table, as regclass (follows a rename)",
        "source_relid": "The source table, as regclass (follows a rename)",
        "relation": "The table''s qualified name when the row was made",
        "source": "The source table''s qualified name",
        "time_column": "The time column",
        "value_column": "The scored value column",
        "value_columns": "The value columns scored together",
        "series_column": "The column that tells series apart; NULL for one series",
        "column_name": "The injected column",
        "ts": "Time of the row",
        "start_ts": "Time of the first row",
        "end_ts": "Time of the last row (inclusive)",
        "rows": "Number of rows",
        "format": "Layout version of the stored state (anomdet state format)",
        "state": "The detector''s learnt state, binary",
        "spec": "The generate() arguments that made the table, JSON",
        "seed": "Random seed (same seed, same result)",
        "seeds": "Seeds per detector and method",
        "placement": "Where and how many anomalies: count, length, start, duration, percent, JSON",
        "name": "Name you gave it",
        "status": "queued, running, succeeded, failed or cancelled (injections: active or reverted)",
        "rank": "Rank by mean VUS-PR, 1 the best (ties share a rank)",
        "dataset": "The series (dataset) the cell scored",
        "cells": "Benchmark cells averaged",
        "vus_pr": "VUS-PR: area under the precision-recall surface over buffer widths (threshold-free, range-aware)",
        "vus_roc": "VUS-ROC: area under the ROC surface over buffer widths",
        "nab_standard": "NAB score, standard profile (NAB''s window weights; 100 perfect, 0 nothing detected)",
        "pr_auc_ap": "Area under the precision-recall curve (average precision)",
        "pr_auc_trapezoid": "Area under the precision-recall curve (trapezoids)",
        "roc_auc": "Area under the ROC curve",
        "best_f1": "Best point F1 over all thresholds: an oracle, an upper bound no threshold rule reaches",
        "f1": "Point F1 of the detector''s own flags",
        "precision": "Share of flagged rows that are labelled",
        "recall": "Share of labelled rows that are flagged",
        "pa_f1": "Point-adjusted F1 (a window counts as found when any row of it is flagged): optimistic",
        "event_f1": "F1 over events (runs of labelled rows), each found or not",
        "range_f1": "Range-based F1 (Tatbul et al. 2018) with flat bias",
        "affiliation_f1": "Affiliation F1 (Huet et al. 2022): distance-based precision and recall",
        "mean_delay_rows": "Mean rows from an event''s start to its first flag",
        "labelled_rows": "Labelled rows in the cell",
        "runtime_ms": "Detector runtime in milliseconds",
        "score": "Anomaly score, larger is more anomalous (unit depends on the detector)",
        "is_anomaly": "Flagged by the detector''s threshold (or by probability when params asked for it)",
        "expected": "The value the detector expected here",
        "lower_bound": "Lower edge of the band the detector accepts",
        "upper_bound": "Upper edge of the band the detector accepts",
        "probability": "Calibrated anomaly probability: share of the detector''s own scores on this series below this one (docs/probability.md)",
        "latency_ms": "Stream jobs: milliseconds from the row''s arrival to its score",
        "contributions": "Multivariate detectors: each column''s share of a flagged row''s score, JSON",
        "value": "The value scored",
        "id": "Identifier",
        "kind": "batch, stream or scheduled",
        "mode": "batch or online",
        "rows_read": "Rows read from the source so far",
        "rows_scored": "Rows scored so far",
        "anomalies": "Rows flagged so far",
        "series_count": "Series scored",
        "started_at": "When the work started",
        "finished_at": "When it ended (succeeded, failed or cancelled)",
        "error": "Why it failed, when it did",
        "backend_pid": "Process id of the backend or background worker doing it",
        "target": "Stream jobs: the table the scored rows are written to",
        "target_relid": "Stream jobs: the target table, as regclass",
        "speedup": "Stream jobs: replay speed, times real time",
        "inject": "Stream jobs: anomalies injected into the replay as it runs, JSON",
        "stream_time": "Stream jobs: the source time the replay has reached",
        "lag_ms": "Stream jobs: how far scoring is behind the replay clock, milliseconds",
        "rows_per_second": "Stream jobs: rows scored per second lately",
        "progress_at": "When the progress columns were last updated",
        "latency_p50_ms": "Stream jobs: median arrival-to-score latency, milliseconds",
        "latency_p99_ms": "Stream jobs: 99th percentile arrival-to-score latency, milliseconds",
        "model": "The stored model scored with (anomdet.models.name), NULL for none",
        "description": "One line on what it does",
        "shared": "Usable by every role (true) or only its owner"
    }';
    own CONSTANT jsonb := '{
        "benchmarks.relid": "The source table, as regclass",
        "benchmarks.detectors": "The detectors compared",
        "benchmarks.methods": "The injection methods used",
        "benchmark_results.rows": "Rows in the cell",
        "custom_detectors.name": "The detector name it is called by",
        "custom_detectors.function": "The SQL function: function(values float8[] [, params jsonb]) -> float8[] scores",
        "custom_detectors.threshold": "Flag rows whose score exceeds this",
        "custom_detectors.min_points": "The fewest values it needs",
        "custom_detectors.function_owner": "The owner of the function (it runs with the caller''s rights)",
        "detector_states.last_ts": "Time of the last row the state has seen",
        "detector_states.in_event": "Whether the last row was inside an anomaly event (alerts group into events)",
        "detector_states.saved_at": "When the state was saved",
        "injection_cells.original": "The value before the injection, as text (exact)",
        "injection_cells.injected": "The value written, as text",
        "injection_cells.tid": "The row''s physical address when injected (revert checks it)",
        "injection_spans.rows": "Rows in the window",
        "injections.columns": "The injected columns",
        "injections.params": "Injection method parameters, JSON",
        "injections.copied_from": "When injected into a copy (target): the table copied",
        "injections.rows_changed": "Rows the injection changed",
        "injections.reverted_at": "When revert_injection put the originals back",
        "job_records.name": "Name you gave the job",
        "jobs.name": "Name you gave the job",
        "running_jobs.name": "Name you gave the job",
        "progress.pid": "Process id of the session running the call (pg_stat_activity.pid)",
        "progress.database": "Database the call runs in",
        "progress.role": "Role running the call",
        "progress.call": "The function: benchmark, run_batch, inject, evaluate, train or detect",
        "progress.phase": "What it is doing: running, reading rows, scoring or writing results",
        "progress.relation": "The table it reads or changes",
        "progress.job_id": "The job it records (run_batch, evaluate) or the benchmark id; NULL for the others",
        "progress.done": "Units done so far (cells of a benchmark, rows otherwise)",
        "progress.total": "Units in all; NULL when not known",
        "progress.total_is_estimate": "The total is the planner''s row estimate of the table (ANALYZE), not a count",
        "progress.percent": "done as a percentage of total",
        "progress.started_at": "When the call began",
        "progress.elapsed": "Time since it began",
        "progress.time_left": "Estimated time left at the rate so far",
        "job_records.params": "Detector parameters, JSON",
        "models.name": "The model name you score with (model => name)",
        "models.train_start": "Time of the first training row",
        "models.train_end": "Time of the last training row",
        "models.rows": "Training rows",
        "models.bytes": "Size of the stored states",
        "model_states.rows": "Training rows of this series",
        "watermarks.watermark": "The newest row time scored; the next run starts after it",
        "watermarks.runs": "Runs so far",
        "watermarks.last_run": "When the last run ended",
        "datasets.relation": "A table or view you can read",
        "datasets.time_columns": "Its time columns (timestamptz, timestamp or date)",
        "datasets.value_columns": "Its numeric columns",
        "datasets.estimated_rows": "Row count from the planner''s statistics",
        "datasets.generated": "Made by anomdet.generate",
        "events.peak_score": "The largest score of the event",
        "events.rows": "Flagged rows in the event",
        "labels.ts": "Time of the labelled row",
        "leaderboard.runtime_ms": "Total detector runtime over the cells, milliseconds",
        "generated.relation": "The table''s qualified name when made"
    }';
    col record;
    text_of text;
BEGIN
    FOR col IN
        SELECT c.oid AS relid, c.relname, a.attname
        FROM pg_catalog.pg_class c
        JOIN pg_catalog.pg_attribute a ON a.attrelid OPERATOR(pg_catalog.=) c.oid
        WHERE c.relnamespace OPERATOR(pg_catalog.=) 'anomdet'::pg_catalog.regnamespace
          AND c.relkind OPERATOR(pg_catalog.=) ANY ('{r,v,p}'::pg_catalog."char"[])
          AND a.attnum OPERATOR(pg_catalog.>) 0 AND NOT a.attisdropped
    LOOP
        text_of := coalesce(own OPERATOR(pg_catalog.->>) (col.relname::pg_catalog.text OPERATOR(pg_catalog.||) '.' OPERATOR(pg_catalog.||) col.attname::pg_catalog.text),
                            shared OPERATOR(pg_catalog.->>) col.attname::pg_catalog.text);
        IF col.relname::pg_catalog.text OPERATOR(pg_catalog.~~) 'leaderboard%'
           AND col.attname::pg_catalog.text OPERATOR(pg_catalog.<>) ALL ('{benchmark_id,rank,detector,method,dataset,cells,runtime_ms}') THEN
            text_of := 'Mean over the cells: ' OPERATOR(pg_catalog.||) text_of;
        END IF;
        IF text_of IS NOT NULL THEN
            EXECUTE pg_catalog.format('COMMENT ON COLUMN %s.%I IS %L', col.relid::pg_catalog.regclass, col.attname, text_of);
        END IF;
    END LOOP;
END
$comments$;
