"""ResNet-20 rows of bench/run: training and inference (batch 128, 3x32x32) of Ember against PyTorch CPU.

Model (both sides): ember.models.ResNet(10, 20) / bench/torch_resnet20.py, generated images and labels, SGD;
`--warmup` iterations, then `--samples` images timed (ember.examples.ResNetBench). Ember runs with the default
2g driver heap in two thread layouts, cores replicas x 1 thread and 1 replica x cores threads; PyTorch with as
many threads as cores. The sides alternate for `--rounds` rounds and each keeps its best (the VM's cores change
speed from minute to minute). Reported: samples per second and per CPU second, the peak resident memory of each
process (the JVM's, PyTorch's whole process: wait4's ru_maxrss) and the JVM's live heap after a full GC at the end
of training.

Usage: .venv/bin/python bench/resnet20.py --torch-python /work/bench-venv/bin/python [--rounds 2]
"""
import argparse
import os
import sys

from lstm_classifier import measured  # one child process: RESULT lines and peak RSS

HERE = os.path.dirname(os.path.abspath(__file__))


def ember_cmd(args, jar):
    from pyspark.find_spark_home import _find_spark_home

    return [os.path.join(_find_spark_home(), "bin", "spark-submit"), "--master", "local[*]", "--driver-memory", "2g",
            "--conf", "spark.ui.enabled=false", "--class", "ember.examples.ResNetBench", jar,
            str(args.samples), str(args.batch), str(args.warmup)]


def torch_cmd(args, threads):
    return [args.torch_python, os.path.join(HERE, "torch_resnet20.py"), "--threads", str(threads),
            "--samples", str(args.samples), "--batch", str(args.batch), "--warmup", str(args.warmup)]


KEYS = ("resnet20_train", "resnet20_train_per_cpu_s", "resnet20_predict", "resnet20_predict_per_cpu_s")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--torch-python", default="")
    p.add_argument("--samples", type=int, default=1280)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--rounds", type=int, default=2)
    args = p.parse_args()
    import ember

    cores = os.cpu_count()
    print(f"ResNet-20 (3x32x32, batch {args.batch}, {args.samples} samples timed); load average at start "
          f"{' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    sides = [(f"Ember, {cores} replicas x 1 thread", ember_cmd(args, ember.jar_path()),
              dict(base, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")),
             (f"Ember, 1 replica x {cores} threads", ember_cmd(args, ember.jar_path()),
              dict(base, OPENBLAS_NUM_THREADS=str(cores), OMP_NUM_THREADS=str(cores)))]
    if args.torch_python:
        sides.append((f"PyTorch CPU, {cores} threads", torch_cmd(args, cores), dict(base, OMP_NUM_THREADS=str(cores))))
    best = {name: dict.fromkeys(KEYS + ("rss", "live_heap_mb"), float("nan")) for name, _, _ in sides}
    for _ in range(args.rounds):
        for name, cmd, env in sides:
            res, rss = measured(cmd, env)
            b = best[name]
            for k in KEYS:
                b[k] = max(float(res[k]), b[k]) if b[k] == b[k] else float(res[k])
            b["rss"] = rss if b["rss"] != b["rss"] else max(b["rss"], rss)
            if "live_heap_mb" in res:
                b["live_heap_mb"] = float(res["live_heap_mb"])
    torch_name = sides[-1][0] if args.torch_python else None
    for what, key in (("training", "resnet20_train"), ("inference (predict)", "resnet20_predict")):
        print(f"{'ResNet-20 ' + what + ', best of ' + str(args.rounds):<40} {'samples/s':>10} {'per CPU s':>10} "
              f"{'peak RSS MB':>12} {'live heap MB':>12}  {'ratio/s':>7} {'ratio/CPU s':>11}")
        for name, b in best.items():
            ratio = ratio_cpu = float("nan")
            if torch_name:
                t = best[torch_name]
                ratio, ratio_cpu = b[key] / t[key], b[key + "_per_cpu_s"] / t[key + "_per_cpu_s"]
            print(f"{name:<40} {b[key]:>10.1f} {b[key + '_per_cpu_s']:>10.1f} {b['rss']:>12.0f} "
                  f"{b['live_heap_mb']:>12.0f}  {ratio:>6.2f}x {ratio_cpu:>10.2f}x")
    if not torch_name:
        print("PyTorch (not installed): no ratio")


if __name__ == "__main__":
    sys.exit(main())
