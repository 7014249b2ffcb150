package ember.nn

import java.util.Random

import ember.tensor.Tensor
import org.scalatest.funsuite.AnyFunSuite

/** SoftMax and LogSoftMax against the direct formula exp(x_i) / sum_j exp(x_j) in Double. */
class SoftMaxSuite extends AnyFunSuite {
  private val rng = new Random(3)

  private def direct(v: Seq[Double]): Seq[Double] = { val e = v.map(math.exp); e.map(_ / e.sum) }

  test("softmax and log-softmax of rows match the direct formula") {
    val x = Tensor.normal(rng, 0f, 2f, 4, 6)
    val (p, lp) = (new SoftMax().forward(x), new LogSoftMax().forward(x))
    for (r <- 0 until 4) {
      val ref = direct((0 until 6).map(x(r, _).toDouble))
      for (j <- 0 until 6) {
        assert(math.abs(p(r, j) - ref(j)) < 1e-6)
        assert(math.abs(lp(r, j) - math.log(ref(j))) < 1e-5)
      }
    }
  }

  test("on [N, C, H, W] the softmax runs over the channels of each pixel") {
    val x = Tensor.normal(rng, 0f, 1f, 2, 3, 2, 2)
    val y = new SoftMax().forward(x)
    for (n <- 0 until 2; h <- 0 until 2; w <- 0 until 2) {
      val ref = direct((0 until 3).map(c => x(n, c, h, w).toDouble))
      for (c <- 0 until 3) assert(math.abs(y(n, c, h, w) - ref(c)) < 1e-6)
    }
  }

  test("large inputs stay finite (max subtraction)") {
    val x = Tensor.fromArray(Array(1000f, 1001f, 999f, -1000f), 1, 4)
    val lp = new LogSoftMax().forward(x)
    assert(!lp.hasNaNOrInf)
    val ref = direct(Seq(0.0, 1.0, -1.0, -2000.0))
    assert(math.abs(lp(0, 1) - math.log(ref(1))) < 1e-5)
    assert(!new SoftMax().forward(x).hasNaNOrInf)
  }

  test("wrong shapes are rejected with the layer's name") {
    assert(intercept[IllegalArgumentException](new LogSoftMax().forward(Tensor(1, 2, 3, 4, 5))).getMessage.stripPrefix("requirement failed: ") ==
      "LogSoftMax: expected input of shape [n], [batch, n], [C, H, W] or [batch, C, H, W], got [1, 2, 3, 4, 5]")
  }
}
