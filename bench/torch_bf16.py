"""PyTorch CPU reference for bench/bf16.py: LeNet-5, ResNet-20 or the LSTM classifier (the digits as sequences of
28 rows, LSTM 128, last step -> 100 -> 10) trained on the digits bench/bf16.py wrote, in float32 and in bf16
autocast (``torch.autocast("cpu", dtype=torch.bfloat16)``: bf16 convolutions, linear layers and oneDNN LSTMs,
float32 master weights and optimizer), with the same SGD, batch, epochs and order as
ember.bench.Bf16Bench. Prints ``RESULT`` lines: held-out accuracy, training samples/s and samples per CPU second
of each mode (after a few warm-up iterations on a throwaway model), and whether this CPU runs bf16 natively.

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
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    x, y, tx, ty = load(args.data)
    native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
    print(f"RESULT bf16_native {int(native)}")

    def make():
        torch.manual_seed(0)
        if args.model == "lstm":
            return LstmRows(x.shape[-1])
        return lenet5() if args.model == "lenet5" else ResNet20()

    def train(model, mode, iterations=None):
        opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9 if args.model == "lstm" else 0.0)
        g = torch.Generator().manual_seed(0)
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
                done += 1
                if iterations is not None and done >= iterations:
                    return

    for mode in ("fp32", "bf16"):
        train(make(), mode, iterations=5)  # warm-up: oneDNN's primitives, allocator
        model = make()
        t, cpu = time.perf_counter(), time.process_time()
        train(model, mode)
        wall, cpu = time.perf_counter() - t, time.process_time() - cpu
        model.eval()
        with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=(mode == "bf16")):
            pred = torch.cat([model(tx[i:i + 512]).float().argmax(1) for i in range(0, len(ty), 512)])
        n = args.epochs * len(y)
        print(f"RESULT accuracy_{mode} {100.0 * (pred == ty).float().mean().item():.2f}")
        print(f"RESULT train_{mode} {n / wall:.1f}")
        print(f"RESULT train_{mode}_per_cpu_s {n / cpu:.1f}")


if __name__ == "__main__":
    main()
