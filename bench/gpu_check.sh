#!/usr/bin/env bash
# The GPU path in one run (under 5 minutes on one H200): golden check on CUDA in fp32 and fp16, ours against the
# official call, file-to-score throughput with parallel decoding, one training step per network and loss.
# Without CUDA it runs a reduced form on the CPU. Figures go to $1 (default bench/results/gpu_check.txt).
#
#   bash bench/gpu_check.sh                      # here: the project's .venv, reduced CPU form
#   bash bench/gpu_check.sh "$OUT/gpu_check.txt" # on a GPU machine with torch but not this package's extras:
#                                                # wheels for what it lacks (open_clip_torch, ftfy, wcwidth) in .whl/
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/results/gpu_check.txt}
if [ -x .venv/bin/python ]; then py=.venv/bin/python; else py=${PYTHON:-python3}; fi
if [ -d .whl ] && ! "$py" -c "import open_clip" 2>/dev/null; then
    site=$(mktemp -d)
    "$py" -m pip install -q --no-index --no-deps --no-compile --target "$site" .whl/*.whl || exit 1
    export PYTHONPATH="$site"
fi
export PYTHONPATH="$PWD/src${PYTHONPATH:+:$PYTHONPATH}" DDR_OFFLINE=1 PYTHONUNBUFFERED=1
"$py" -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available())"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || true
shift $(( $# > 0 ? 1 : 0 ))
exec "$py" bench/gpu_check.py --out "$out" "$@"   # further arguments, e.g. --sections golden,training
