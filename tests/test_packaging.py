"""The wheel built from the repository carries the jar; the installed package finds it with no env var."""
import os
import subprocess
import sys
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_installed_package_finds_its_jar_without_environment():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EMBER", "SPARK", "PYSPARK"))}
    out = subprocess.run([sys.executable, "-c", "import ember; print(ember.jar_path())"], cwd="/", env=env,
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out.endswith(os.path.join("ember", "lib", "ember.jar")) and os.path.isfile(out)


def test_wheel_contains_the_jar(tmp_path):
    pytest.importorskip("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w",
                    str(tmp_path), ROOT], check=True, capture_output=True)
    (wheel,) = list(tmp_path.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "ember/lib/ember.jar" in names
    assert "ember/nn/layer.py" in names and "ember/_convert.py" in names
