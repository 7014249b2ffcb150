package ember.nn

import java.util.Random

import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/**
 * Layers against Double-precision naive references (dilated, full and temporal convolution,
 * batch normalisation in both modes with its running statistics), plus behaviour the generic registry
 * checks cannot see (errors, modes, in-place, renormalisation).
 */
class LayerNumericsSuite extends AnyFunSuite {
  private val rng = new Random(42)
  private val Tol = 1e-4

  private def assertClose(actual: Tensor, expected: Array[Double], what: String, tol: Double = Tol): Unit = {
    val a = actual.toArray
    assert(a.length == expected.length, s"$what: ${a.length} values, expected ${expected.length}")
    for (i <- a.indices) assert(math.abs(a(i) - expected(i)) <= tol * (1 + math.abs(expected(i))), s"$what[$i]: ${a(i)} vs ${expected(i)}")
  }

  test("the registry has an entry for every normalisation, embedding, parametrised, shape and activation layer") {
    val have = ModuleDb.modules.map { c => RandomGenerator.setSeed(1); c.make().getClass.getSimpleName }.toSet
    assert(ModuleDbLayers.classes -- have == Set.empty)
  }

  test("SpatialDilatedConvolution matches a naive Double loop (stride, padding, dilation)") {
    for ((kW, kH, dW, dH, pW, pH, dlW, dlH) <- Seq((3, 3, 1, 1, 2, 2, 2, 2), (3, 2, 2, 1, 0, 1, 1, 3), (2, 2, 2, 2, 1, 0, 3, 1))) {
      val m = new SpatialDilatedConvolution(2, 3, kW, kH, dW, dH, pW, pH, dlW, dlH)
      val x = Tensor.normal(rng, 0f, 1f, 2, 2, 9, 8)
      val y = m.forward(x)
      val (oh, ow) = (y.size(2), y.size(3))
      assert(oh == (9 + 2 * pH - dlH * (kH - 1) - 1) / dH + 1 && ow == (8 + 2 * pW - dlW * (kW - 1) - 1) / dW + 1)
      val ref = for (n <- 0 until 2; o <- 0 until 3; i <- 0 until oh; j <- 0 until ow) yield {
        var acc = m.bias(o).toDouble
        for (c <- 0 until 2; a <- 0 until kH; b <- 0 until kW) {
          val (h, w) = (i * dH - pH + a * dlH, j * dW - pW + b * dlW)
          if (h >= 0 && h < 9 && w >= 0 && w < 8) acc += m.weight(o, c, a, b).toDouble * x(n, c, h, w)
        }
        acc
      }
      assertClose(y, ref.toArray, s"dilated $kW $kH $dW $dH $pW $pH $dlW $dlH")
    }
  }

  test("SpatialFullConvolution matches the naive scatter definition, and is the adjoint of SpatialConvolution") {
    for ((k, s, p, adj) <- Seq((3, 1, 0, 0), (3, 2, 1, 1), (4, 2, 1, 0), (2, 3, 0, 2))) {
      val m = new SpatialFullConvolution(2, 3, k, k, s, s, p, p, adj, adj)
      val x = Tensor.normal(rng, 0f, 1f, 2, 2, 4, 3)
      val y = m.forward(x)
      val (oh, ow) = ((4 - 1) * s - 2 * p + k + adj, (3 - 1) * s - 2 * p + k + adj)
      assert(y.size(2) == oh && y.size(3) == ow)
      val ref = Array.ofDim[Double](2, 3, oh, ow)
      for (n <- 0 until 2; o <- 0 until 3; i <- 0 until oh; j <- 0 until ow) ref(n)(o)(i)(j) = m.bias(o)
      for (n <- 0 until 2; c <- 0 until 2; i <- 0 until 4; j <- 0 until 3; o <- 0 until 3; a <- 0 until k; b <- 0 until k) {
        val (h, w) = (i * s - p + a, j * s - p + b)
        if (h >= 0 && h < oh && w >= 0 && w < ow) ref(n)(o)(h)(w) += x(n, c, i, j).toDouble * m.weight(c, o, a, b)
      }
      assertClose(y, ref.flatten.flatten.flatten, s"full k=$k s=$s p=$p adj=$adj")
      // <conv(z), x> == <z, fullconv(x)> for the convolution with the same weights (and no bias)
      val conv = new SpatialConvolution(3, 2, k, k, s, s, p, p, false)
      conv.weight.copy(m.weight) // [2, 3, k, k]: the convolution maps the 3 output planes back to the 2 input planes
      val z = Tensor.normal(rng, 0f, 1f, 2, 3, oh, ow)
      val lhs = conv.forward(z).dot(x).toDouble
      m.bias.zero()
      val rhs = m.forward(x).dot(z).toDouble
      assert(math.abs(lhs - rhs) <= 1e-4 * (1 + math.abs(lhs)), s"adjoint: $lhs vs $rhs")
    }
  }

