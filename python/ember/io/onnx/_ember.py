"""The Ember side of the ONNX converters: a model as Ember's model file describes it, without a JVM.

An Ember model file (see :mod:`ember.io.model_file`) holds the module structure as JSON - each module's
class name, its constructor arguments in order, its children - and the tensors named by module path
("3.weight", "2.0.bias_hh", "5.running_mean"). The importer builds that structure and those tensors in
Python and the JVM loads them in one call (:func:`load_model`), which also sets buffers such as batch-norm
running statistics that the Python wrappers cannot reach. The exporter reads the same two things from a
model the JVM saved (:func:`read_model`).

:class:`Builder` collects layers wired to earlier layers (a graph in topological order) and makes a
``Sequential`` when they form a chain from one input, else a ``Graph`` (children in node order, each
with the indices of its input nodes).
"""
import json
import os
import struct
import tempfile

import numpy as np

from ember.io.model_file import read_weights

FORMAT_VERSION = "1"


class Layer:
    """One Ember module: class (simple name in ``ember.nn``), constructor arguments in order, own tensors."""

    def __init__(self, cls, args=(), tensors=None, children=(), name=None):
        self.cls = cls if "." in cls else "ember.nn." + cls
        self.args = dict(args)
        self.tensors = {k: np.ascontiguousarray(v, dtype=np.float32) for k, v in (tensors or {}).items()}
        self.children = list(children)
        self.name = name
        self.container = bool(children) or cls in ("Sequential", "Graph", "Recurrent")

    def structure(self):
        node = {"class": self.cls}
        if self.name:
            node["name"] = self.name
        node["args"] = self.args
        if self.container:
            node["children"] = [c.structure() for c in self.children]
        return node

    def named_tensors(self, prefix=""):
        out = [(prefix + k, v) for k, v in self.tensors.items()]
        for i, c in enumerate(self.children):
            out += c.named_tensors(f"{prefix}{i}.")
        return out


class Builder:
    """Layers in topological order, each with the indices of the layers whose outputs it takes."""

    def __init__(self):
        self.layers = []
        self.preds = []
        self.inputs = []

    def input(self, name=None):
        self.inputs.append(len(self.layers))
        return self.add(Layer("Input", name=name), [])

    def add(self, layer, preds):
        self.layers.append(layer)
        self.preds.append(list(preds))
        return len(self.layers) - 1

    def chain(self, layers, pred):
        """Adds ``layers`` one after the other from node ``pred``; returns the last node."""
        for layer in layers:
            pred = self.add(layer, [pred])
        return pred

    def model(self, outputs):
        """The model computing ``outputs`` (node indices) from the inputs; unused nodes are dropped."""
        keep = set()
        stack = list(outputs)
        while stack:
            i = stack.pop()
            if i not in keep:
                keep.add(i)
                stack.extend(self.preds[i])
        keep.update(self.inputs)  # an unused input stays: the model's input list must not change
        order = [i for i in range(len(self.layers)) if i in keep]
        new = {old: k for k, old in enumerate(order)}
        layers = [self.layers[i] for i in order]
        preds = [[new[p] for p in self.preds[i]] for i in order]
        ins, outs = [new[i] for i in self.inputs], [new[i] for i in outputs]
        if len(ins) == 1 and len(outs) == 1 and _is_chain(preds, ins[0], outs[0]):
            return Layer("Sequential", children=layers[1:])
        return Layer("Graph", {"predecessors": preds, "inputNodes": ins, "outputNodes": outs}, children=layers)


def _is_chain(preds, first, last):
    return first == 0 and last == len(preds) - 1 and last > 0 and all(p == [i - 1] for i, p in enumerate(preds) if i)


def to_bytes(layer):
    """The model file of ``layer`` (the safetensors layout, F32 tensors)."""
    tensors = layer.named_tensors()
    header, offset = {}, 0
    for name, t in tensors:
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + 4 * t.size]}
        offset += 4 * t.size
    header["__metadata__"] = {"format": "ember", "format_version": FORMAT_VERSION,
                              "model": json.dumps(layer.structure())}
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * ((8 - len(raw) % 8) % 8)
    return struct.pack("<Q", len(raw)) + raw + b"".join(t.astype("<f4").tobytes() for _, t in tensors)


def load_model(layer):
    """The Ember model (Python wrapper over the JVM module) of ``layer``, through a temporary model file."""
    from ember.nn.module import Model

    fd, path = tempfile.mkstemp(suffix=".ember")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(to_bytes(layer))
        return Model.loadModel(path)
    finally:
        os.unlink(path)


def read_model(model):
    """``(structure, tensors)`` of an Ember model: the JSON structure and a dict path -> float32 array."""
    fd, path = tempfile.mkstemp(suffix=".ember")
    os.close(fd)
    try:
        model.saveModel(path, over_write=True)
        tensors, meta = read_weights(path)
    finally:
        os.unlink(path)
    return json.loads(meta["model"]), tensors
