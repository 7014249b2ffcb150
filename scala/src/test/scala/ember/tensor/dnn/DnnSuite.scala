package ember.tensor.dnn

import org.scalatest.funsuite.AnyFunSuite

import ember.tensor.{Blas, Tensor}

/** The native infrastructure: oneDNN and the bundled OpenBLAS load here (linux-x86_64), and the choice is switchable. */
class DnnSuite extends AnyFunSuite {

  test("oneDNN loads from the bundled preset and reports its version and ISA") {
    val rt = Dnn.runtime.fold(why => fail(s"oneDNN did not load: $why"), identity)
    assert(rt.description.startsWith("oneDNN 3.3.4"), rt.description)
    assert(Dnn.threads >= 1)
    assert(Dnn.enter() eq Dnn.enter(), "one stream per thread")
  }

  test("netlib uses the bundled OpenBLAS, which names the core it chose") {
    assert(Blas.isNative, Blas.implementation)
    val status = NativeBlas.install
    assert(status.bundled, status.description)
    assert(NativeBlas.coreName.isDefined, status.description)
    // a GEMM through it against a plain triple loop
    val (m, n, k) = (37, 29, 41)
    val rng = new scala.util.Random(3)
    val a = Array.fill(m * k)(rng.nextFloat() - 0.5f)
    val b = Array.fill(k * n)(rng.nextFloat() - 0.5f)
    val c = new Array[Float](m * n)
    Blas.gemm(false, false, m, n, k, 1f, a, 0, k, b, 0, n, 0f, c, 0, n)
    for (i <- 0 until m; j <- 0 until n) {
      val ref = (0 until k).map(p => a(i * k + p).toDouble * b(p * n + j)).sum
      assert(math.abs(c(i * n + j) - ref) < 1e-4, s"C($i,$j) = ${c(i * n + j)}, expected $ref")
    }
  }

  test("the kernel set can be switched and is restored") {
    val before = Dnn.kernels
    Dnn.withKernels(Dnn.JvmKernels) { assert(!Dnn.enabled) }
    assert(Dnn.kernels eq before)
    Dnn.withKernels(Dnn.DnnlKernels) { assert(Dnn.enabled) }
    assert(Tensor(2).nElement == 2)
  }
}
