"""The timing shared by the PyTorch CPU references (bench/torch_*.py), so every model is timed the same way as
its Ember twin: SGD (lr 0.01), `warmup` iterations, then one full epoch timed by wall clock and process CPU
time, printed as `RESULT <name> <samples/s>` and `RESULT <name>_per_cpu_s <samples per CPU s>`.
"""
import argparse
import time

import torch


def parser(samples, warmup):
    """The options every reference takes: --threads (required), --samples, --batch, --warmup."""
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, required=True)
    p.add_argument("--samples", type=int, default=samples)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=warmup)
    return p


def time_training(name, model, loss_fn, x, y, args, order=None):
    """Warm up, then time one epoch of SGD; batches are taken in `order` (a permutation) or, without it, in turn."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step(i):
        lo = (i * args.batch) % args.samples
        idx = order[lo:][: args.batch] if order is not None else slice(lo, lo + args.batch)
        opt.zero_grad()
        loss_fn(model(x[idx]), y[idx]).backward()
        opt.step()

    for i in range(args.warmup):
        step(i)
    batches = (args.samples + args.batch - 1) // args.batch
    t, cpu = time.perf_counter(), time.process_time()
    for i in range(batches):
        step(i)
    print(f"RESULT {name} {args.samples / (time.perf_counter() - t):.1f}")
    print(f"RESULT {name}_per_cpu_s {args.samples / (time.process_time() - cpu):.1f}")
