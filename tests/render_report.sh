#!/usr/bin/env bash
# Render a job report and a benchmark report in headless Chromium and check they are real
# pictures: the PNG exists, is large enough to hold plots, and the rendered DOM holds the
# expected elements. Needs the running cluster in PGHOST/PGPORT and /usr/bin/chromium.
set -euo pipefail
out=$(mktemp -d /tmp/anomdet-render.XXXXXX)
chmod 755 "$out"
db=render_report
PGOPTIONS="-c client_min_messages=warning" psql -X -q -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
psql -X -q -v ON_ERROR_STOP=1 -d $db >/dev/null <<'SQL'
CREATE EXTENSION anomdet;
SELECT anomdet.generate('metrics', 'ecg', length => 4000, period => 120, amplitude => 2, noise => 0.05, seed => 3);
SELECT anomdet.inject('metrics', 'spike', '{value}', '{"magnitude": 3}', seed => 1, count => 4);
SELECT anomdet.inject('metrics', 'mean', '{value}', '{"magnitude": 6}', seed => 2, count => 1, length => 60);
ALTER TABLE metrics ADD COLUMN load double precision;
UPDATE metrics SET load = 50 + 10 * sin(extract(epoch FROM ts) / 3000);
SELECT anomdet.inject('metrics', 'variance', '{load}', seed => 3, count => 2, length => 200);
SELECT anomdet.run_batch('metrics', 'value', 'mad');
SELECT anomdet.benchmark('metrics', 'value', seeds => 1);
SQL
psql -X -qAt -d $db -c "SELECT anomdet.report(job_id => 1)" > "$out/job.html"
psql -X -qAt -d $db -c "SELECT anomdet.report(benchmark_id => 1)" > "$out/benchmark.html"
psql -X -q -c "DROP DATABASE $db" >/dev/null

render() {  # file.html -> file.png and file.dom
    local html=$1 base=${1%.html}
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$out/profile" \
        --window-size=1000,900 --screenshot="$base.png" "file://$html" >/dev/null 2>&1
    chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
        --disable-component-update --disable-sync --user-data-dir="$out/profile" \
        --dump-dom "file://$html" > "$base.dom" 2>/dev/null
}
render "$out/job.html"
render "$out/benchmark.html"

python3 - "$out" <<'PY'
import struct, sys, pathlib
out = pathlib.Path(sys.argv[1])
def png_size(p):
    data = p.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{p} is not a PNG"
    w, h = struct.unpack(">II", data[16:24])
    return len(data), w, h
problems = []
for name, needles in {
    "job": ['<svg', 'class="values"', 'class="scores"', 'class="label"', 'class="flag"', '<table class="evaluation">', '<h2>Other columns</h2>', '<title>load</title>'],
    "benchmark": ['<table class="leaderboard">', '<table class="by-method">'],
}.items():
    size, w, h = png_size(out / f"{name}.png")
    dom = (out / f"{name}.dom").read_text()
    missing = [n for n in needles if n not in dom]
    print(f"render: {name}.png {w}x{h}, {size} bytes; rendered DOM has {len(needles) - len(missing)}/{len(needles)} expected elements")
    if size < 10_000 or w < 900 or h < 800:
        problems.append(f"{name}.png looks empty or too small")
    if missing:
        problems.append(f"{name}: missing {missing}")
if problems:
    sys.exit("render: " + "; ".join(problems))
PY
cp "$out/job.png" /tmp/anomdet-last-job-report.png 2>/dev/null || true
rm -rf "$out"
