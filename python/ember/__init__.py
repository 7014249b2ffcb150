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
    "ModelFileError", "JarNotFoundError", "jar_path", "jar_paths", "__version__",
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


def jar_paths():
    """Ember's jar followed by the native kernel jars next to it (oneDNN, OpenBLAS, JavaCPP) that its manifest's
    Class-Path names: what ``spark.jars`` / ``--jars`` must ship to executors on other machines. A classpath
    that has ``jar_path()`` finds the others through the manifest by itself.

    Examples:
        >>> import os, ember
        >>> [os.path.basename(p) for p in ember.jar_paths()][0]
        'ember.jar'
        >>> any(os.path.basename(p).startswith("dnnl-") for p in ember.jar_paths())
        True
    """
    import zipfile

    jar = jar_path()
    with zipfile.ZipFile(jar) as z:
        text = z.read("META-INF/MANIFEST.MF").decode("utf-8")
    lines = []
    for line in text.splitlines():  # manifest lines wrap at 72 bytes: a continuation starts with one space
        if line.startswith(" ") and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    names = next((ln[len("Class-Path:"):].split() for ln in lines if ln.startswith("Class-Path:")), [])
    folder = os.path.dirname(jar)
    deps = [os.path.join(folder, n) for n in names]
    missing = [d for d in deps if not os.path.isfile(d)]
    if missing:
        raise JarNotFoundError(f"native kernel jars named by {jar} are missing: {missing}. Reinstall the package "
                               "(pip install .) or rebuild the jar (make jar).")
    return [jar] + deps
