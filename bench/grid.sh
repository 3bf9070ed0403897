#!/usr/bin/env bash
# The benchmark grid over every injection method: every detector × 16 methods × 3 seeds ×
# 3 datasets (a noisy sine, a random walk, an ECG-like series; 3,000 rows each), batch mode,
# default parameters. Prints the leaderboard per method as Markdown, with the null baseline:
# a score that ranks nothing has average precision equal to the share of labelled rows.
# Usage: bash bench/grid.sh > bench/GRID-RESULTS.md
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh >/dev/null
source scripts/cluster.sh
cluster_start "shared_buffers = '256MB'" >/dev/null
q() { psql -X -qAt -v ON_ERROR_STOP=1 -c "$1"; }
q "CREATE EXTENSION anomdet" >/dev/null
q "SELECT anomdet.generate('g_sine', 'sine', length => 3000, period => 150, amplitude => 5, level => 50, noise => 0.5, seed => 1)" >/dev/null
q "SELECT anomdet.generate('g_walk', 'random_walk', length => 3000, seed => 2)" >/dev/null
q "SELECT anomdet.generate('g_ecg', 'ecg', length => 3000, period => 100, amplitude => 2, noise => 0.05, seed => 3)" >/dev/null
q "CREATE VIEW grid AS SELECT 'sine' AS dataset, ts, value FROM g_sine UNION ALL SELECT 'walk', ts, value FROM g_walk UNION ALL SELECT 'ecg', ts, value FROM g_ecg" >/dev/null
t0=$(date +%s.%N)
id=$(q "SELECT anomdet.benchmark('grid', 'value', methods => (SELECT array_agg(name) FROM anomdet.injectors()), seeds => 3, count => 3, length => 20, series_column => 'dataset', name => 'grid')")
secs=$(python3 -c "print(round($(date +%s.%N) - $t0))")
cells=$(q "SELECT count(*) FROM anomdet.benchmark_results WHERE benchmark_id = $id")
echo "# The benchmark grid"
echo
echo "\`bash bench/grid.sh\` on $(date -u +%F), commit $(git rev-parse --short HEAD 2>/dev/null || echo none): every built-in"
echo "detector × every injection method × seeds 1–3 × 3 datasets (a noisy sine, a random walk, an"
echo "ECG-like series; 3,000 rows each; 3 spans of 20 rows per cell), batch mode, default parameters:"
echo "$cells cells in $secs s. Cells are means over seeds and datasets."
echo
echo "## Overall (mean VUS-PR)"
echo
echo "| rank | detector | VUS-PR | AP | ROC-AUC | best F1 | affiliation F1 |"
echo "|---:|---|---:|---:|---:|---:|---:|"
q "SELECT '| ' || rank || ' | ' || detector || ' | ' || round(vus_pr::numeric, 3) || ' | ' || round(pr_auc_ap::numeric, 3) || ' | ' || round(roc_auc::numeric, 3) || ' | ' || round(best_f1::numeric, 3) || ' | ' || coalesce(round(affiliation_f1::numeric, 3)::text, '–') || ' |' FROM anomdet.leaderboard WHERE benchmark_id = $id ORDER BY rank"
echo
echo "## Per injection method: average precision against the null baseline"
echo
echo "The null baseline is the share of labelled rows (the AP of a score that ranks nothing)."
echo "A cell in **bold** is the method's best detector; ≤ null marks a detector no better than the null."
echo
dets=$(q "SELECT string_agg(name, ' ' ORDER BY name) FROM anomdet.detectors()")
echo "| method | null | $(echo $dets | sed 's/ / | /g') |"
echo "|---|---:|$(for d in $dets; do printf -- '---:|'; done)"
q "WITH m AS (
     SELECT method, detector, avg(pr_auc_ap) AS ap, avg(labelled_rows::float8 / rows) AS null_ap
     FROM anomdet.benchmark_results WHERE benchmark_id = $id GROUP BY method, detector),
   best AS (SELECT method, max(ap) AS top FROM m GROUP BY method)
   SELECT '| ' || m.method || ' | ' || round(min(m.null_ap)::numeric, 3) || ' | ' ||
          string_agg(CASE WHEN m.ap = b.top AND m.ap > m.null_ap THEN '**' || round(m.ap::numeric, 3) || '**'
                          WHEN m.ap <= m.null_ap THEN round(m.ap::numeric, 3) || ' ≤ null'
                          ELSE round(m.ap::numeric, 3)::text END, ' | ' ORDER BY m.detector) || ' |'
   FROM m JOIN best b USING (method) GROUP BY m.method ORDER BY m.method"
cluster_stop
