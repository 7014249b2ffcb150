"""Table layers, recurrent layers and graphs from Python against numpy references (Python/Scala parity)."""
import numpy as np
import pytest

from ember.nn.criterion import MSECriterion
from ember.optim.optimizer import SGD, MaxIteration, Optimizer
from ember.nn.layer import (GRU, LSTM, BiRecurrent, CAddTable, CMulTable, Concat, ConcatTable, FlattenTable, Graph, Input,
                            JoinTable, Linear, MapTable, Model, ParallelTable, Recurrent, RnnCell, SelectTable, Sequential,
                            Sigmoid, SplitTable, Tanh, TimeDistributed)

ATOL, RTOL = 1e-5, 1e-4


def _lin(m, x):
    w, b = m.get_weights()
    return x @ w.T + b


def test_table_layers_match_numpy(sc, rng):
    a, b, c = (rng.standard_normal((3, 4)).astype(np.float32) for _ in range(3))
    np.testing.assert_allclose(JoinTable(1).forward([a, b]), np.concatenate([a, b], 1))
    np.testing.assert_allclose(JoinTable(0, 1).forward([a, b]), np.concatenate([a, b], 1))
    parts = SplitTable(1).forward(np.stack([a, b], 1))
    assert isinstance(parts, list) and len(parts) == 2
    np.testing.assert_allclose(parts[1], b)
    np.testing.assert_allclose(CAddTable().forward([a, b, c]), a + b + c, atol=ATOL)
    np.testing.assert_allclose(CMulTable().forward([a, b, c]), a * b * c, atol=ATOL)
    g = rng.standard_normal((3, 4)).astype(np.float32)
    m = CMulTable()
    m.forward([a, b, c])
    grads = m.backward([a, b, c], g)
    for got, ref in zip(grads, [g * b * c, g * a * c, g * a * b]):
        np.testing.assert_allclose(got, ref, atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(SelectTable(-1).forward([a, b, c]), c)
    flat = FlattenTable().forward([a, [b, [c]]])
    assert len(flat) == 3 and np.allclose(flat[2], c)


def test_table_containers_match_numpy(sc, rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    l1, l2 = Linear(3, 2), Linear(3, 4)
    out = ConcatTable().add(l1).add(l2).forward(x)
    np.testing.assert_allclose(out[0], _lin(l1, x), atol=ATOL)
    np.testing.assert_allclose(out[1], _lin(l2, x), atol=ATOL)
    np.testing.assert_allclose(Concat(1).add(l1).add(l2).forward(x), np.concatenate([_lin(l1, x), _lin(l2, x)], 1),
                               atol=ATOL)
    z = rng.standard_normal((2, 7)).astype(np.float32)
    p = ParallelTable().add(l1).add(Tanh()).forward([x, z])
    np.testing.assert_allclose(p[1], np.tanh(z), atol=ATOL)
    lin = Linear(3, 2)
    m = MapTable(lin)
    outs = m.forward([x, x[:2]])
    np.testing.assert_allclose(outs[1], _lin(lin, x[:2]), atol=ATOL)
    assert m.n_parameters() == 8
    seq = rng.standard_normal((2, 6, 3)).astype(np.float32)
    np.testing.assert_allclose(TimeDistributed(lin).forward(seq), _lin(lin, seq), atol=ATOL)


def _sig(v):
    return 1 / (1 + np.exp(-v))


def _lstm_ref(x, w_ih, w_hh, b):
    n, t, _ = x.shape
    hn = w_hh.shape[1]
    h, c, out = np.zeros((n, hn)), np.zeros((n, hn)), []
    for s in range(t):
        z = x[:, s] @ w_ih.T + h @ w_hh.T + b
        i, f, g, o = _sig(z[:, :hn]), _sig(z[:, hn:2 * hn]), np.tanh(z[:, 2 * hn:3 * hn]), _sig(z[:, 3 * hn:])
        c = f * c + i * g
        h = o * np.tanh(c)
        out.append(h)
    return np.stack(out, 1)


def _gru_ref(x, w_ih, w_hh, b_ih, b_hh):
    n, t, _ = x.shape
    hn = w_hh.shape[1]
    h, out = np.zeros((n, hn)), []
    for s in range(t):
        a, u = x[:, s] @ w_ih.T + b_ih, h @ w_hh.T + b_hh
        r, z = _sig(a[:, :hn] + u[:, :hn]), _sig(a[:, hn:2 * hn] + u[:, hn:2 * hn])
        nn_ = np.tanh(a[:, 2 * hn:] + r * u[:, 2 * hn:])
        h = (1 - z) * nn_ + z * h
        out.append(h)
    return np.stack(out, 1)


def test_recurrent_layers_match_numpy(sc, rng):
    x = rng.standard_normal((3, 5, 4)).astype(np.float64)
    lstm = Recurrent().add(LSTM(4, 6))
    assert [n.split(".")[-1] for n in lstm.parameters()] == ["weight_ih", "weight_hh", "bias"]
    np.testing.assert_allclose(lstm.forward(x), _lstm_ref(x, *lstm.get_weights()), atol=ATOL, rtol=RTOL)
    gru = Recurrent().add(GRU(4, 6))
    np.testing.assert_allclose(gru.forward(x), _gru_ref(x, *gru.get_weights()), atol=ATOL, rtol=RTOL)
    rnn = Recurrent().add(RnnCell(4, 3, Sigmoid()))
    w_ih, w_hh, b = rnn.get_weights()
    h, ref = np.zeros((3, 3)), []
    for s in range(5):
        h = _sig(x[:, s] @ w_ih.T + h @ w_hh.T + b)
        ref.append(h)
    np.testing.assert_allclose(rnn.forward(x), np.stack(ref, 1), atol=ATOL, rtol=RTOL)
    bi = BiRecurrent(JoinTable(2)).add(LSTM(4, 2))
    ws = bi.get_weights()
    ref = np.concatenate([_lstm_ref(x, *ws[:3]), _lstm_ref(x[:, ::-1], *ws[3:])[:, ::-1]], 2)
    np.testing.assert_allclose(bi.forward(x), ref, atol=ATOL, rtol=RTOL)
    with pytest.raises(ValueError, match="not supported"):
        LSTM(4, 6, p=0.5)
    with pytest.raises(ValueError, match=r"\[batch, time, 4\]"):
        lstm.forward(np.zeros((3, 5)))


def test_functional_model_multi_input_output_and_shortcut(sc, rng):
    u, v = Input("u"), Input("v")
    lu, lv = Linear(3, 4), Linear(2, 4)
    hu, hv = lu(u), lv.inputs(v)
    s = CAddTable()([hu, hv])
    t = Tanh()(s)
    out2 = CAddTable()(t, s)  # a shortcut around Tanh
    model = Model([u, v], [t, out2])
    assert isinstance(model, Graph)
    xu, xv = rng.standard_normal((5, 3)).astype(np.float32), rng.standard_normal((5, 2)).astype(np.float32)
    ys = _lin(lu, xu) + _lin(lv, xv)
    y1, y2 = model.forward([xu, xv])
    np.testing.assert_allclose(y1, np.tanh(ys), atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(y2, np.tanh(ys) + ys, atol=ATOL, rtol=RTOL)
    g1, g2 = np.ones((5, 4), np.float32), np.ones((5, 4), np.float32)
    gu, gv = model.backward([xu, xv], [g1, g2])
    gs = (g1 + g2) * (1 - np.tanh(ys) ** 2) + g2
    np.testing.assert_allclose(gu, gs @ lu.get_weights()[0], atol=1e-4, rtol=RTOL)
    np.testing.assert_allclose(gv, gs @ lv.get_weights()[0], atol=1e-4, rtol=RTOL)


def test_model_file_freeze_and_errors(sc, rng, tmp_path):
    x = Input()
    body = Linear(4, 4).set_name("body")
    model = Model(x, Linear(4, 1).set_name("head")(Tanh()(body(x))))
    data = rng.standard_normal((8, 4)).astype(np.float32)
    y = model.forward(data)
    path = str(tmp_path / "graph.ember")
    model.saveModel(path, over_write=True)
    back = Model.loadModel(path)
    assert isinstance(back, Graph) and repr(back) == repr(model)
    np.testing.assert_allclose(back.forward(data), y, atol=0)
    # a plain Sequential still loads as before
    Sequential().add(Linear(2, 2)).saveModel(str(tmp_path / "seq.ember"))
    assert type(Model.loadModel(str(tmp_path / "seq.ember"))).__name__ == "Sequential"

    model.freeze("body")
    assert body.is_frozen() and not model.is_frozen()
    before = model.parameters()
    target = rng.standard_normal((8, 1)).astype(np.float32)
    Optimizer.create(model=model, training_set=(data, target), criterion=MSECriterion(),
                     optim_method=SGD(learningrate=0.5, momentum=0.9), end_trigger=MaxIteration(3), batch_size=8).optimize()
    after = model.parameters()
    for name in ("1.weight", "1.bias"):  # the frozen body
        np.testing.assert_array_equal(after[name], before[name])
    assert not np.array_equal(after["3.weight"], before["3.weight"])
    model.unfreeze()
    assert not body.is_frozen()
    with pytest.raises(ValueError, match="no module named 'nope'"):
        model.freeze(["nope"])
    with pytest.raises(TypeError, match="graph node"):
        Model(x, [data])
    with pytest.raises(ValueError, match="appears in two nodes"):
        Model(x, CAddTable()(body(x), body(x)))


def test_cell_steps_and_initial_states_match_numpy(sc, rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    h = rng.standard_normal((2, 4)).astype(np.float32)
    c = rng.standard_normal((2, 4)).astype(np.float32)
    cell = LSTM(3, 4)
    w_ih, w_hh, b = cell.get_weights()
    z = x @ w_ih.T + h @ w_hh.T + b
    i, f, g, o = _sig(z[:, :4]), _sig(z[:, 4:8]), np.tanh(z[:, 8:12]), _sig(z[:, 12:])
    c1 = f * c + i * g
    h1, c1_got = cell.forward([x, h, c])
    np.testing.assert_allclose(c1_got, c1, atol=ATOL, rtol=RTOL)
    np.testing.assert_allclose(h1, o * np.tanh(c1), atol=ATOL, rtol=RTOL)
    # a GRU decoder started from a given state: its first step uses h0 instead of zeros
    gru = Recurrent().add(GRU(3, 4))
    seq = rng.standard_normal((2, 5, 3)).astype(np.float32)
    w = gru.get_weights()
    n, hn = 2, 4
    hs, ref = h.astype(np.float64), []
    for s in range(5):
        a, u = seq[:, s] @ w[0].T + w[2], hs @ w[1].T + w[3]
        r, zz = _sig(a[:, :hn] + u[:, :hn]), _sig(a[:, hn:2 * hn] + u[:, hn:2 * hn])
        hs = (1 - zz) * np.tanh(a[:, 2 * hn:] + r * u[:, 2 * hn:]) + zz * hs
        ref.append(hs)
    out = gru.forward([seq, h])
    np.testing.assert_allclose(out, np.stack(ref, 1), atol=ATOL, rtol=RTOL)
    gx, gh0 = gru.backward([seq, h], np.ones_like(out))
    assert gx.shape == seq.shape and gh0.shape == h.shape and n == 2
