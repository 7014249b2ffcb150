"""Ember: distributed deep learning on Apache Spark, with BigDL's Python API over a Scala core.

Quick start::

    from ember.util.common import init_engine
    from ember.nn.layer import Sequential, Linear, ReLU, LogSoftMax
    sc = init_engine(seed=1)
    model = Sequential().add(Linear(4, 8)).add(ReLU()).add(Linear(8, 3)).add(LogSoftMax())
"""
import os

from ember.errors import (
    EmberArithmeticError,
    EmberError,
    EmberFileExistsError,
    EmberFileNotFoundError,
    EmberIndexError,
    EmberIsADirectoryError,
    EmberNotADirectoryError,
    EmberOSError,
    EmberPermissionError,
    EmberTypeError,
    EmberValueError,
    JarNotFoundError,
    ModelFileError,
)

__version__ = "0.1.0"

__all__ = [
    "EmberError", "EmberValueError", "EmberTypeError", "EmberArithmeticError", "EmberIndexError", "EmberFileNotFoundError",
    "EmberFileExistsError", "EmberOSError", "EmberPermissionError", "EmberIsADirectoryError", "EmberNotADirectoryError",
    "ModelFileError", "JarNotFoundError", "jar_path", "__version__",
]


def jar_path():
    """Path of Ember's jar: the one installed with the package, else (in a source checkout) the sbt output.

    Examples:
        >>> import os, ember
        >>> os.path.basename(ember.jar_path())
        'ember.jar'
    """
    here = os.path.dirname(os.path.abspath(__file__))
    installed = os.path.join(here, "lib", "ember.jar")
    if os.path.isfile(installed):
        return installed
    source = os.path.join(here, os.pardir, os.pardir, "scala", "target", "ember.jar")
    if os.path.isfile(source):
        return os.path.abspath(source)
    raise JarNotFoundError(
        f"Ember's jar is missing: neither {installed} nor {os.path.abspath(source)} exists. "
        "Reinstall the package (pip install .) or build the jar (make jar)."
    )
