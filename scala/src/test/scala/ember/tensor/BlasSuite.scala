package ember.tensor

import java.util.Random

import org.scalatest.funsuite.AnyFunSuite

/**
 * [[Blas]] against plain loops in Double (the reference shares no code with netlib or OpenBLAS): GEMM in all
 * four transpose cases with offsets, padded leading dimensions and alpha/beta; `gemmTensor` on strided and
 * transposed views; axpy / scal / dot on both sides of the 64-element switch to BLAS; and the argument checks
 * that keep a bad call from reaching native code. Tolerance: |a - b| <= 1e-5 * (1 + |b|) per value, with
 * inputs in [-1, 1] and inner sizes up to 70 (float32 accumulation error is well below that).
 */
class BlasSuite extends AnyFunSuite {
  private val rng = new Random(11)
  private def randoms(n: Int): Array[Float] = Array.fill(n)(rng.nextFloat() * 2 - 1)

  private def assertClose(got: Array[Float], want: Array[Double], what: String): Unit = {
    assert(got.length == want.length, what)
    got.indices.foreach { i =>
      assert(math.abs(got(i) - want(i)) <= 1e-5 * (1 + math.abs(want(i))), s"$what: value $i is ${got(i)}, expected ${want(i)}")
    }
  }

  /** op(X)(r, c) of a row-major matrix X stored from `off` with leading dimension `ld`. */
  private def at(x: Array[Float], off: Int, ld: Int, trans: Boolean, r: Int, c: Int): Double =
    (if (trans) x(off + c * ld + r) else x(off + r * ld + c)).toDouble

  test("gemm: all transpose cases, offsets, padded leading dimensions, alpha and beta, against a Double loop") {
    for (transA <- Seq(false, true); transB <- Seq(false, true); (m, n, k) <- Seq((1, 1, 1), (3, 5, 7), (17, 9, 70), (64, 65, 3))) {
      val (aRows, aCols) = if (transA) (k, m) else (m, k)
      val (bRows, bCols) = if (transB) (n, k) else (k, n)
      val (lda, ldb, ldc) = (aCols + 2, bCols + 1, n + 3)
      val (aOff, bOff, cOff) = (5, 1, 4)
      val a = randoms(aOff + aRows * lda)
      val b = randoms(bOff + bRows * ldb)
      val c = randoms(cOff + m * ldc)
      val (alpha, beta) = (0.75f, -0.5f)
      val want = c.map(_.toDouble)
      for (r <- 0 until m; col <- 0 until n) {
        val s = (0 until k).map(i => at(a, aOff, lda, transA, r, i) * at(b, bOff, ldb, transB, i, col)).sum
        want(cOff + r * ldc + col) = beta * c(cOff + r * ldc + col).toDouble + alpha * s
      }
      Blas.gemm(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc)
      assertClose(c, want, s"gemm transA=$transA transB=$transB m=$m n=$n k=$k") // padding between rows untouched too
    }
  }

  test("gemm with an empty inner dimension scales C by beta; beta = 0 clears it even when C holds NaN") {
    val (a, b) = (Array.fill(2)(Float.NaN), Array.emptyFloatArray) // A: 2 x 0 with lda 1, B: 0 x 2; neither is read
    val c = Array(1f, 2f, 3f, 4f)
    Blas.gemm(false, false, 2, 2, 0, 1f, a, 0, 1, b, 0, 2, 0.5f, c, 0, 2)
    assert(c.sameElements(Array(0.5f, 1f, 1.5f, 2f)))
    val nan = Array.fill(4)(Float.NaN)
    Blas.gemm(false, false, 2, 2, 0, 1f, a, 0, 1, b, 0, 2, 0f, nan, 0, 2)
    assert(nan.forall(_ == 0f))
  }

  test("gemmTensor takes transposed and strided views and a non-contiguous output") {
    val (m, n, k) = (6, 5, 9)
    val a = Tensor.fromArray(randoms(k * m), k, m).t() // m x k, transposed storage
    val wide = Tensor.fromArray(randoms(k * (n + 4)), k, n + 4)
    val b = wide.narrow(1, 2, n) // k x n, row stride n + 4
    val cStore = Tensor.fromArray(randoms(n * m), n, m)
    val c = cStore.t() // m x n, column-major: BLAS cannot write it directly
    val before = c.contiguous().toArray
    Blas.gemmTensor(2f, -1f, a, b, c)
    val want = Array.tabulate(m * n) { idx =>
      val (r, col) = (idx / n, idx % n)
      2.0 * before(idx) - (0 until k).map(i => a(r, i).toDouble * b(i, col)).sum
    }
    assertClose(c.contiguous().toArray, want, "gemmTensor")
  }

  test("axpy, scal and dot on short (JVM loop) and long (BLAS) vectors at offsets") {
    for (n <- Seq(0, 1, 63, 64, 1000)) {
      val x = randoms(n + 3)
      val y = randoms(n + 2)
      val y0 = y.clone()
      Blas.axpy(n, -1.5f, x, 3, y, 2)
      assertClose(y, Array.tabulate(n + 2)(i => if (i < 2) y0(i).toDouble else y0(i) - 1.5 * x(i + 1)), s"axpy n=$n")
      val z = y.clone()
      Blas.scal(n, 0.25f, z, 2)
      assertClose(z, Array.tabulate(n + 2)(i => if (i < 2) y(i).toDouble else 0.25 * y(i)), s"scal n=$n")
      val d = Blas.dot(n, x, 3, y, 2).toDouble
      val want = (0 until n).map(i => x(3 + i).toDouble * y(2 + i)).sum
      assert(math.abs(d - want) <= 1e-5 * (1 + n), s"dot n=$n: $d vs $want")
    }
  }

  test("calls that would read or write outside the arrays are refused before reaching BLAS") {
    val a = new Array[Float](6)
    val e1 = intercept[IllegalArgumentException](Blas.axpy(5, 1f, a, 2, a, 0))
    assert(e1.getMessage.contains("axpy x: 5 elements at offset 2 exceed the array of length 6"), e1.getMessage)
    assert(intercept[IllegalArgumentException](Blas.dot(3, a, 0, a, -1)).getMessage.contains("offset -1"))
    val e2 = intercept[IllegalArgumentException](Blas.gemm(false, false, 2, 2, 2, 1f, a, 0, 1, a, 0, 2, 0f, a, 0, 2))
    assert(e2.getMessage.contains("leading dimensions lda=1"), e2.getMessage)
    val e3 = intercept[IllegalArgumentException](Blas.gemm(false, false, 2, 3, 2, 1f, a, 0, 2, a, 0, 3, 0f, a, 1, 3))
    assert(e3.getMessage.contains("gemm C"), e3.getMessage)
    assert(intercept[IllegalArgumentException](Blas.gemm(false, false, -1, 2, 2, 1f, a, 0, 2, a, 0, 2, 0f, a, 0, 2))
      .getMessage.contains("negative size m=-1"))
  }
}
