#!/usr/bin/env bash
# NNClassifier.fit against the same training through ember.optim.Optimizer on the same DataFrame (60,000
# generated MNIST-shaped rows, LeNet-5, batch 128; the sides alternate, best round of each kept), and the time
# to decode the DataFrame's rows into samples (see ember.bench.PipelineBench). Extra arguments go to it
# (--rows N --epochs N --batch N --rounds N).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
echo "Spark ML pipeline benchmark: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
OPENBLAS_NUM_THREADS=1 "$spark_home/bin/spark-submit" --master "local[2]" --driver-memory 4g \
  --conf spark.ui.enabled=false --conf "spark.driver.extraJavaOptions=-Dlog4j2.level=warn" \
  --class ember.bench.PipelineBench "$jar" "$@" | grep '^RESULT' | sed 's/^RESULT /  /'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
