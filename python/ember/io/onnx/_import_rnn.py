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
    if a.get("direction", b"forward") not in (b"forward", "forward"):
        problems.append(f"direction={a['direction']!r} (only forward)")
    for key in ("activations", "clip", "activation_alpha", "activation_beta"):
        if key in a:
            problems.append(f"attribute {key} (only the default activations, no clip)")
    if kind == "LSTM" and int(a.get("input_forget", 0)):
        problems.append("input_forget=1")
    if kind == "GRU" and int(a.get("linear_before_reset", 0)) != 1:
        problems.append("linear_before_reset=0 (Ember's GRU is linear_before_reset=1, PyTorch's)")
    extra = {4: "sequence_lens", 5: "initial_h", 6: "initial_c", 7: "P (peepholes)"}
    problems += [f"input {name}" for i, name in extra.items() if i < len(node.input) and node.input[i]]
    if kind == "LSTM" and len(node.output) > 2 and node.output[2]:
        problems.append("output Y_c")
    if problems:
        raise Unsupported(f"{kind}: not supported: {', '.join(problems)}")


def _recurrent(ctx, node, a, cell):
    """Wires Recurrent(cell) between X and the node's outputs Y, Y_h; returns their Ember nodes."""
    layout = int(a.get("layout", 0))
    x = ctx.node(node.input[0])
    b = ctx.builder
    if layout == 0:
        x = b.add(Layer("Transpose", {"permutations": [0, 1]}), [x])
    seq = b.add(Layer("Recurrent", children=[cell]), [x])  # [batch, time, hidden]
    last = b.add(Layer("Select", {"dim": 1, "index": -1}), [seq])  # [batch, hidden]
    if layout == 0:
        y = b.chain([Layer("Transpose", {"permutations": [0, 1]}), Layer("Unsqueeze", {"pos": 1, "numInputDims": 0})],
                    seq)
        y_h = b.add(Layer("Unsqueeze", {"pos": 0, "numInputDims": 0}), [last])
    else:
        y = b.add(Layer("Unsqueeze", {"pos": 2, "numInputDims": 0}), [seq])
        y_h = b.add(Layer("Unsqueeze", {"pos": 1, "numInputDims": 0}), [last])
    return [y, y_h]


def _weights(ctx, node, gates):
    w = ctx.const(node, 1, f"{node.op_type} W")
    r = ctx.const(node, 2, f"{node.op_type} R")
    hidden, n_in = r.shape[2], w.shape[2]
    bias = ctx.const(node, 3, f"{node.op_type} B")
    if bias is None:
        bias = np.zeros((1, 2 * gates * hidden), np.float32)
    return w[0], r[0], bias[0, :gates * hidden], bias[0, gates * hidden:], hidden, n_in


def lstm(ctx, node, a):
    _check(ctx, node, a, "LSTM")
    w, r, wb, rb, hidden, n_in = _weights(ctx, node, 4)
    cell = Layer("LSTM", {"inputSize": n_in, "hiddenSize": hidden},
                 {"weight_ih": _reorder(w, LSTM_ORDER), "weight_hh": _reorder(r, LSTM_ORDER),
                  "bias": _reorder(wb + rb, LSTM_ORDER)})
    return _recurrent(ctx, node, a, cell)


def gru(ctx, node, a):
    _check(ctx, node, a, "GRU")
    w, r, wb, rb, hidden, n_in = _weights(ctx, node, 3)
    cell = Layer("GRU", {"inputSize": n_in, "hiddenSize": hidden},
                 {"weight_ih": _reorder(w, GRU_ORDER), "weight_hh": _reorder(r, GRU_ORDER),
                  "bias": _reorder(wb, GRU_ORDER), "bias_hh": _reorder(rb, GRU_ORDER)})
    return _recurrent(ctx, node, a, cell)
