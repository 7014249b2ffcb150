"""ONNX LSTM and GRU nodes -> Ember's Recurrent(LSTM) / Recurrent(GRU), with the transposes around them.

ONNX (layout 0) reads X [time, batch, input] and outputs Y [time, directions, batch, hidden] and Y_h
[directions, batch, hidden]; with layout 1, X [batch, time, input], Y [batch, time, directions, hidden],
Y_h [batch, directions, hidden]. Ember's Recurrent reads [batch, time, input] and outputs [batch, time,
hidden]. Weights: ONNX W [dirs, gates*H, I], R [dirs, gates*H, H], B [dirs, 2*gates*H] (input then
recurrence biases); LSTM gates i, o, f, c -> Ember's i, f, g, o with one bias Wb + Rb; GRU gates z, r, h ->
Ember's r, z, n with separate input and hidden biases, which is ONNX's ``linear_before_reset=1``.
"""
import numpy as np

from ember.io.onnx._context import Unsupported
from ember.io.onnx._ember import Layer

# position in ONNX's gate order of each of Ember's gates
LSTM_ORDER = (0, 2, 3, 1)  # Ember i, f, g, o <- ONNX i, o, f, c
GRU_ORDER = (1, 0, 2)  # Ember r, z, n <- ONNX z, r, h


def _reorder(x, order):
    chunks = np.split(x, len(order), axis=0)
    return np.concatenate([chunks[k] for k in order], axis=0)


def _check(ctx, node, a, kind):
    problems = []
    if a.get("direction", b"forward") not in (b"forward", "forward", b"bidirectional", "bidirectional"):
        problems.append(f"direction={a['direction']!r} (forward or bidirectional only)")
    for key in ("activations", "clip", "activation_alpha", "activation_beta"):
        if key in a:
            problems.append(f"attribute {key} (only the default activations, no clip)")
    if kind == "LSTM" and int(a.get("input_forget", 0)):
        problems.append("input_forget=1")
    if kind == "GRU" and int(a.get("linear_before_reset", 0)) != 1:
        problems.append("linear_before_reset=0 (Ember's GRU is linear_before_reset=1, PyTorch's)")
    extra = {4: "sequence_lens", 5: "initial_h", 6: "initial_c", 7: "P (peepholes)"}
    for i, name in extra.items():
        given = i < len(node.input) and node.input[i]
        zero_state = i in (5, 6) and given and ctx.is_const(node.input[i]) and not ctx.values[node.input[i]].any()
        if given and not zero_state:  # zero initial states are Ember's own start (PyTorch exports them)
            problems.append(f"input {name}")
    if kind == "LSTM" and len(node.output) > 2 and node.output[2] in ctx.used:
        problems.append("output Y_c (the final cell state) is read")
    if problems:
        raise Unsupported(f"{kind}: not supported: {', '.join(problems)}")


def _wire(ctx, node, a, cells):
    """Wires Recurrent(cell) - or BiRecurrent("concat") of two directions - between X and the node's outputs
    Y and Y_h; returns their Ember nodes."""
    layout = int(a.get("layout", 0))
    b = ctx.builder
    x = ctx.node(node.input[0])
    if layout == 0:
        x = b.add(Layer("Transpose", {"permutations": [0, 1]}), [x])
    if len(cells) == 1:
        seq = b.add(Layer("Recurrent", children=cells), [x])  # [batch, time, hidden]
        last = [b.add(Layer("Select", {"dim": 1, "index": -1}), [seq])]  # [batch, hidden]
        seq = b.add(Layer("Unsqueeze", {"pos": 2, "numInputDims": 0}), [seq])  # [batch, time, 1, hidden]
    else:
        hidden = cells[0].args["hiddenSize"]
        directions = [Layer("Recurrent", children=[c]) for c in cells]
        # [batch, time, 2 hidden], forward first, the backward direction's outputs in input time order
        both = b.add(Layer("BiRecurrent", {"merge": "concat"}, children=directions), [x])
        seq = b.add(Layer("InferReshape", {"size": [0, 0, 2, hidden], "batchMode": False}), [both])
        # final states: the forward direction's at the last step, the backward one's at the first
        last = [b.chain([Layer("Select", {"dim": 1, "index": step}),
                         Layer("Narrow", {"dimension": 1, "offset": offset, "length": hidden})], both)
                for step, offset in ((-1, 0), (0, hidden))]
    axis = 0 if layout == 0 else 1  # Y_h is [directions, batch, hidden] or [batch, directions, hidden]
    states = [b.add(Layer("Unsqueeze", {"pos": axis, "numInputDims": 0}), [h]) for h in last]
    y_h = states[0] if len(states) == 1 else b.add(Layer("JoinTable", {"dimension": axis, "nInputDims": 0}), states)
    if layout == 0:  # [batch, time, dirs, hidden] -> [time, dirs, batch, hidden]
        seq = b.add(Layer("Transpose", {"permutations": [0, 1, 1, 2]}), [seq])
    return [seq, y_h]


def _cells(ctx, node, kind):
    """One Ember cell per direction, from the node's W, R and B."""
    gates = 4 if kind == "LSTM" else 3
    w = ctx.const(node, 1, f"{kind} W")
    r = ctx.const(node, 2, f"{kind} R")
    hidden, n_in = r.shape[2], w.shape[2]
    bias = ctx.const(node, 3, f"{kind} B")
    if bias is None:
        bias = np.zeros((w.shape[0], 2 * gates * hidden), np.float32)
    cells = []
    for d in range(w.shape[0]):
        wb, rb = bias[d, :gates * hidden], bias[d, gates * hidden:]
        if kind == "LSTM":
            tensors = {"weight_ih": _reorder(w[d], LSTM_ORDER), "weight_hh": _reorder(r[d], LSTM_ORDER),
                       "bias": _reorder(wb + rb, LSTM_ORDER)}
        else:
            tensors = {"weight_ih": _reorder(w[d], GRU_ORDER), "weight_hh": _reorder(r[d], GRU_ORDER),
                       "bias": _reorder(wb, GRU_ORDER), "bias_hh": _reorder(rb, GRU_ORDER)}
        cells.append(Layer(kind, {"inputSize": n_in, "hiddenSize": hidden}, tensors))
    return cells


def lstm(ctx, node, a):
    _check(ctx, node, a, "LSTM")
    return _wire(ctx, node, a, _cells(ctx, node, "LSTM"))


def gru(ctx, node, a):
    _check(ctx, node, a, "GRU")
    return _wire(ctx, node, a, _cells(ctx, node, "GRU"))
