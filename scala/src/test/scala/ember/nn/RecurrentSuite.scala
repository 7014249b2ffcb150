package ember.nn

import java.util.Random

import ember.tensor.{RandomGenerator, Table, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/**
 * LSTM, GRU and RnnCell against an independent Double-precision re-implementation of their equations
 * (plain loops, written from the textbook formulas, not from the layers' code): outputs, and the input and
 * parameter gradients of L = sum(output * R) obtained by central differences of the Double reference.
 */
class RecurrentSuite extends AnyFunSuite {
  type D3 = Array[Array[Array[Double]]]

  private def sig(v: Double): Double = 1 / (1 + math.exp(-v))

  /** Weights of a cell as Double matrices: (W_ih [G][I], W_hh [G][H], b [G], b_hh [G] or zeros). */
  final case class W(ih: Array[Array[Double]], hh: Array[Array[Double]], b: Array[Double], bhh: Array[Double])

  private def weights(c: Cell): W = {
    def m(t: Tensor) = Array.tabulate(t.size(0), t.size(1))((i, j) => t(i, j).toDouble)
    W(m(c.weightIH), m(c.weightHH), c.bias.toArray.map(_.toDouble),
      if (c.biasHH == null) new Array[Double](c.bias.nElement) else c.biasHH.toArray.map(_.toDouble))
  }

  private def affine(w: Array[Array[Double]], b: Array[Double], v: Array[Double]): Array[Double] =
    Array.tabulate(w.length)(g => b(g) + w(g).indices.map(k => w(g)(k) * v(k)).sum)

  /** Reference forward of a whole sequence x [B][T][I]; `kind` = "lstm", "gru" or an RnnCell activation. */
  def reference(kind: String, w: W, x: D3, hN: Int): D3 = x.map { seq =>
    var h = new Array[Double](hN); var c = new Array[Double](hN)
    seq.map { xt =>
      val a = affine(w.ih, w.b, xt); val u = affine(w.hh, w.bhh, h)
      kind match {
        case "lstm" =>
          val z = a.indices.map(g => a(g) + u(g))
          val cn = Array.tabulate(hN)(j => sig(z(hN + j)) * c(j) + sig(z(j)) * math.tanh(z(2 * hN + j)))
          h = Array.tabulate(hN)(j => sig(z(3 * hN + j)) * math.tanh(cn(j))); c = cn
        case "gru" =>
          val r = Array.tabulate(hN)(j => sig(a(j) + u(j))); val zz = Array.tabulate(hN)(j => sig(a(hN + j) + u(hN + j)))
          val n = Array.tabulate(hN)(j => math.tanh(a(2 * hN + j) + r(j) * u(2 * hN + j)))
          h = Array.tabulate(hN)(j => (1 - zz(j)) * n(j) + zz(j) * h(j))
        case "tanh"    => h = Array.tabulate(hN)(j => math.tanh(a(j) + u(j)))
        case "sigmoid" => h = Array.tabulate(hN)(j => sig(a(j) + u(j)))
      }
      h.clone()
    }
  }

  private def toD3(t: Tensor): D3 = Array.tabulate(t.size(0), t.size(1), t.size(2))((i, j, k) => t(i, j, k).toDouble)

  private def loss(y: D3, r: D3): Double = y.indices.map(i => y(i).indices.map(j => y(i)(j).indices.map(k => y(i)(j)(k) * r(i)(j)(k)).sum).sum).sum

  private def close(a: Double, b: Double, atol: Double, rtol: Double): Boolean = math.abs(a - b) <= atol + rtol * math.abs(b)

  private def checkCell(kind: String, make: () => Cell): Unit = {
    RandomGenerator.setSeed(3)
    val cell = make()
    val rnn = new Recurrent().add(cell)
    val rng = new Random(4)
    val (b, t, hN) = (3, 5, cell.hiddenSize)
    val x = Tensor.normal(rng, 0f, 1f, b, t, cell.inputSize)
    val r = Tensor.normal(rng, 0f, 1f, b, t, hN)
    val y = rnn.forward(x).toTensor
    val w = weights(cell)
    val xd = toD3(x); val rd = toD3(r)
    val ref = reference(kind, w, xd, hN)
    // outputs: Float32 against Double, atol 1e-5 (values are O(1), a few hundred float ops per output)
    for (i <- 0 until b; s <- 0 until t; j <- 0 until hN)
      assert(close(y(i, s, j), ref(i)(s)(j), 1e-5, 1e-4), s"$kind output[$i, $s, $j]: ${y(i, s, j)} vs ${ref(i)(s)(j)}")

    rnn.zeroGradParameters()
    val gx = rnn.backward(x, r).toTensor
    val eps = 1e-6 // Double central differences: truncation ~eps^2, rounding ~1e-16/eps = 1e-10
    for (i <- 0 until b; s <- 0 until t; k <- 0 until cell.inputSize) {
      val up = xd.map(_.map(_.clone())); up(i)(s)(k) += eps
      val dn = xd.map(_.map(_.clone())); dn(i)(s)(k) -= eps
      val num = (loss(reference(kind, w, up, hN), rd) - loss(reference(kind, w, dn, hN), rd)) / (2 * eps)
      assert(close(gx(i, s, k), num, 1e-4, 1e-3), s"$kind gradInput[$i, $s, $k]: ${gx(i, s, k)} vs $num")
    }
    // parameter gradients: perturb each weight of the Double reference
    def perturbed(f: W => Unit): W = {
      val c = W(w.ih.map(_.clone()), w.hh.map(_.clone()), w.b.clone(), w.bhh.clone()); f(c); c
    }
    def numGrad(f: (W, Double) => Unit): Double =
      (loss(reference(kind, perturbed(f(_, eps)), xd, hN), rd) - loss(reference(kind, perturbed(f(_, -eps)), xd, hN), rd)) / (2 * eps)
    for (g <- 0 until cell.weightIH.size(0)) {
      for (k <- 0 until cell.inputSize) {
        val num = numGrad((c, e) => c.ih(g)(k) += e)
        assert(close(cell.gradWeightIH(g, k), num, 1e-4, 1e-3), s"$kind dW_ih[$g, $k]: ${cell.gradWeightIH(g, k)} vs $num")
      }
      for (k <- 0 until hN) {
        val num = numGrad((c, e) => c.hh(g)(k) += e)
        assert(close(cell.gradWeightHH(g, k), num, 1e-4, 1e-3), s"$kind dW_hh[$g, $k]: ${cell.gradWeightHH(g, k)} vs $num")
      }
      val nb = numGrad((c, e) => c.b(g) += e)
      assert(close(cell.gradBias(g), nb, 1e-4, 1e-3), s"$kind db[$g]: ${cell.gradBias(g)} vs $nb")
      if (cell.biasHH != null) {
        val nh = numGrad((c, e) => c.bhh(g) += e)
        assert(close(cell.gradBiasHH(g), nh, 1e-4, 1e-3), s"$kind db_hh[$g]: ${cell.gradBiasHH(g)} vs $nh")
      }
    }
  }

  test("LSTM matches the Double reference: outputs, input and parameter gradients (BPTT)") { checkCell("lstm", () => new LSTM(3, 4)) }
  test("GRU matches the Double reference: outputs, input and parameter gradients (BPTT)") { checkCell("gru", () => new GRU(3, 4)) }
  test("RnnCell (tanh) matches the Double reference") { checkCell("tanh", () => new RnnCell(2, 3)) }
  test("RnnCell (sigmoid) matches the Double reference") { checkCell("sigmoid", () => new RnnCell(2, 3, "sigmoid")) }

  test("parameter counts: LSTM 4H(I+H+1), GRU 3H(I+H+2), RnnCell H(I+H+1)") {
    assert(new LSTM(10, 20).parameterCount == 4 * 20 * (10 + 20 + 1))
    assert(new GRU(10, 20).parameterCount == 3 * 20 * (10 + 20 + 2))
    assert(new RnnCell(10, 20).parameterCount == 20 * (10 + 20 + 1))
  }

  test("one step of a cell equals the first step of Recurrent, and the state carries over") {
    RandomGenerator.setSeed(9)
    val cell = new LSTM(3, 2)
    val rng = new Random(1)
    val x = Tensor.normal(rng, 0f, 1f, 2, 3, 3)
    val seq = new Recurrent().add(cell.cloneModule()).forward(x).toTensor
    var h = Tensor(2, 2); var c = Tensor(2, 2)
    for (s <- 0 until 3) {
      val out = cell.forward(Table(x.select(1, s).clone(), h, c)).toTable
      h = out(0).toTensor.clone(); c = out(1).toTensor.clone()
      assert(h.almostEqual(seq.select(1, s).clone(), 1e-6, 1e-5), s"step $s")
    }
  }

  test("BiRecurrent: forward direction plus the reversed sequence through its own cell") {
    RandomGenerator.setSeed(2)
    val bi = new BiRecurrent("concat").add(new GRU(2, 3))
    val (fw, bw) = (bi.children(0).children.head.asInstanceOf[Cell], bi.children(1).children.head.asInstanceOf[Cell])
    assert(!fw.weightIH.almostEqual(bw.weightIH), "the two directions must have their own weights")
    val x = Tensor.normal(new Random(5), 0f, 1f, 2, 4, 2)
    val y = bi.forward(x).toTensor
    assert(y.shape.toSeq == Seq(2, 4, 6))
    val xd = toD3(x)
    val f = reference("gru", weights(fw), xd, 3)
    val b = reference("gru", weights(bw), xd.map(_.reverse), 3).map(_.reverse)
    for (i <- 0 until 2; s <- 0 until 4; j <- 0 until 3) {
      assert(close(y(i, s, j), f(i)(s)(j), 1e-5, 1e-4))
      assert(close(y(i, s, 3 + j), b(i)(s)(j), 1e-5, 1e-4))
    }
    val sum = new BiRecurrent().add(new LSTM(2, 3))
    assert(sum.forward(x).toTensor.shape.toSeq == Seq(2, 4, 3))
  }

  test("clear errors for wrong shapes and configurations") {
    val e1 = intercept[IllegalArgumentException](new Recurrent().add(new LSTM(3, 4)).forward(Tensor(2, 5, 2)))
    assert(e1.getMessage.contains("[batch, time, 3]") && e1.getMessage.contains("[2, 5, 2]"), e1.getMessage)
    val e2 = intercept[IllegalArgumentException](new Recurrent().add(new Linear(3, 4)))
    assert(e2.getMessage.contains("recurrent cell"))
    val e3 = intercept[IllegalArgumentException](new RnnCell(2, 3, "softsign"))
    assert(e3.getMessage.contains("softsign"))
    val e4 = intercept[IllegalArgumentException](new LSTM(2, 3).forward(Table(Tensor(4, 2), Tensor(4, 3))))
    assert(e4.getMessage.contains("(x, h, c)"), e4.getMessage)
    intercept[IllegalArgumentException](new BiRecurrent("mean"))
  }
}
