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

  test("copy between strided tensors with contiguous rows (transposed outer dimensions, selects) keeps every element") {
    val x = Tensor.fromArray(Array.tabulate(2 * 3 * 4)(_.toFloat), 2, 3, 4)
    val t = x.transpose(0, 1).contiguous() // [3, 2, 4]
    for (i <- 0 until 2; j <- 0 until 3; k <- 0 until 4) assert(t(j, i, k) == x(i, j, k))
    val back = Tensor(2, 3, 4)
    back.transpose(0, 1).copy(t) // strided destination
    assert(back.almostEqual(x, 0, 0))
    val s = Tensor(2, 4).copy(x.select(1, 2)) // [2, 4] rows 12 apart
    for (i <- 0 until 2; k <- 0 until 4) assert(s(i, k) == x(i, 2, k))
    val narrow = Tensor(2, 2, 4)
    narrow.copy(x.narrow(1, 1, 2))
    for (i <- 0 until 2; j <- 0 until 2; k <- 0 until 4) assert(narrow(i, j, k) == x(i, j + 1, k))
  }
}
