#!/usr/bin/env bash
# Install the machine-learning peers into a venv (from PyPI) and run bench/ml_peers.py.
# Usage: bash bench/ml_peers.sh [windows]   (default 1,000,000)
set -euo pipefail
cd "$(dirname "$0")/.."
venv=${PEERS_VENV:-/tmp/anomdet-peers}
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install -q scikit-learn pyod river stumpy rrcf numpy
echo "peers: $("$venv/bin/python" -c 'import sklearn, pyod, river, stumpy, rrcf; print("scikit-learn", sklearn.__version__, "pyod", pyod.__version__, "river", river.__version__, "stumpy", stumpy.__version__)')"
"$venv/bin/python" bench/ml_peers.py "${1:-1000000}"
