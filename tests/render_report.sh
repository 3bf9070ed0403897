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
-- A job scored with a multivariate model (job 2): its report explains each flagged row.
SELECT anomdet.train_columns('both', 'metrics', ARRAY['value', 'load'], 'mahalanobis');
SELECT anomdet.run_batch('metrics', 'value', model => 'both');
SQL
psql -X -qAt -d $db -c "SELECT anomdet.report(job_id => 1)" > "$out/job.html"
psql -X -qAt -d $db -c "SELECT anomdet.report(job_id => 2)" > "$out/columns.html"
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
render "$out/columns.html"

python3 - "$out" <<'PY'
import re, struct, sys, pathlib, zlib
out = pathlib.Path(sys.argv[1])

def png_pixels(p):
    """(width, height, rows of RGB tuples) of an 8-bit RGB/RGBA non-interlaced PNG."""
    data = p.read_bytes()
    pos, idat, w = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            w, h, depth, colour = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and colour in (2, 6), f"{p}: unexpected PNG format {depth}/{colour}"
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw, stride, rows, prev = zlib.decompress(idat), w * bpp, [], bytearray(w * bpp)
    for y in range(h):
        f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[i:i + 3]) for i in range(0, stride, bpp)])
        prev = line
    return w, h, rows

def ranks_in_order(dom, table_class, rank_cell, group_cell=None):
    """The table's rank cells read as numbers never fall within a group (rank 2 before 10)."""
    body = dom.split(f'<table class="{table_class}">', 1)[1].split("</table>", 1)[0]
    last = {}
    for row in re.findall(r"<tr>(.*?)</tr>", body)[1:]:
        cells = re.findall(r"<td[^>]*>(.*?)</td>", row)
        group = cells[group_cell] if group_cell is not None else ""
        rank = int(cells[rank_cell])
        if rank < last.get(group, 0):
            return f"{table_class}: rank {rank} after {last[group]} in {group or 'the table'}"
        last[group] = rank
    return None

def png_size(p):
    data = p.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", f"{p} is not a PNG"
    w, h = struct.unpack(">II", data[16:24])
    return len(data), w, h
problems = []
for name, needles in {
    "job": ['<svg', 'class="values"', 'class="scores"', 'class="label"', 'class="flag"', '<table class="evaluation">', '<h2>Other columns</h2>', '<title>load</title>'],
    "benchmark": ['<table class="leaderboard">', '<table class="heatmap vus-pr">', '<table class="by-method">'],
    "columns": ['<svg', '<table class="contributions">', '<h2>Flagged rows and the columns that made them</h2>'],
}.items():
    size, w, h = png_size(out / f"{name}.png")
    dom = (out / f"{name}.dom").read_text()
    missing = [n for n in needles if n not in dom]
    print(f"render: {name}.png {w}x{h}, {size} bytes; rendered DOM has {len(needles) - len(missing)}/{len(needles)} expected elements")
    if size < 10_000 or w < 900 or h < 800:
        problems.append(f"{name}.png looks empty or too small")
    if missing:
        problems.append(f"{name}: missing {missing}")
    # Not blank: a share of the screenshot is ink, not white page.
    w, h, pixels = png_pixels(out / f"{name}.png")
    inked = sum(1 for row in pixels for px in row if sum(px) < 600) / (w * h)
    print(f"render: {name}.png {inked:.1%} of the pixels inked")
    if inked < 0.02:
        problems.append(f"{name}.png is nearly blank ({inked:.1%} inked)")
dom = (out / "benchmark.dom").read_text()
for problem in (ranks_in_order(dom, "leaderboard", 0), ranks_in_order(dom, "by-method", 1, group_cell=0)):
    if problem:
        problems.append(problem)
# The heat map's cells are coloured: the screenshot holds dark-blue pixels (the best cells).
w, h, pixels = png_pixels(out / "benchmark.png")
blue = sum(1 for row in pixels for (r, g, b) in row if b > 90 and r < 60 and g < 90)
print(f"render: benchmark.png {blue} dark-blue heat-map pixels")
if blue < 200:
    problems.append(f"benchmark.png: the heat map is not coloured ({blue} dark-blue pixels)")
if problems:
    sys.exit("render: " + "; ".join(problems))
PY
for name in job benchmark columns; do cp "$out/$name.png" "/tmp/anomdet-last-$name-report.png" 2>/dev/null || true; done
rm -rf "$out"
