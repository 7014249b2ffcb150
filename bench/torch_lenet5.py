"""PyTorch CPU reference for bench/run: LeNet-5 training samples/s on generated MNIST-shaped data.

Runs in the separate bench virtualenv (PyTorch is not a dependency of Ember). Same model, batch, data size
and timing as ember.examples.Benchmarks: `warmup` iterations, then one full epoch timed.
"""
import argparse
import time

import torch
from torch import nn


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.MaxPool2d(2, 2), nn.Conv2d(6, 12, 5), nn.Tanh(),
                         nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(12 * 4 * 4, 100), nn.Tanh(),
                         nn.Linear(100, 10), nn.LogSoftmax(dim=1))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--samples", type=int, default=60000)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=20)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(args.samples, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (args.samples,), generator=g)
    model, loss_fn = lenet5(), nn.NLLLoss()
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step(i):
        perm_idx = order[(i * args.batch) % args.samples:][: args.batch]
        opt.zero_grad()
        loss = loss_fn(model(x[perm_idx]), y[perm_idx])
        loss.backward()
        opt.step()

    order = torch.randperm(args.samples, generator=g)
    for i in range(args.warmup):
        step(i)
    batches = (args.samples + args.batch - 1) // args.batch
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(batches):
        step(i)
    print(f"RESULT lenet5 {args.samples / (time.perf_counter() - t):.1f}")
    print(f"RESULT lenet5_per_cpu_s {args.samples / (time.process_time() - cpu):.1f}")


if __name__ == "__main__":
    main()
