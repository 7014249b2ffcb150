# Sourced by the bench shell scripts: the checkout's root, its Python (EMBER_BENCH_PYTHON overrides), Ember's jar
# (built when missing) and the Spark home of pyspark's distribution.
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
py="${EMBER_BENCH_PYTHON:-$root/.venv/bin/python}"
jar="$root/scala/target/ember.jar"
[ -f "$jar" ] || (cd "$root" && make jar)
spark_home="$("$py" -c 'from pyspark.find_spark_home import _find_spark_home; print(_find_spark_home())')"
