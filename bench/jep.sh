#!/usr/bin/env bash
# The cost of Python layers run inside the JVM through jep (ember.jep) against JVM layers: CPU microseconds per
# forward + backward of the identity, swish against Sigmoid, and the MSE loss, for 1, 2,048 and 131,072 elements
# (see ember.bench.JepBench). Extra arguments go to it (--quick).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
echo "jep call overhead (CPU time of the calling thread): $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at start"
EMBER_PYTHON="$py" OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 java -Dlog4j2.level=warn \
  -cp "$jar:$spark_home/jars/*" ember.bench.JepBench "$@" | grep '^RESULT' | sed 's/^RESULT /  /'
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
