"""Ember's pipeline stages from a Spark Connect client (tests/ml_connect_client.py, in a subprocess)."""
import json
import os
import subprocess
import sys

from conftest import ROOT


def test_nnclassifier_fits_and_transforms_from_a_connect_client(sc, tmp_path):
    from ember.nn.layer import Linear, LogSoftMax, ReLU, Sequential
    from ember.util.common import create_spark_conf

    # a model file written by the classic API; the Connect client only reads its bytes
    model_path = str(tmp_path / "mlp.ember")
    Sequential().add(Linear(4, 12)).add(ReLU()).add(Linear(12, 3)).add(LogSoftMax()).saveModel(model_path)
    conf = create_spark_conf()
    env = dict(os.environ)
    env.pop("SPARK_REMOTE", None)
    proc = subprocess.run(
        [sys.executable, os.path.join(ROOT, "tests", "ml_connect_client.py"), conf.get("spark.jars"),
         conf.get("spark.driver.extraClassPath"), model_path, str(tmp_path)],
        capture_output=True, text=True, timeout=900, env=env)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    assert proc.returncode == 0 and lines, proc.stdout[-3000:] + proc.stderr[-5000:]
    out = json.loads(lines[-1][len("RESULT "):])
    assert out["remote"] is True
    assert out["columns"] == ["id", "features", "label", "prediction", "rawPrediction", "probability"]
    assert out["rows"] == 60
    assert out["accuracy_structure"] > 0.95
    assert out["accuracy_model_file"] > 0.95
    assert out["accuracy_pipeline"] > 0.95
    assert out["reloaded_same"] is True
    assert out["shaped"] == [1, 2, 3, 0]
    assert out["bad_column"] is not None and "no features column 'pixels'" in out["bad_column"]
