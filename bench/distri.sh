#!/usr/bin/env bash
# DistriOptimizer against LocalOptimizer, measured in the same JVM run (see ember.bench.DistriBench):
# LeNet-5 and a ~5M-parameter MLP, batch 128, over 1, 2 and 4 partitions in local[N], wire codecs none and bf16.
# Prints samples/s of both, their ratio and the DistriOptimizer's time split per iteration (compute /
# sync / scheduling). Extra arguments go to DistriBench (e.g. --models lenet5 --parts 2 --iterations 200).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${EMBER_BENCH_PYTHON:-$root/.venv/bin/python}"
jar="$root/scala/target/ember.jar"
[ -f "$jar" ] || (cd "$root" && make jar)
spark_home="$("$py" -c 'from pyspark.find_spark_home import _find_spark_home; print(_find_spark_home())')"
echo "[distri] machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) (shared machine: figures vary)"
OPENBLAS_NUM_THREADS=1 "$spark_home/bin/spark-submit" --master "local[*]" --driver-memory 4g \
  --conf spark.ui.enabled=false --conf "spark.driver.extraJavaOptions=-Dlog4j2.level=warn" \
  --class ember.bench.DistriBench "$jar" "$@" | grep '^RESULT' | sed 's/^RESULT //'
