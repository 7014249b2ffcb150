package ember.tensor

import org.scalatest.funsuite.AnyFunSuite

class TensorSuite extends AnyFunSuite {
  test("views share storage and index correctly") {
    val t = Tensor.fromArray(Array.tabulate(24)(_.toFloat), 2, 3, 4)
    assert(t.select(0, 1)(2, 3) == 23f)
    assert(t.narrow(2, 1, 2).toArray.take(2).sameElements(Array(1f, 2f)))
    val tr = t.transpose(1, 2)
    assert(!tr.isContiguous && tr(0, 3, 2) == t(0, 2, 3))
    t.select(0, 0).fill(-1f)
    assert(t(0, 2, 1) == -1f && t(1, 0, 0) == 12f)
  }

  test("gemm on transposed views matches a naive product") {
    val rng = new java.util.Random(1)
    val a = Tensor.normal(rng, 0f, 1f, 5, 7)
    val b = Tensor.normal(rng, 0f, 1f, 3, 7)
    val c = Tensor(5, 3).addmm(0f, 1f, a, b.t())
    for (i <- 0 until 5; j <- 0 until 3) {
      val ref = (0 until 7).map(p => a(i, p).toDouble * b(j, p)).sum
      assert(math.abs(c(i, j) - ref) < 1e-4, s"($i,$j): ${c(i, j)} vs $ref")
    }
  }
}
