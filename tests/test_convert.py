"""numpy <-> JVM tensor conversion: both routes (py4j bytes and the memory-mapped file), dtypes, layouts."""
import numpy as np
import pytest

from ember import _convert


@pytest.mark.parametrize("shape", [(7,), (3, 5), (2, 3, 4, 5), (1, 1), (0, 4), (600, 700)])
def test_round_trip_is_exact(sc, rng, shape):
    x = rng.standard_normal(shape).astype(np.float32)
    back = _convert.to_numpy(_convert.to_tensor(x))
    assert back.dtype == np.float32 and back.shape == shape
    np.testing.assert_array_equal(back, x)


@pytest.mark.parametrize("threshold", [0, 1 << 40])
def test_both_routes_agree(sc, rng, monkeypatch, threshold):
    monkeypatch.setattr(_convert, "FILE_THRESHOLD", threshold)
    x = rng.standard_normal((33, 17)).astype(np.float32)
    np.testing.assert_array_equal(_convert.to_numpy(_convert.to_tensor(x)), x)


def test_non_contiguous_big_endian_and_float64_inputs(sc, rng):
    base = rng.standard_normal((6, 8))
    for x in (base.T, base[::2, 1::3], base.astype(">f4"), base.astype(np.float64), base.astype(np.int64)):
        np.testing.assert_allclose(_convert.to_numpy(_convert.to_tensor(x)), np.asarray(x, np.float32), rtol=0, atol=0)


def test_non_numeric_input_is_a_type_error(sc):
    with pytest.raises(TypeError, match="numeric"):
        _convert.to_tensor(np.array(["a", "b"]))


def test_no_temp_files_left(sc, rng, monkeypatch, tmp_path):
    monkeypatch.setattr(_convert, "_tmp_dir", lambda: str(tmp_path))
    monkeypatch.setattr(_convert, "FILE_THRESHOLD", 0)
    x = rng.standard_normal((100, 10)).astype(np.float32)
    np.testing.assert_array_equal(_convert.to_numpy(_convert.to_tensor(x)), x)
    assert list(tmp_path.iterdir()) == []
