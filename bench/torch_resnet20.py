"""PyTorch CPU reference for bench/resnet20.py: ResNet-20 (3x32x32) training and inference samples/s.

Runs in the separate bench virtualenv. The same network as ember.models.ResNet(10, 20) (He et al. 2016,
section 4.2: 3x3 conv 16, three stages of three basic blocks with 16/32/64 maps, option-A shortcuts, global
average pooling, linear, log-softmax), the same generated data, batch, SGD and timing as
ember.examples.ResNetBench: `warmup` iterations, one epoch timed; then inference in evaluation mode (no
autograd), `samples` images in batches timed.
"""
import time

import torch
import torch.nn.functional as F
from torch import nn

from torch_timing import parser, time_training


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.b1 = nn.BatchNorm2d(cout)
        self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = self.b2(self.c2(F.relu(self.b1(self.c1(x)))))
        s = x if self.stride == 1 and self.pad == 0 else F.pad(x[:, :, ::self.stride, ::self.stride], (0, 0, 0, 0, 0, self.pad))
        return F.relu(y + s)


class ResNet20(nn.Module):
    def __init__(self, classes=10, n=3):
        super().__init__()
        self.conv, self.bn = nn.Conv2d(3, 16, 3, 1, 1, bias=False), nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for stage, width in enumerate((16, 32, 64)):
            for b in range(n):
                blocks.append(Block(cin, width, 2 if stage > 0 and b == 0 else 1))
                cin = width
        self.blocks, self.fc = nn.Sequential(*blocks), nn.Linear(64, classes)

    def forward(self, x):
        h = self.blocks(F.relu(self.bn(self.conv(x))))
        return F.log_softmax(self.fc(F.avg_pool2d(h, 8).flatten(1)), dim=1)


def main():
    args = parser(samples=1280, warmup=3).parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.samples, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (args.samples,), generator=g)
    model = ResNet20()
    time_training("resnet20_train", model, F.nll_loss, x, y, args)
    model.eval()
    batch = torch.randn(args.batch, 3, 32, 32, generator=g)
    with torch.no_grad():
        for _ in range(args.warmup):
            model(batch)
        n = max(1, args.samples // args.batch)
        t, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            model(batch)
    print(f"RESULT resnet20_predict {n * args.batch / (time.perf_counter() - t):.1f}")
    print(f"RESULT resnet20_predict_per_cpu_s {n * args.batch / (time.process_time() - cpu):.1f}")


if __name__ == "__main__":
    main()
