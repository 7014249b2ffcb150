"""PyTorch CPU reference for bench/lstm_classifier.py: LSTM text-classifier training samples/s.

Runs in the separate bench virtualenv. The same model as ember.models.LstmClassifier with a learnt
embedding (token ids -> Embedding 100 -> LSTM 128 -> last step -> Linear 100 -> Linear 20 -> LogSoftmax),
the same generated data sizes, batch, SGD and timing as ember.examples.LstmClassifierBench: `warmup`
iterations, then one full epoch timed (wall and process CPU time).
"""

import torch
from torch import nn

from torch_timing import parser, time_training


class LstmClassifier(nn.Module):
    def __init__(self, vocab, classes=20, emb=100, hidden=128):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.lstm = nn.LSTM(emb, hidden, batch_first=True)
        self.head = nn.Sequential(nn.Linear(hidden, 100), nn.Linear(100, classes), nn.LogSoftmax(dim=1))

    def forward(self, ids):
        return self.head(self.lstm(self.embedding(ids))[0][:, -1])


def main():
    p = parser(samples=6400, warmup=10)
    p.add_argument("--vocab", type=int, default=10000)
    p.add_argument("--seq-len", type=int, default=50)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    x = torch.randint(0, args.vocab, (args.samples, args.seq_len), generator=g)
    y = torch.randint(0, 20, (args.samples,), generator=g)
    model = LstmClassifier(args.vocab)
    time_training("lstm_classifier", model, nn.NLLLoss(), x, y, args,
                  order=torch.randperm(args.samples, generator=g))

if __name__ == "__main__":
    main()
