"""PyTorch CPU reference for bench/bf16.py: LeNet-5, ResNet-20 or the LSTM classifier (the digits as sequences of
28 rows, LSTM 128, last step -> 100 -> 10) trained on the digits bench/bf16.py wrote, in float32 and in bf16
autocast (``torch.autocast("cpu", dtype=torch.bfloat16)``: bf16 convolutions, linear layers and oneDNN LSTMs,
float32 master weights and optimizer), with the same SGD, batch, epochs and order as
ember.bench.Bf16Bench. Prints ``RESULT`` lines: held-out accuracy, training samples/s and samples per CPU second
of each mode (after a few warm-up iterations on a throwaway model; with ``--seeds``, every seed's accuracy and
their mean, min and max), and whether this CPU runs bf16 natively.

Runs in the separate bench virtualenv (PyTorch is not a dependency of Ember).
"""
import argparse
import os
import time

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from torch_lenet5 import lenet5
from torch_resnet20 import ResNet20


class LstmRows(nn.Module):
    """ember.models.LstmClassifier(10, rows' width, 128) without embedding: [batch, steps, features] in."""

    def __init__(self, features, classes=10, hidden=128):
        super().__init__()
        self.lstm = nn.LSTM(features, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, 100), nn.Linear(100, classes), nn.LogSoftmax(dim=1))

    def forward(self, x):
        return self.head(self.lstm(x)[0][:, -1])


def load(d):
    shape = [int(s) for s in open(os.path.join(d, "shape.txt")).read().split()]
    f = lambda name: np.fromfile(os.path.join(d, name + ".f32"), dtype="<f4")
    return (torch.from_numpy(f("train_x").reshape(-1, *shape)), torch.from_numpy(f("train_y")).long(),
            torch.from_numpy(f("test_x").reshape(-1, *shape)), torch.from_numpy(f("test_y")).long())


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--model", choices=("lenet5", "resnet20", "lstm"), required=True)
    p.add_argument("--epochs", type=int, required=True)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, required=True)
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--seeds", type=int, default=1, help="runs per mode; seed s sets the initial weights and data order")
    p.add_argument("--momentum", type=float, default=None, help="SGD momentum (default 0, 0.9 for the LSTM)")
    p.add_argument("--schedule", choices=("const", "poly"), default="const",
                   help="poly: the rate falls linearly to 0 over the run (Ember's Poly(1, iterations))")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x, y, tx, ty = load(args.data)
    native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    print(f"RESULT bf16_native {int(native)}")

    momentum = args.momentum if args.momentum is not None else 0.9 if args.model == "lstm" else 0.0
    total = args.epochs * ((len(y) + args.batch - 1) // args.batch)

    def make(seed):
        torch.manual_seed(seed)
        if args.model == "lstm":
            return LstmRows(x.shape[-1])
        return lenet5() if args.model == "lenet5" else ResNet20()

    def train(model, mode, seed, iterations=None):
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=momentum)
        # Ember's Poly(1, total): the rate of update i (0-based) is lr * (1 - i / total)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: max(0.0, 1.0 - i / total)) if args.schedule == "poly" else None
        g = torch.Generator().manual_seed(seed)
        done = 0
        for _ in range(args.epochs):
            order = torch.randperm(len(y), generator=g)
            for lo in range(0, len(y), args.batch):
                idx = order[lo:lo + args.batch]
                opt.zero_grad()
                with torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
                    out = model(x[idx])
                F.nll_loss(out.float(), y[idx]).backward()
                opt.step()
                if sched is not None:
                    sched.step()
                done += 1
                if iterations is not None and done >= iterations:
                    return

    modes = ("fp32", "bf16")
    for mode in modes:
        train(make(0), mode, 0, iterations=5)  # warm-up: oneDNN's primitives, allocator
    times = {m: [0.0, 0.0] for m in modes}
    accs = {m: [] for m in modes}
    for seed in range(args.seeds):  # the modes alternate, so a change of load hits both alike
        for mode in modes:
            model = make(seed)
            t, cpu = time.perf_counter(), time.process_time()
            train(model, mode, seed)
            times[mode][0] += time.perf_counter() - t
            times[mode][1] += time.process_time() - cpu
            model.eval()
            with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
                pred = torch.cat([model(tx[i:i + 512]).float().argmax(1) for i in range(0, len(ty), 512)])
            accs[mode].append(100.0 * (pred == ty).float().mean().item())
            print(f"RESULT accuracy_{mode}_seed{seed} {accs[mode][-1]:.2f}")
    n = args.epochs * len(y) * args.seeds
    for mode in modes:
        a = accs[mode]
        print(f"RESULT accuracy_{mode} {sum(a) / len(a):.2f}")
        print(f"RESULT accuracy_{mode}_min {min(a):.2f}")
        print(f"RESULT accuracy_{mode}_max {max(a):.2f}")
        print(f"RESULT train_{mode} {n / times[mode][0]:.1f}")
        print(f"RESULT train_{mode}_per_cpu_s {n / times[mode][1]:.1f}")
    print(f"RESULT seeds {args.seeds}")


if __name__ == "__main__":
    main()
