"""Object detection application (examples/object_detection.py) at reduced size: the tiny SSD trained on
generated shape images detects held-out shapes (VOC mAP@0.5) above a quality floor and above its prior-only
baseline (the same scores with the boxes left at their priors)."""
from app_support import load_example


def test_tiny_ssd_detects_generated_shapes(sc):
    app = load_example("object_detection")
    args = app.parser().parse_args(["--train", "2000", "--test", "200", "--epochs", "4", "--no-progress"])
    result = app.run(args, sc)
    assert result["map"] >= 0.7, result
    assert result["map"] > result["baseline"] + 0.05, result
