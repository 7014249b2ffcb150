"""PyTorch CPU reference for bench/run: LeNet-5 training samples/s on generated MNIST-shaped data.

Runs in the separate bench virtualenv (PyTorch is not a dependency of Ember). Same model, batch, data size
and timing as ember.examples.Benchmarks: `warmup` iterations, then one full epoch timed.
"""

import torch
from torch import nn

from torch_timing import parser, time_training


def lenet5():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.Tanh(), nn.MaxPool2d(2, 2), nn.Conv2d(6, 12, 5), nn.Tanh(),
                         nn.MaxPool2d(2, 2), nn.Flatten(), nn.Linear(12 * 4 * 4, 100), nn.Tanh(),
                         nn.Linear(100, 10), nn.LogSoftmax(dim=1))


def main():
    args = parser(samples=60000, warmup=20).parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.rand(args.samples, 1, 28, 28, generator=g)
    y = torch.randint(0, 10, (args.samples,), generator=g)
    model = lenet5()
    time_training("lenet5", model, nn.NLLLoss(), x, y, args, order=torch.randperm(args.samples, generator=g))

if __name__ == "__main__":
    main()