  test("convolutions: frozen ones accumulate no gradient; without propagateBack the parameter gradients are unchanged") {
    def make(): Seq[TensorModule] = { RandomGenerator.setSeed(3); Seq(new SpatialDilatedConvolution(2, 3, 3, 3, 1, 1, 2, 2, 2, 2),
      new SpatialFullConvolution(2, 3, 3, 3, 2, 2, 1, 1, 1, 1), new TemporalConvolution(5, 3, 2)) }
    val inputs = Seq(Tensor.normal(rng, 0f, 1f, 2, 2, 5, 5), Tensor.normal(rng, 0f, 1f, 2, 2, 5, 5), Tensor.normal(rng, 0f, 1f, 2, 6, 5))
    for (((full, lean), x) <- make().zip(make()).zip(inputs)) {
      val g = full.forward(x).clone().fill(0.5f)
      full.zeroGradParameters(); full.backward(x, g)
      lean.setPropagateBack(false).zeroGradParameters(); lean.forward(x); lean.backward(x, g)
      for ((a, b) <- full.parameters()._2.zip(lean.parameters()._2)) assert(a.almostEqual(b, 0, 0), s"$lean")
      full.freeze().zeroGradParameters(); full.forward(x); full.backward(x, g)
      assert(full.parameters()._2.forall(_.sumSquares() == 0), s"frozen $full accumulated")
    }
  }

  test("SpatialFullConvolution rejects adj >= stride with a message naming it") {
    val e = intercept[IllegalArgumentException](new SpatialFullConvolution(1, 1, 3, 3, 2, 2, 0, 0, 2, 0))
    assert(e.getMessage.contains("adj must be in [0, stride)"))
  }

  test("TemporalConvolution matches a naive Double loop") {
    for ((k, s) <- Seq((2, 1), (3, 2), (1, 1), (4, 3))) {
      val m = new TemporalConvolution(3, 4, k, s)
      val x = Tensor.normal(rng, 0f, 1f, 2, 9, 3)
      val y = m.forward(x)
      val outT = (9 - k) / s + 1
      assert(y.shape.toSeq == Seq(2, outT, 4))
      val ref = for (n <- 0 until 2; t <- 0 until outT; o <- 0 until 4) yield
        m.bias(o).toDouble + (for (j <- 0 until k; f <- 0 until 3) yield m.weight(o, j * 3 + f).toDouble * x(n, t * s + j, f)).sum
      assertClose(y, ref.toArray, s"temporal k=$k s=$s")
    }
    val e = intercept[IllegalArgumentException](new TemporalConvolution(3, 4, 5).forward(Tensor(2, 4, 3)))
    assert(e.getMessage.contains("TemporalConvolution: output frames (in + 2*pad - k)/stride + 1 = 0 for input 4, kernel 5"))
  }

  /** Naive batch norm over [n, c, s] in Double: (output, new running mean, new running var). */
  private def naiveBatchNorm(x: Tensor, c: Int, w: Tensor, b: Tensor, rm: Array[Double], rv: Array[Double], train: Boolean,
      momentum: Double, eps: Double): (Array[Double], Array[Double], Array[Double]) = {
    val n = x.size(0)
    val s = x.nElement / (n * c)
    val xs = x.toArray.map(_.toDouble)
    def at(i: Int, ch: Int, k: Int) = (i * c + ch) * s + k
    val out = new Array[Double](xs.length)
    val (nm, nv) = (rm.clone(), rv.clone())
    for (ch <- 0 until c) {
      val vals = for (i <- 0 until n; k <- 0 until s) yield xs(at(i, ch, k))
      val mean = if (train) vals.sum / vals.size else rm(ch)
      val v = if (train) vals.map(u => (u - mean) * (u - mean)).sum / vals.size else rv(ch)
      if (train) {
        nm(ch) = momentum * mean + (1 - momentum) * rm(ch)
        nv(ch) = momentum * v * vals.size / (vals.size - 1) + (1 - momentum) * rv(ch)
      }
      for (i <- 0 until n; k <- 0 until s)
        out(at(i, ch, k)) = (xs(at(i, ch, k)) - mean) / math.sqrt(v + eps) * w(ch) + b(ch)
    }
    (out, nm, nv)
  }

