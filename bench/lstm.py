"""LSTM training step (forward + full BPTT backward) of Ember's Recurrent(LSTM) against a numpy peer with the
same gate equations and the same GEMM-over-the-batch structure, measured in one run; prints the ratio.

Usage: .venv/bin/python bench/lstm.py [--batch 64 --steps 50 --size 128 --repeats 10]
"""
import argparse
import time

import numpy as np


def numpy_lstm_step(x, w_ih, w_hh, b, g_out):
    n, t, _ = x.shape
    hn = w_hh.shape[1]
    pre = (x.reshape(n * t, -1) @ w_ih.T + b).reshape(n, t, 4 * hn)
    hs, cs, gates = np.zeros((t + 1, n, hn), np.float32), np.zeros((t + 1, n, hn), np.float32), []
    for s in range(t):
        z = pre[:, s] + hs[s] @ w_hh.T
        i, f = 1 / (1 + np.exp(-z[:, :hn])), 1 / (1 + np.exp(-z[:, hn:2 * hn]))
        g, o = np.tanh(z[:, 2 * hn:3 * hn]), 1 / (1 + np.exp(-z[:, 3 * hn:]))
        cs[s + 1] = f * cs[s] + i * g
        hs[s + 1] = o * np.tanh(cs[s + 1])
        gates.append((i, f, g, o))
    dh, dc = np.zeros((n, hn), np.float32), np.zeros((n, hn), np.float32)
    dz_all = np.zeros((t, n, 4 * hn), np.float32)
    for s in reversed(range(t)):
        i, f, g, o = gates[s]
        dh = dh + g_out[:, s]
        tc = np.tanh(cs[s + 1])
        dct = dc + dh * o * (1 - tc * tc)
        dz = np.concatenate([dct * g * i * (1 - i), dct * cs[s] * f * (1 - f), dct * i * (1 - g * g),
                             dh * tc * o * (1 - o)], 1)
        dz_all[s] = dz
        dc = dct * f
        dh = dz @ w_hh
    dz2 = dz_all.reshape(t * n, -1)
    xt = x.transpose(1, 0, 2).reshape(t * n, -1)
    grads = (dz2.T @ xt, dz2.T @ hs[:t].reshape(t * n, hn), dz2.sum(0))
    return (dz2 @ w_ih).reshape(t, n, -1).transpose(1, 0, 2), grads


def timed(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=10)
    a = ap.parse_args()
    from ember.nn.layer import LSTM, Recurrent
    from ember.util.common import init_engine

    init_engine(master="local[2]")
    rng = np.random.RandomState(0)
    x = rng.standard_normal((a.batch, a.steps, a.size)).astype(np.float32)
    g = rng.standard_normal((a.batch, a.steps, a.size)).astype(np.float32)
    model = Recurrent().add(LSTM(a.size, a.size))
    w_ih, w_hh, b = model.get_weights()

    def ember_step():
        model.forward(x)
        model.backward(x, g)

    ember_s = timed(ember_step, a.repeats)
    numpy_s = timed(lambda: numpy_lstm_step(x, w_ih, w_hh, b, g), a.repeats)
    gi = model.backward(x, g)
    ref, _ = numpy_lstm_step(x, w_ih, w_hh, b, g)
    err = float(np.abs(gi - ref).max())
    print(f"LSTM fwd+bwd batch {a.batch} x {a.steps} steps x {a.size}: Ember {ember_s * 1e3:.1f} ms "
          f"(incl. numpy<->JVM transfer), numpy {numpy_s * 1e3:.1f} ms, Ember/numpy speed ratio "
          f"{numpy_s / ember_s:.2f}; max |gradInput difference| {err:.2e}")


if __name__ == "__main__":
    main()
