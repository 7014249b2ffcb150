"""Cross-check of ember.io.onnx on a model exported by PyTorch itself (not part of `make test`: it needs torch
and onnx in one environment, Ember in another).

    <venv with torch + onnx>/bin/python bench/onnx_pytorch.py export /tmp/net.onnx   # writes net.onnx + net.onnx.npz
    .venv/bin/python bench/onnx_pytorch.py check /tmp/net.onnx                       # Ember and onnxruntime vs torch

The network has what PyTorch's TorchScript exporter (opset 17) turns into the patterns Ember must read: a
grouped conv with batch norm (folded into the conv weights by the exporter), a residual Add, max pooling,
``x.view(x.size(0), -1)`` (Shape -> Gather -> Unsqueeze -> Concat -> Reshape), a bidirectional batch-first
LSTM (Transposes, zero initial states from ConstantOfShape, an unread Y_c) and ``out[:, -1, :]`` (Gather).
Prints the largest absolute difference of Ember's and onnxruntime's outputs from torch's.
"""
import sys

import numpy as np


def export(path):
    import torch
    from torch import nn

    torch.manual_seed(0)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1, self.b1 = nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8)
            self.c2, self.b2 = nn.Conv2d(8, 8, 3, padding=1, groups=2), nn.BatchNorm2d(8)
            self.fc = nn.Linear(8 * 8 * 8, 10)
            self.lstm = nn.LSTM(6, 7, batch_first=True, bidirectional=True)
            self.fc2 = nn.Linear(14, 10)

        def forward(self, x, s):
            h = torch.relu(self.b1(self.c1(x)))
            h = nn.functional.max_pool2d(torch.relu(self.b2(self.c2(h)) + h), 2)
            out, _ = self.lstm(s)
            return torch.log_softmax(self.fc(h.view(h.size(0), -1)) + self.fc2(out[:, -1, :]), dim=1)

    m = Net()
    for bn in (m.b1, m.b2):
        bn.running_mean.uniform_(-0.5, 0.5)
        bn.running_var.uniform_(0.5, 2.0)
    m.eval()
    x, s = torch.randn(2, 3, 16, 16), torch.randn(2, 5, 6)
    torch.onnx.export(m, (x, s), path, input_names=["x", "s"], output_names=["y"], opset_version=17,
                      dynamic_axes={"x": {0: "N"}, "s": {0: "N"}, "y": {0: "N"}}, dynamo=False)
    np.savez(path + ".npz", x=x.numpy(), s=s.numpy(), y=m(x, s).detach().numpy())


def check(path):
    import onnx
    import onnxruntime as ort

    from ember.io import onnx as ember_onnx
    from ember.util.common import init_engine

    init_engine(master="local[1]")
    d = np.load(path + ".npz")
    print("operators:", " ".join(sorted({n.op_type for n in onnx.load(path).graph.node})))
    model = ember_onnx.load(path).evaluate()
    print("max |ember - torch|:", float(np.abs(model.forward([d["x"], d["s"]]) - d["y"]).max()))
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    print("max |onnxruntime - torch|:", float(np.abs(session.run(None, {"x": d["x"], "s": d["s"]})[0] - d["y"]).max()))


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("export", "check"):
        sys.exit("usage: onnx_pytorch.py export|check <file.onnx>")
    (export if sys.argv[1] == "export" else check)(sys.argv[2])
