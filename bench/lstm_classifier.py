"""LSTM text-classifier training row of bench/run: Ember's LocalOptimizer against PyTorch CPU in one run.

Model (both sides): token ids [batch, 50] -> embedding 100 -> LSTM 128 -> last step -> 100 -> 20 classes,
batch 128, SGD, generated ids and labels (ember.examples.LstmClassifierBench / bench/torch_lstm_classifier.py).
Ember runs in two thread layouts, 2 replicas x 1 BLAS thread and 1 replica x 2 threads (on a 2-core
machine; generally cores x 1 and 1 x cores), PyTorch with as many threads as cores. The three alternate for
`--rounds` rounds and each keeps its best (the VM's cores change speed from minute to minute). Reported:
samples per second and per CPU second (all threads of the process), and the peak resident memory of each
process (the JVM's, PyTorch's whole process), from the kernel's accounting of the finished child (wait4).

`--bf16` trains both sides in bf16 mixed precision (Ember: `setMixedPrecision("bf16")`, bf16 LSTM and inner
products on oneDNN; PyTorch: bf16 CPU autocast), float32 master weights.

Usage: .venv/bin/python bench/lstm_classifier.py --torch-python /work/bench-venv/bin/python [--rounds 2] [--bf16]
"""
import argparse
import os
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))


def ember_cmd(args, jar):
    from pyspark.find_spark_home import _find_spark_home

    return [os.path.join(_find_spark_home(), "bin", "spark-submit"), "--master", "local[*]", "--driver-memory", "2g",
            "--conf", "spark.ui.enabled=false", "--class", "ember.examples.LstmClassifierBench", jar,
            str(args.samples), str(args.batch), str(args.warmup), str(args.vocab), str(args.seq_len)] + \
        (["bf16"] if args.bf16 else [])


def torch_cmd(args, threads):
    return [args.torch_python, os.path.join(HERE, "torch_lstm_classifier.py"), "--threads", str(threads),
            "--samples", str(args.samples), "--batch", str(args.batch), "--warmup", str(args.warmup),
            "--vocab", str(args.vocab), "--seq-len", str(args.seq_len)] + (["--bf16"] if args.bf16 else [])


def measured(cmd, env):
    """(RESULT dict, peak resident memory in MB) of one child process, from its wait4 rusage."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    out_chunks, err_chunks = [], []

    def drain(stream, sink):
        for chunk in iter(lambda: stream.read(65536), b""):
            sink.append(chunk)

    readers = [threading.Thread(target=drain, args=(proc.stdout, out_chunks)),
               threading.Thread(target=drain, args=(proc.stderr, err_chunks))]
    for r in readers:
        r.start()
    _, status, usage = os.wait4(proc.pid, 0)
    for r in readers:
        r.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = b"".join(out_chunks).decode(), b"".join(err_chunks).decode()
    if proc.returncode != 0:
        raise SystemExit(f"benchmark failed: {' '.join(cmd)}\n{out[-2000:]}\n{err[-4000:]}")
    res = dict(line.split(" ", 2)[1:] for line in out.splitlines() if line.startswith("RESULT "))
    return res, usage.ru_maxrss / 1024.0  # Linux reports kilobytes


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--torch-python", default="")
    p.add_argument("--samples", type=int, default=6400)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--vocab", type=int, default=10000)
    p.add_argument("--seq-len", type=int, default=50)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--bf16", action="store_true", help="both sides in bf16 mixed precision")
    args = p.parse_args()
    import ember

    cores = os.cpu_count()
    print(f"LSTM classifier{' in bf16 mixed precision' if args.bf16 else ''} (seq {args.seq_len}, emb 100, LSTM 128, 20 classes, vocab {args.vocab}, batch {args.batch},"
          f" {args.samples} samples timed); load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}",
          flush=True)
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    sides = [(f"Ember, {cores} replicas x 1 thread", ember_cmd(args, ember.jar_path()),
              dict(base, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")),
             (f"Ember, 1 replica x {cores} threads", ember_cmd(args, ember.jar_path()),
              dict(base, OPENBLAS_NUM_THREADS=str(cores), OMP_NUM_THREADS=str(cores)))]
    if args.torch_python:
        sides.append((f"PyTorch CPU, {cores} threads", torch_cmd(args, cores), dict(base, OMP_NUM_THREADS=str(cores))))
    best = {name: [float("-inf"), float("-inf"), 0.0] for name, _, _ in sides}
    for _ in range(args.rounds):
        for name, cmd, env in sides:
            res, rss = measured(cmd, env)
            b = best[name]
            b[0], b[1] = max(b[0], float(res["lstm_classifier"])), max(b[1], float(res["lstm_classifier_per_cpu_s"]))
            b[2] = max(b[2], rss)
    torch_name = sides[-1][0] if args.torch_python else None
    print(f"{'LSTM classifier training, best of ' + str(args.rounds):<40} {'samples/s':>10} {'per CPU s':>10} "
          f"{'peak RSS MB':>12}  {'ratio/s':>7} {'ratio/CPU s':>11}")
    for name, (sps, cps, rss) in best.items():
        ratio = ratio_cpu = float("nan")
        if torch_name:
            ratio, ratio_cpu = sps / best[torch_name][0], cps / best[torch_name][1]
        print(f"{name:<40} {sps:>10.1f} {cps:>10.1f} {rss:>12.0f}  {ratio:>6.2f}x {ratio_cpu:>10.2f}x")
    if not torch_name:
        print("PyTorch (not installed): no ratio")


if __name__ == "__main__":
    sys.exit(main())
