#!/usr/bin/env bash
# Install the Python peers into a venv (from PyPI) and run bench/peers.py.
# Usage: bash bench/peers.sh [points]   (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PEERS_VENV:-/tmp/anomdet-peers}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q river adtk statsmodels "pandas<3" numpy  # ADTK 0.6 breaks on pandas 3
echo "peers: $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo none), $(nproc) cores;" \
     "$("$venv/bin/python" -c 'import river, adtk, statsmodels; print("river", river.__version__, "adtk", adtk.__version__, "statsmodels", statsmodels.__version__)')"
"$venv/bin/python" bench/peers.py "${1:-1000000}"
