"""Ember's recurrent containers -> ONNX: Recurrent(LSTM | GRU) and BiRecurrent as ONNX LSTM / GRU nodes
(forward or bidirectional) between transposes, and TimeDistributed(Linear) as MatMul + Add.

Recurrent reads [batch, time, features]; ONNX's layout-0 LSTM/GRU read [time, batch, features] and output
[time, directions, batch, hidden], which a Transpose + Reshape bring back to [batch, time, directions * hidden]
(BiRecurrent "concat"), or a ReduceSum over the directions ("add"). Ember's LSTM gates i, f, g, o go to ONNX's
i, o, f, c with its one bias as Wb (Rb = 0); GRU r, z, n -> z, r, h with linear_before_reset=1.
"""
import numpy as np

from ember.io.onnx._export_layers import NotExportable, sub_tensors as _sub


LSTM_ORDER = (0, 3, 1, 2)  # ONNX i, o, f, c <- Ember i, f, g, o
GRU_ORDER = (1, 0, 2)  # ONNX z, r, h <- Ember r, z, n


def _reorder(x, order):
    chunks = np.split(x, len(order), axis=0)
    return np.concatenate([chunks[k] for k in order], axis=0)


def _onnx_weights(kind, cell_tensors):
    """ONNX W, R, B of one direction ([gates*H, I], [gates*H, H], [2*gates*H]) from an Ember cell's tensors."""
    t = cell_tensors
    order = LSTM_ORDER if kind == "LSTM" else GRU_ORDER
    rb = _reorder(t["bias_hh"], order) if kind == "GRU" else np.zeros_like(t["bias"])
    bias = np.concatenate([_reorder(t["bias"], order), rb])
    return _reorder(t["weight_ih"], order), _reorder(t["weight_hh"], order), bias


def recurrent(ctx, spec, tensors, x, where):
    """Recurrent(cell) or BiRecurrent: [batch, time, in] -> Transpose -> ONNX LSTM/GRU (forward or bidirectional)
    -> Y [time, dirs, batch, hidden] -> back to [batch, time, hidden] (BiRecurrent: 2 hidden with "concat", the
    sum of the directions with "add")."""
    bi = spec["class"].endswith(".BiRecurrent")
    cells = [d["children"][0] for d in spec["children"]] if bi else [spec["children"][0]]
    cell_tensors = [_sub(tensors, f"{i}.0.") for i in range(2)] if bi else [_sub(tensors, "0.")]
    kind = cells[0]["class"].rsplit(".", 1)[1]
    if kind not in ("LSTM", "GRU") or isinstance(x, list):
        raise NotExportable(f"{kind} cell" if not isinstance(x, list) else "given initial states")
    h = cells[0]["args"]["hiddenSize"]
    w, r, b = (np.stack(ws) for ws in zip(*(_onnx_weights(kind, t) for t in cell_tensors)))
    attrs = {"hidden_size": h, "direction": "bidirectional" if bi else "forward"}
    if kind == "GRU":
        attrs["linear_before_reset"] = 1
    seq = ctx.node("Transpose", [x[0]], where, perm=[1, 0, 2])
    y = ctx.node(kind, [seq, ctx.const("W", w), ctx.const("R", r), ctx.const("B", b)], where, **attrs)
    if bi and spec["args"]["merge"] == "add":
        y = ctx.node("ReduceSum", [y, ctx.const("axes", [1], np.int64)], where, keepdims=0)
        return ctx.node("Transpose", [y], where, perm=[1, 0, 2]), 3
    y = ctx.node("Transpose", [y], where, perm=[2, 0, 1, 3])  # [batch, time, dirs, hidden]
    return ctx.node("Reshape", [y, ctx.const("shape", [0, 0, -1], np.int64)], where), 3


def time_distributed(ctx, spec, tensors, x, where):
    """TimeDistributed(Linear) on [batch, time, in]: MatMul by the transposed weight (+ bias)."""
    inner = spec["children"][0]
    if not inner["class"].endswith(".Linear") or isinstance(x, list) or x[1] != 3:
        raise NotExportable(f"only TimeDistributed(Linear) on 3-d input ({inner['class'].rsplit('.', 1)[1]} inside)")
    t = _sub(tensors, "0.")
    v = ctx.node("MatMul", [x[0], ctx.const("W", t["weight"].T)], where)
    if "bias" in t:
        v = ctx.node("Add", [v, ctx.const("B", t["bias"])], where)
    return v, 3
