#!/usr/bin/env bash
# The distributed engine across executors (see bench/cluster.py): a standalone cluster of two 1-core workers
# on 127.0.0.1 against the LocalOptimizer on local[2] in the same run (LeNet-5 and the 5M MLP: samples/s, time
# split, bytes per executor), then a scaling table over local-cluster[N,1,768] for N = 2, 4, 8 executors, then the
# cost model's alpha / o / B fitted to those rows.
# Arguments go to bench/cluster.py (--iterations, --warmup, --models, --scaling, --scaling-iterations); the standalone
# rows warm up for one MNIST epoch (469 iterations) and time the next one by default, both sides.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${EMBER_BENCH_PYTHON:-$root/.venv/bin/python}"
[ -f "$root/scala/target/ember.jar" ] || (cd "$root" && make jar)
echo "CPU: $(lscpu | sed -n 's/^Model name: *//p')"
"$py" "$root/bench/cluster.py" "$@"
