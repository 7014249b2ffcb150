"""PyTorch CPU reference for bench/lstm_classifier.py: LSTM text-classifier training samples/s.

Runs in the separate bench virtualenv. The same model as ember.models.LstmClassifier with a learnt
embedding (token ids -> Embedding 100 -> LSTM 128 -> last step -> Linear 100 -> Linear 20 -> LogSoftmax),
the same generated data sizes, batch, SGD and timing as ember.examples.LstmClassifierBench: `warmup`
iterations, then one full epoch timed (wall and process CPU time).
"""

import torch
from torch import nn

import time

from torch_timing import parser, time_training


class LstmClassifier(nn.Module):
    def __init__(self, vocab, classes=20, emb=100, hidden=128):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, 100), nn.Linear(100, classes), nn.LogSoftmax(dim=1))

    def forward(self, ids):
        return self.head(self.lstm(self.embedding(ids))[0][:, -1])


class Autocast(nn.Module):
    """`model` under bf16 CPU autocast (bf16 LSTM and linear layers, float32 weights), float32 out."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, ids):
        with torch.autocast("cpu", dtype=torch.bfloat16):
            return self.model(ids).float()


def layers(model, x, y, args):
    """Thread CPU ms per step of the embedding, LSTM and head (Linear, Linear, LogSoftmax, loss), forward and
    backward (tensor hooks mark where the backward pass reaches each part: PyTorch runs a CPU backward on the
    calling thread), of zeroing the gradients and of the SGD update; then the inference forward (no_grad).
    The side of `ember.examples.LstmClassifierBench layers`; run with --threads 1."""
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    xb, yb = x[: args.batch], y[: args.batch]
    parts = dict.fromkeys(["zero", "emb_f", "lstm_f", "head_f", "head_b", "lstm_b", "emb_b", "update"], 0.0)
    marks = {}

    def mark(name):
        def hook(grad):
            marks[name] = time.thread_time()
        return hook

    def step(record):
        t0 = time.thread_time()
        opt.zero_grad(set_to_none=False)
        t1 = time.thread_time()
        e = model.embedding(xb)
        t2 = time.thread_time()
        h = model.lstm(e)[0]
        t3 = time.thread_time()
        loss = nn.functional.nll_loss(model.head(h[:, -1]), yb)
        t4 = time.thread_time()
        e.register_hook(mark("e"))
        h.register_hook(mark("h"))
        loss.backward()
        t5 = time.thread_time()
        opt.step()
        t6 = time.thread_time()
        if record:
            for k, v in zip(parts, [t1 - t0, t2 - t1, t3 - t2, t4 - t3, marks["h"] - t4, marks["e"] - marks["h"],
                                    t5 - marks["e"], t6 - t5]):
                parts[k] += v

    for _ in range(args.warmup):
        step(False)
    t = time.thread_time()
    for _ in range(args.steps):
        step(True)
    whole = (time.thread_time() - t) * 1e3 / args.steps
    print(f"PyTorch LSTM classifier training step, batch {args.batch}, thread CPU ms, {torch.get_num_threads()} "
          f"thread(s), mean of {args.steps} steps")
    for k, v in parts.items():
        print(f"PART {k:<8} {v * 1e3 / args.steps:8.2f}")
    print(f"RESULT step_total {whole:.2f}")
    with torch.no_grad():
        for _ in range(args.warmup):
            model(xb)
        t = time.thread_time()
        for _ in range(args.steps):
            model(xb)
    print(f"RESULT inference_total {(time.thread_time() - t) * 1e3 / args.steps:.2f}")


def main():
    p = parser(samples=6400, warmup=10)
    p.add_argument("--vocab", type=int, default=10000)
    p.add_argument("--seq-len", type=int, default=50)
    p.add_argument("--layers", action="store_true", help="per-part thread CPU ms of one step instead")
    p.add_argument("--bf16", action="store_true", help="train under bf16 autocast")
    p.add_argument("--steps", type=int, default=10, help="timed steps of --layers")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, args.vocab, (args.samples, args.seq_len), generator=g)
    y = torch.randint(0, 20, (args.samples,), generator=g)
    model = LstmClassifier(args.vocab)
    if args.layers:
        return layers(model, x, y, args)
    if args.bf16:
        model = Autocast(model)
    time_training("lstm_classifier", model, nn.NLLLoss(), x, y, args,
                  order=torch.randperm(args.samples, generator=g))

if __name__ == "__main__":
    main()
