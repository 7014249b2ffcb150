"""Networks, criteria and optim methods as plain values, with no JVM (what a Spark Connect client sends).

A Connect client has no JVM, so it cannot build ``ember.nn`` layers. It describes the network instead:

* :func:`model_file_base64` - the bytes of an Ember model file (saved earlier from Python or Scala), base64;
* :func:`layer` / :func:`sequential` - the JSON structure of ``ember.nn.ModuleSpec`` (class name and *every*
  constructor argument, in the constructor's order), from which the server builds the network with fresh
  weights.

Examples:
    >>> net = sequential(layer("ember.nn.Linear", inputSize=4, outputSize=3, withBias=True),
    ...                  layer("ember.nn.LogSoftMax"))
    >>> net["children"][0]["args"]["outputSize"]
    3
"""
import base64
import json
import os


def layer(class_name, **args):
    """One module: ``class_name`` (``"ember.nn.Linear"`` or ``"Linear"``) with its constructor ``args`` in order."""
    if not isinstance(class_name, str) or not class_name:
        raise TypeError(f"layer: class_name must be a non-empty string, got {class_name!r}")
    name = class_name if "." in class_name else "ember.nn." + class_name
    return {"class": name, "args": dict(args)}


def sequential(*layers):
    """An ``ember.nn.Sequential`` of the given :func:`layer` descriptions."""
    for i, item in enumerate(layers):
        if not isinstance(item, dict) or "class" not in item:
            raise TypeError(f"sequential: item {i} is not a layer description (use ember.ml.spec.layer): {item!r}")
    return {"class": "ember.nn.Sequential", "args": {}, "children": list(layers)}


def model_file_base64(source):
    """The base64 text of an Ember model file given as a path or as its bytes."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        raw = bytes(source)
    elif isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            raw = f.read()
    else:
        raise TypeError(f"model_file_base64: expected a path or bytes, got {type(source).__name__}")
    if len(raw) < 8:
        raise ValueError(f"model_file_base64: {len(raw)} bytes cannot be an Ember model file")
    return base64.b64encode(raw).decode("ascii")


def to_json(description):
    """A dict description as the JSON text the JVM reads (strings pass through)."""
    return description if isinstance(description, str) else json.dumps(description)
