"""Builds Ember's jar with sbt when needed and ships it inside the package as ember/lib/ember.jar, with the
native kernel jars (oneDNN, OpenBLAS, JavaCPP) that its manifest's Class-Path names, next to it.

All metadata is in pyproject.toml; this file only hooks the jar into ``build_py``. The jar is rebuilt
(``project/sbt package``) only when it is missing or older than a Scala source or build file.
"""
import os
import shutil
import subprocess
import sys
import zipfile

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))
JAR = os.path.join(ROOT, "scala", "target", "ember.jar")
PACKAGED_JAR = os.path.join(ROOT, "python", "ember", "lib", "ember.jar")


def _build_inputs():
    yield os.path.join(ROOT, "build.sbt")
    for top in ("scala/src/main", "project"):
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d not in ("target", "project")]
            for f in filenames:
                if f.endswith((".scala", ".java", ".sbt", ".properties")) or dirpath.endswith("resources"):
                    yield os.path.join(dirpath, f)


def _jar_is_stale():
    if not os.path.isfile(JAR):
        return True
    built = os.path.getmtime(JAR)
    return any(os.path.getmtime(p) > built for p in _build_inputs() if os.path.isfile(p))


def ensure_jar():
    """Path of an up-to-date jar, building it with sbt when the Scala sources are present and newer."""
    if not os.path.isdir(os.path.join(ROOT, "scala")):  # an sdist with a prebuilt jar
        if os.path.isfile(PACKAGED_JAR):
            return PACKAGED_JAR
        raise RuntimeError("no Scala sources and no prebuilt ember/lib/ember.jar to package")
    if _jar_is_stale():
        env = dict(os.environ)
        env.setdefault("EMBER_PYTHON", sys.executable)  # build.sbt finds pyspark's jars through this python
        print("ember: building the jar with project/sbt package", flush=True)
        subprocess.check_call([os.path.join(ROOT, "project", "sbt"), "package"], cwd=ROOT, env=env)
    return JAR


def manifest_class_path(jar):
    """The jar names in ``jar``'s manifest Class-Path (its native dependency jars, expected next to it)."""
    with zipfile.ZipFile(jar) as z:
        text = z.read("META-INF/MANIFEST.MF").decode("utf-8")
    lines = []
    for line in text.splitlines():  # manifest lines wrap at 72 bytes: a continuation starts with one space
        if line.startswith(" ") and lines:
            lines[-1] += line[1:]
        else:
            lines.append(line)
    for line in lines:
        if line.startswith("Class-Path:"):
            return line[len("Class-Path:"):].split()
    return []


def _jars_to_ship(jar):
    """ember.jar and the dependency jars next to it that its manifest names."""
    folder = os.path.dirname(jar)
    deps = [os.path.join(folder, name) for name in manifest_class_path(jar)]
    missing = [d for d in deps if not os.path.isfile(d)]
    if missing:
        raise RuntimeError(f"jars named by {jar}'s manifest are missing: {missing} (rebuild with project/sbt package)")
    return [jar] + deps


class BuildPyWithJar(build_py):
    def run(self):
        jars = _jars_to_ship(ensure_jar())
        lib = os.path.dirname(PACKAGED_JAR)
        os.makedirs(lib, exist_ok=True)
        for j in jars:
            if os.path.abspath(j) != os.path.join(lib, os.path.basename(j)):
                shutil.copy2(j, lib)
        super().run()
        target = os.path.join(self.build_lib, "ember", "lib")
        os.makedirs(target, exist_ok=True)
        for j in jars:
            shutil.copy2(j, target)


setup(cmdclass={"build_py": BuildPyWithJar})
