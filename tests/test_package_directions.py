"""Package dependencies go one way, in Python and in Scala (DESIGN.md, "Layers of the system").

Each package has a rank; a module may import only packages of a lower rank (or its own package). The
Python check reads every ``import`` of every module under ``python/ember`` with ``ast`` (imports inside
functions included, so a cycle cannot hide in a function-level import); the Scala check reads every
reference ``ember.<package>`` in the code of ``scala/src/main/scala/ember`` (comments and strings left
out: a Scala file declares one package, so another package is reached only through its full name).
No JVM is needed: these are source checks.
"""
import ast
import pathlib
import re

from conftest import ROOT

PYTHON = pathlib.Path(ROOT, "python")
SCALA = pathlib.Path(ROOT, "scala", "src", "main", "scala", "ember")

# Python, bottom to top: errors and jar lookup; the pyspark shim; JVM exceptions; Spark start-up; py4j
# wrappers and conversions; then the packages that mirror Scala's.
PYTHON_ORDER = ["ember.errors", "ember", "ember._pyspark", "ember._java_errors", "ember._spark", "ember._args",
                "ember._java", "ember._convert", "ember._results", "ember.tensor", "ember.data", "ember.nn",
                "ember.jep", "ember.io", "ember.optim", "ember.models", "ember.keras", "ember.ml", "ember.nnframes",
                "ember.util"]

# Scala, bottom to top; "apps" (examples and benchmarks) may use everything and nothing uses them.
SCALA_ORDER = ["tensor", "data", "parallel", "nn", "jep", "io", "summary", "optim", "models", "keras", "ml", "python",
               "apps"]
SCALA_APPS = {"examples", "bench"}

# pyspark's private attributes: only ember/_pyspark.py touches them.
PYSPARK_PRIVATE = {"_jvm", "_jsc", "_gateway", "_jrdd", "_jdf", "_jconf", "_active_spark_context",
                   "_ensure_initialized", "_bypass_serializer", "_jsparkSession", "_jseq", "_jmap"}


def _python_modules():
    for path in sorted(PYTHON.rglob("*.py")):
        name = ".".join(path.relative_to(PYTHON).with_suffix("").parts)
        yield name.removesuffix(".__init__"), path, ast.parse(path.read_text(), str(path))


def _python_package(module):
    return ".".join(module.split(".")[:2])


def _imports(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.lineno, node.module
            if node.module == "ember":  # from ember import _convert, errors
                yield from ((node.lineno, f"ember.{a.name}") for a in node.names)


def _python_rank(package):
    assert package in PYTHON_ORDER, f"{package} has no place in PYTHON_ORDER: add it where it belongs"
    return PYTHON_ORDER.index(package)


def test_python_packages_import_downwards_only():
    wrong = []
    for module, path, tree in _python_modules():
        own = _python_package(module)
        for line, target in _imports(tree):
            if not (target == "ember" or target.startswith("ember.")):
                continue
            other = _python_package(target)
            if other != own and other in PYTHON_ORDER and _python_rank(other) >= _python_rank(own):
                wrong.append(f"{path.relative_to(ROOT)}:{line} ({own}) imports {target}")
    assert not wrong, "imports against the package order:\n" + "\n".join(wrong)


def test_nn_does_not_import_optim_or_io():
    """The direction the issue names, spelt out (also implied by the order above)."""
    for module, path, tree in _python_modules():
        if _python_package(module) == "ember.nn":
            targets = {t for _, t in _imports(tree)}
            assert not {t for t in targets if t.startswith(("ember.optim", "ember.io", "ember.util"))}, path


def test_pyspark_private_attributes_only_in_the_shim():
    used = []
    for module, path, tree in _python_modules():
        if module == "ember._pyspark":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in PYSPARK_PRIVATE:
                used.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "getattr" and len(node.args) >= 2 \
                    and isinstance(node.args[1], ast.Constant) and node.args[1].value in PYSPARK_PRIVATE:
                used.append(f"{path.relative_to(ROOT)}:{node.lineno} getattr(..., {node.args[1].value!r})")
    assert not used, "pyspark-private attributes outside ember/_pyspark.py:\n" + "\n".join(used)


def test_no_module_level_getattr():
    """A module ``__getattr__`` is how an import cycle hides; none is left."""
    found = [str(path.relative_to(ROOT)) for _, path, tree in _python_modules()
             if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body)]
    assert not found, found


_COMMENT_OR_STRING = re.compile(r'//[^\n]*|/\*.*?\*/|"""(?:.|\n)*?"""|"(?:\\.|[^"\\\n])*"', re.S)
_REFERENCE = re.compile(r"(?<![\w.])(?:_root_\.)?ember\.(\w+)")


def _code_only(text):
    """``text`` with comments and string literals blanked out (newlines kept, so line numbers hold)."""
    return _COMMENT_OR_STRING.sub(lambda m: re.sub(r"[^\n]", " ", m.group()), text)


def _scala_package(path):
    top = path.relative_to(SCALA).parts[0]
    return "apps" if top in SCALA_APPS else top


def test_scala_packages_reference_downwards_only():
    wrong, files = [], 0
    for path in sorted(SCALA.rglob("*.scala")):
        files += 1
        own = _scala_package(path)
        assert own in SCALA_ORDER, f"{own} has no place in SCALA_ORDER: add it where it belongs"
        code = _code_only(path.read_text())
        for m in _REFERENCE.finditer(code):
            other = "apps" if m.group(1) in SCALA_APPS else m.group(1)
            if other in SCALA_ORDER and other != own and SCALA_ORDER.index(other) >= SCALA_ORDER.index(own):
                line = code.count("\n", 0, m.start()) + 1
                wrong.append(f"{path.relative_to(ROOT)} ({own}) refers to ember.{m.group(1)} near line {line}")
    assert files > 200, files  # the sources were read
    assert not wrong, "references against the package order:\n" + "\n".join(wrong)


def test_the_source_scan_sees_a_reference():
    """The Scala scan finds what it looks for, and skips comments and strings."""
    code = ('import ember.optim.SGD\n// ember.io.ModelFile\nval s = "ember.ml.X"\n/* ember.python.Y */\n'
            "ember.tensor.Tensor")
    found = [m.group(1) for m in _REFERENCE.finditer(_code_only(code))]
    assert found == ["optim", "tensor"]
