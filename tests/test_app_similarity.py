"""Visual similarity application (examples/visual_similarity.py) at reduced size: a triplet-loss embedding of
real MNIST digits retrieves same-digit neighbours better than pixel space, above a quality floor."""
from app_support import load_example


def test_triplet_embedding_beats_pixel_neighbours(sc):
    app = load_example("visual_similarity")
    args = app.parser().parse_args(["--train", "2000", "--triplets-per-anchor", "3", "--epochs", "2",
                                    "--no-progress"])
    result = app.run(args, sc)
    assert result["precision"] >= 0.85, result
    assert result["precision"] > result["baseline"] + 0.03, result