  test("SpatialBatchNormalization: training uses batch statistics and updates running ones; evaluation uses them") {
    val m = new SpatialBatchNormalization(3, 1e-3, 0.3)
    m.weight.copy(Tensor.fromArray(Array(0.5f, 2f, -1f), 3)); m.bias.copy(Tensor.fromArray(Array(0.1f, 0f, 1f), 3))
    var (rm, rv) = (Array(0.0, 0.0, 0.0), Array(1.0, 1.0, 1.0))
    for (step <- 0 until 3) {
      val x = Tensor.normal(rng, step.toFloat, 2f, 4, 3, 2, 3)
      val (ref, nm, nv) = naiveBatchNorm(x, 3, m.weight, m.bias, rm, rv, train = true, 0.3, 1e-3)
      assertClose(m.forward(x), ref, s"training step $step")
      rm = nm; rv = nv
      assertClose(m.runningMean, rm, "running mean"); assertClose(m.runningVar, rv, "running var")
    }
    m.evaluate()
    val x = Tensor.normal(rng, 1f, 2f, 2, 3, 2, 2)
    assertClose(m.forward(x), naiveBatchNorm(x, 3, m.weight, m.bias, rm, rv, train = false, 0.3, 1e-3)._1, "evaluation")
    val before = m.runningMean.clone()
    m.forward(x)
    assert(m.runningMean.almostEqual(before, 0, 0), "evaluation must not move the running mean")
    // evaluation gradient: the statistics are constants, so gradInput = g * w / sqrt(rv + eps)
    val g = Tensor.normal(rng, 0f, 1f, 2, 3, 2, 2)
    val gi = m.backward(x, g)
    val expected = for (n <- 0 until 2; c <- 0 until 3; i <- 0 until 2; j <- 0 until 2) yield
      g(n, c, i, j) * m.weight(c) / math.sqrt(rv(c) + 1e-3)
    assertClose(gi, expected.toArray, "evaluation gradInput")
  }

  test("SpatialCrossMapLRN matches a naive Double loop, odd and even window sizes") {
    for ((size, alpha, beta, k) <- Seq((5, 1e-2, 0.75, 1.0), (4, 0.5, 0.5, 2.0), (2, 1.0, 1.0, 1.5))) {
      val m = new SpatialCrossMapLRN(size, alpha, beta, k)
      val x = Tensor.normal(rng, 0f, 1f, 2, 6, 2, 3)
      val pre = (size - 1) / 2
      val ref = for (n <- 0 until 2; c <- 0 until 6; i <- 0 until 2; j <- 0 until 3) yield {
        val window = (c - pre until c - pre + size).filter(cc => cc >= 0 && cc < 6)
        x(n, c, i, j) * math.pow(k + alpha / size * window.map(cc => math.pow(x(n, cc, i, j).toDouble, 2)).sum, -beta)
      }
      assertClose(m.forward(x), ref.toArray, s"LRN size=$size")
    }
  }

  test("batch norm's backward (one kernel pass) = updateGradInput + accGradParameters; frozen: no parameter gradients") {
    val rng = new Random(5)
    val x = Tensor(6, 3, 4, 5).apply1(_ => rng.nextGaussian().toFloat)
    val g = Tensor(6, 3, 4, 5).apply1(_ => rng.nextGaussian().toFloat)
    def fresh(): SpatialBatchNormalization = {
      val bn = new SpatialBatchNormalization(3); bn.weight.copy(Tensor.fromArray(Array(0.5f, 1.5f, -2f), 3)); bn.forward(x); bn
    }
    val (a, b) = (fresh(), fresh())
    val gi = a.backward(x, g).clone()
    val gi2 = b.updateGradInput(x, g).clone()
    b.accGradParameters(x, g)
    assert(gi.almostEqual(gi2, 0, 0) && a.gradWeight.almostEqual(b.gradWeight, 0, 0) && a.gradBias.almostEqual(b.gradBias, 0, 0))
    assert(a.gradWeight.toArray.exists(_ != 0f))
    val c = fresh().freeze()
    assert(c.backward(x, g).almostEqual(gi, 0, 0))
    assert(c.gradWeight.toArray.forall(_ == 0f) && c.gradBias.toArray.forall(_ == 0f))
  }

