"""PyTorch's side of the per-layer ResNet-20 profile (`ember.examples.ResNetBench layers`): one training step
(forward, NLL loss, backward, no optimizer step), batch 128, one thread by default, `--warmup` steps, then
`--steps` steps timed. Prints the thread CPU milliseconds per step of the convolutions, batch norms and the
linear layer (module hooks around their forward and backward: PyTorch runs a CPU backward on the calling
thread), the rest of the step (ReLU, additions, shortcuts, pooling, loss, autograd) as one figure, and the whole
step's thread CPU time. `--profile` also prints torch.profiler's self times of the aten operators grouped by the
Ember layer class they correspond to: those are wall-clock and inflate with the machine's load. Runs in the
bench virtualenv.

Usage: /work/bench-venv/bin/python bench/torch_resnet20_layers.py [--threads 1] [--batch 128] [--steps 10]
"""
import argparse
import warnings
import collections
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.profiler import ProfilerActivity, profile

from torch_resnet20 import ResNet20

# aten operator -> (Ember layer class, "fwd" | "bwd")
OPS = {
    "aten::mkldnn_convolution": ("SpatialConvolution", "fwd"),
    "aten::_convolution": ("SpatialConvolution", "fwd"),
    "aten::convolution": ("SpatialConvolution", "fwd"),
    "aten::conv2d": ("SpatialConvolution", "fwd"),
    "aten::convolution_backward": ("SpatialConvolution", "bwd"),
    "aten::native_batch_norm": ("SpatialBatchNormalization", "fwd"),
    "aten::_batch_norm_impl_index": ("SpatialBatchNormalization", "fwd"),
    "aten::batch_norm": ("SpatialBatchNormalization", "fwd"),
    "aten::_native_batch_norm_legit": ("SpatialBatchNormalization", "fwd"),
    "aten::native_batch_norm_backward": ("SpatialBatchNormalization", "bwd"),
    "aten::relu": ("ReLU", "fwd"),
    "aten::clamp_min": ("ReLU", "fwd"),
    "aten::threshold_backward": ("ReLU", "bwd"),
    "aten::add": ("CAddTable", "fwd"),
    "aten::avg_pool2d": ("SpatialAveragePooling", "fwd"),
    "aten::avg_pool2d_backward": ("SpatialAveragePooling", "bwd"),
    "aten::constant_pad_nd": ("Padding", "fwd"),
    "aten::linear": ("Linear", "fwd"),
    "aten::addmm": ("Linear", "fwd"),
    "aten::mm": ("Linear", "bwd"),
    "aten::_log_softmax": ("LogSoftMax", "fwd"),
    "aten::log_softmax": ("LogSoftMax", "fwd"),
    "aten::_log_softmax_backward_data": ("LogSoftMax", "bwd"),
    "aten::nll_loss_forward": ("criterion", "fwd"),
    "aten::nll_loss_backward": ("criterion", "bwd"),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--profile", action="store_true")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    # the first convolution's input needs no gradient: its backward hook fires before its (weight) backward,
    # which so counts in the rest of the step
    warnings.filterwarnings("ignore", message="Full backward hook is firing")
    g = torch.Generator().manual_seed(0)
    x = torch.randn(args.batch, 3, 32, 32, generator=g)
    y = torch.randint(0, 10, (args.batch,), generator=g)
    model = ResNet20()
    model.train()

    def step():
        model.zero_grad(set_to_none=False)
        F.nll_loss(model(x), y).backward()

    for _ in range(args.warmup):
        step()
    t = time.thread_time()
    for _ in range(args.steps):
        step()
    whole = (time.thread_time() - t) * 1e3 / args.steps
    hooked = hooked_times(model, step, args.steps)
    print(f"PyTorch {torch.__version__} ResNet-20 training step, batch {args.batch}, {args.threads} thread(s), "
          f"thread CPU ms per step, mean of {args.steps} (module hooks)")
    for cls, (f, b) in hooked.items():
        print(f"RESULT class_{cls} {f:.2f} {b:.2f} {f + b:.2f}")
    print(f"RESULT rest_of_step {whole - sum(f + b for f, b in hooked.values()):.2f}")
    print(f"RESULT step_total {whole:.2f}")
    if args.profile:
        profiled(step, args)


def hooked_times(model, step, steps):
    """Thread CPU ms per step of each convolution, batch norm and linear module, forward and backward, summed by class."""
    names = {nn.Conv2d: "SpatialConvolution", nn.BatchNorm2d: "SpatialBatchNormalization", nn.Linear: "Linear"}
    acc = collections.defaultdict(lambda: [0.0, 0.0])
    start = {}
    handles = []
    for m in model.modules():
        cls = names.get(type(m))
        if cls is None:
            continue

        def fpre(mod, inp, key=id(m)):
            start[key, 0] = time.thread_time()

        def fpost(mod, inp, out, key=id(m), cls=cls):
            acc[cls][0] += time.thread_time() - start[key, 0]

        def bpre(mod, gout, key=id(m)):
            start[key, 1] = time.thread_time()

        def bpost(mod, gin, gout, key=id(m), cls=cls):
            acc[cls][1] += time.thread_time() - start[key, 1]

        handles += [m.register_forward_pre_hook(fpre), m.register_forward_hook(fpost),
                    m.register_full_backward_pre_hook(bpre), m.register_full_backward_hook(bpost)]
    for _ in range(steps):
        step()
    for h in handles:
        h.remove()
    return {cls: (f * 1e3 / steps, b * 1e3 / steps) for cls, (f, b) in acc.items()}


def profiled(step, args):
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(args.steps):
            step()
    per = collections.defaultdict(lambda: [0.0, 0.0])
    for e in prof.key_averages():
        cls, phase = OPS.get(e.key, (None, None))
        if cls is None:
            cls, phase = "other", ("bwd" if "backward" in e.key.lower() else "fwd")
        per[cls][0 if phase == "fwd" else 1] += e.self_cpu_time_total / 1e3 / args.steps
    print(f"torch.profiler self times (wall-clock ms per step, mean of {args.steps})")
    for cls, (f, b) in sorted(per.items(), key=lambda kv: -sum(kv[1])):
        print(f"PROFILE class_{cls} {f:.2f} {b:.2f} {f + b:.2f}")
    print(f"PROFILE profiled_total {sum(f + b for f, b in per.values()):.2f}")
    others = sorted(((e.self_cpu_time_total, e.key) for e in prof.key_averages() if e.key not in OPS), reverse=True)[:8]
    print("top unmapped operators (self CPU ms per step): " +
          ", ".join(f"{k} {v / 1e3 / args.steps:.2f}" for v, k in others))


if __name__ == "__main__":
    main()
