"""PyTorch CPU reference for bench/run: forward + backward time of single layers on one thread.

Runs in the separate bench virtualenv. The same cases (shapes, training mode, input and parameter gradients,
gradient of 0.01 everywhere) as `ember.examples.Benchmarks layers`: warm-up, then the median over the timed
repetitions of wall and thread-CPU milliseconds.
"""
import argparse
import statistics
import time

import torch
from torch import nn


class _LastLayerLstm(nn.Module):
    """nn.LSTM returning only the per-step hidden states, as Ember's Recurrent(LSTM)."""

    def __init__(self, i, h):
        super().__init__()
        self.lstm = nn.LSTM(i, h, batch_first=True)

    def forward(self, x):
        return self.lstm(x)[0]


def cases():
    g = torch.Generator().manual_seed(0)
    return [
        ("conv_b32_64x32x32_64x3x3_pad1", nn.Conv2d(64, 64, 3, padding=1), torch.randn(32, 64, 32, 32, generator=g)),
        ("batchnorm_b32_64x32x32", nn.BatchNorm2d(64), torch.randn(32, 64, 32, 32, generator=g)),
        ("lstm_b32_t50_128x128", _LastLayerLstm(128, 128), torch.randn(32, 50, 128, generator=g)),
    ]


def measure(step, warmup, reps, clock):
    start = time.perf_counter()
    i = 0
    while i < warmup or time.perf_counter() - start < 1.0:
        step()
        i += 1
    times = []
    for _ in range(reps):
        t = clock()
        step()
        times.append((clock() - t) * 1e3)
    return statistics.median(times)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--reps", type=int, default=10)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    for name, m, x in cases():
        m.train()
        x.requires_grad_(True)
        g = torch.full_like(m(x), 0.01)

        def step():
            m.zero_grad(set_to_none=False)
            x.grad = None
            m(x).backward(g)

        print(f"RESULT {name} {measure(step, args.warmup, args.reps, time.perf_counter):.3f}")
        print(f"RESULT {name}_cpu {measure(step, args.warmup, args.reps, time.thread_time):.3f}")


if __name__ == "__main__":
    main()