  test("BatchNormalization refuses to train on a batch of one (no variance)") {
    val e = intercept[IllegalArgumentException](new BatchNormalization(3).forward(Tensor(1, 3)))
    assert(e.getMessage.contains("more than one value per channel"))
    assert(new BatchNormalization(3).evaluate().forward(Tensor.ones(1, 3)).nElement == 3)
  }

  test("LookupTable: 0-based rows, clear error for an out-of-range or fractional index, maxNorm renormalisation") {
    val m = new LookupTable(4, 3)
    val y = m.forward(Tensor.fromArray(Array(0f, 3f, 3f, 1f), 2, 2))
    assert(y.shape.toSeq == Seq(2, 2, 3))
    assert(y.select(0, 0).select(0, 1).almostEqual(m.weight.select(0, 3), 0, 0))
    for (bad <- Seq(4f, -1f, 1.5f)) {
      val e = intercept[IndexOutOfBoundsException](m.forward(Tensor.fromArray(Array(0f, bad), 2)))
      assert(e.getMessage.contains(s"index $bad at position 1") && e.getMessage.contains("[0, 4)"), e.getMessage)
    }
    val r = new LookupTable(5, 4, -1, 1.0, 2.0, false)
    r.weight.fill(2f)
    r.forward(Tensor.fromArray(Array(1f, 3f), 2))
    assert(math.abs(r.weight.select(0, 1).norm2() - 1.0) < 1e-5 && math.abs(r.weight.select(0, 3).norm2() - 1.0) < 1e-5)
    assert(r.weight.select(0, 0).almostEqual(Tensor.ones(4).mul(2f), 0, 0), "rows not looked up keep their values")
  }

  test("LookupTable: the padding row gets no gradient; shouldScaleGradByFreq divides by the index count") {
    val m = new LookupTable(5, 2, 2, Double.MaxValue, 2.0, true)
    val idx = Tensor.fromArray(Array(0f, 2f, 0f, 4f, 0f, 2f), 2, 3)
    m.forward(idx)
    m.backward(idx, Tensor.ones(2, 3, 2))
    assert(m.gradWeight.toArray.toSeq == Seq(1f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 1f, 1f))
    val plain = new LookupTable(5, 2)
    plain.forward(idx)
    plain.backward(idx, Tensor.ones(2, 3, 2))
    assert(plain.gradWeight.toArray.toSeq == Seq(3f, 3f, 0f, 0f, 2f, 2f, 0f, 0f, 1f, 1f))
  }

  test("noise layers: identity in evaluation mode; GaussianNoise has the requested spread in training") {
    val x = Tensor.normal(rng, 0f, 1f, 200, 50)
    assert(new GaussianNoise(0.5).evaluate().forward(x).almostEqual(x, 0, 0))
    val noise = new GaussianNoise(0.5).setSeed(1).forward(x).clone().sub(x)
    assert(math.abs(noise.mean()) < 0.02 && math.abs(math.sqrt(noise.sumSquares() / noise.nElement) - 0.5) < 0.02)
    val d = new SpatialDropout2D(0.3).setSeed(2)
    val y = d.forward(Tensor.ones(100, 20, 3, 3))
    val planes = (0 until 100).flatMap(n => (0 until 20).map(c => y.select(0, n).select(0, c).toArray.distinct.toSeq))
    assert(planes.forall(p => p == Seq(0f) || p == Seq(1f)), "whole planes are dropped or kept")
    assert(math.abs(planes.count(_ == Seq(0f)) / 2000.0 - 0.3) < 0.04)
    assert(d.evaluate().forward(Tensor.ones(2, 3, 2, 2)).almostEqual(Tensor.ones(2, 3, 2, 2).mul(0.7f), 1e-7, 0))
  }

  test("in-place activations overwrite input and gradOutput; shape layers reject bad dimensions") {
    val x = Tensor.fromArray(Array(-2f, 0.5f, 7f), 3)
    val m = new ReLU6(true)
    assert(m.forward(x) eq x)
    assert(x.toArray.toSeq == Seq(0f, 0.5f, 6f))
    val g = Tensor.ones(3)
    assert(m.backward(x, g) eq g)
    assert(g.toArray.toSeq == Seq(0f, 1f, 0f))
    assert(intercept[IllegalArgumentException](new Select(2, 0).forward(Tensor(2, 3))).getMessage.contains("dimension 2 (0-based)"))
    assert(intercept[IllegalArgumentException](new Narrow(1, 2, 3).forward(Tensor(2, 4))).getMessage.contains("out of range"))
    assert(intercept[IllegalArgumentException](new CMul(Array(3)).forward(Tensor(2, 4))).getMessage.contains("does not broadcast"))
  }
}
