"""Python functions for ``ember.jep`` layers that also note where they ran: each call appends one line to the file
``<EMBER_JEP_PROBE_DIR>/<pid>`` (the first line of a file is the process's command line). ``cluster_jep.py`` trains
with them on the standalone cluster; ``test_cluster.py`` reads the files to see which processes ran the functions
(the executors' JVMs, through jep, rather than Python worker processes). Without the variable nothing is noted."""
import os

from ember.jep import functions


def _note(what):
    where = os.environ.get("EMBER_JEP_PROBE_DIR")
    if not where:
        return
    path = os.path.join(where, str(os.getpid()))
    first = not os.path.exists(path)
    with open(path, "a") as f:
        if first:
            with open("/proc/self/cmdline", "rb") as c:
                f.write(c.read().replace(b"\0", b" ").decode(errors="replace") + "\n")
        f.write(what + "\n")


def swish(x):
    _note("swish")
    return functions.swish(x)


def swish_backward(x, grad_output):
    _note("swish_backward")
    return functions.swish_backward(x, grad_output)


def reverse(x):
    _note("reverse")
    return functions.reverse_time(x)


def mse_loss(input, target):
    _note("mse_loss")
    return functions.mse_loss(input, target)


def mse_gradient(input, target):
    _note("mse_gradient")
    return functions.mse_gradient(input, target)
