"""Builds Ember's jar with sbt when needed and ships it inside the package as ember/lib/ember.jar.

All metadata is in pyproject.toml; this file only hooks the jar into ``build_py``. The jar is rebuilt
(``project/sbt package``) only when it is missing or older than a Scala source or build file.
"""
import os
import shutil
import subprocess
import sys

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


class BuildPyWithJar(build_py):
    def run(self):
        jar = ensure_jar()
        if os.path.abspath(jar) != PACKAGED_JAR:
            os.makedirs(os.path.dirname(PACKAGED_JAR), exist_ok=True)
            shutil.copy2(jar, PACKAGED_JAR)
        super().run()
        target = os.path.join(self.build_lib, "ember", "lib", "ember.jar")
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(jar, target)


setup(cmdclass={"build_py": BuildPyWithJar})
