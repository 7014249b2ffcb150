"""Tensors cross the py4j boundary as numpy arrays (see ``ember._convert``); this package mirrors
``ember.tensor`` for BLAS information."""
from ember._java import call_static


def blas_implementation():
    """Class name of the BLAS implementation the JVM uses (native JNI or the JVM fallback)."""
    return call_static("ember.tensor.Blas", "implementation")


def blas_is_native():
    """True when the JVM's BLAS is a native library (OpenBLAS or MKL)."""
    return bool(call_static("ember.tensor.Blas", "isNative"))


def kernels():
    """The layer kernels the JVM runs: ``"dnnl"`` (oneDNN, bundled for linux-x86_64) or ``"jvm"`` (the fallback,
    or forced with the environment variable ``EMBER_KERNELS=jvm`` when the JVM starts)."""
    return call_static("ember.tensor.dnn.Dnn", "kernelsName")


def blas_description():
    """Which native BLAS library netlib loaded, e.g. the bundled OpenBLAS and the CPU core type it chose."""
    return call_static("ember.tensor.dnn.NativeBlas", "description")
