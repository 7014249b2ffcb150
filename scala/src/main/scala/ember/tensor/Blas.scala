package ember.tensor

import dev.ludovic.netlib.blas.{BLAS => NetlibBLAS, JavaBLAS}
import org.slf4j.LoggerFactory

/**
 * The one wrapper over `dev.ludovic.netlib` BLAS. Every call checks its arguments with `require` first
 * (an out-of-range BLAS call would corrupt memory or crash the JVM in native code).
 *
 * The backend is netlib's JNI BLAS over the OpenBLAS bundled with Ember (`dnn.NativeBlas`: a current build that
 * detects the CPU, never the system's possibly outdated `libblas.so.3` unless asked to), or a library the user
 * named with the `dev.ludovic.netlib.blas.nativeLibPath` system property, or else netlib's pure-JVM one. Which
 * one is active is logged once; [[implementation]] names it and [[isNative]] tells whether it is native.
 */
object Blas {
  private val log = LoggerFactory.getLogger(getClass)

  @transient lazy val blas: NetlibBLAS = {
    val bundled = ember.tensor.dnn.NativeBlas.install // before netlib reads its library path
    val b = NetlibBLAS.getInstance()
    if (isNativeImpl(b)) log.info(s"Ember BLAS: native ${b.getClass.getName}, ${bundled.description}")
    else log.warn(s"Ember BLAS: no native BLAS found, using the JVM fallback ${b.getClass.getName} (much slower); " +
      "install OpenBLAS (libopenblas0-pthread) or point dev.ludovic.netlib.blas.nativeLibPath at MKL's libmkl_rt")
    b
  }

  /** Class name of the active BLAS implementation. */
  def implementation: String = blas.getClass.getName

  /** True when a native BLAS library is in use. */
  def isNative: Boolean = isNativeImpl(blas)

  private def isNativeImpl(b: NetlibBLAS): Boolean = b.getClass.getName.contains("JNI")

  private def checkRange(name: String, arr: Array[Float], off: Int, n: Int): Unit =
    require(off >= 0 && n >= 0 && off + n <= arr.length,
      s"$name: $n elements at offset $off exceed the array of length ${arr.length}")

  /** y[yOff..] += alpha * x[xOff..] over n elements. */
  def axpy(n: Int, alpha: Float, x: Array[Float], xOff: Int, y: Array[Float], yOff: Int): Unit = {
    if (n == 0) return // empty views may sit at an offset past their storage
    checkRange("axpy x", x, xOff, n); checkRange("axpy y", y, yOff, n)
    if (n < 64) { var i = 0; while (i < n) { y(yOff + i) += alpha * x(xOff + i); i += 1 } }
    else blas.saxpy(n, alpha, x, xOff, 1, y, yOff, 1)
  }

  /** x[off..] *= alpha over n elements. */
  def scal(n: Int, alpha: Float, x: Array[Float], off: Int): Unit = {
    if (n == 0) return
    checkRange("scal", x, off, n)
    if (n < 64) { var i = 0; while (i < n) { x(off + i) *= alpha; i += 1 } }
    else blas.sscal(n, alpha, x, off, 1)
  }

  /** Dot product over n elements. */
  def dot(n: Int, x: Array[Float], xOff: Int, y: Array[Float], yOff: Int): Float = {
    if (n == 0) return 0f
    checkRange("dot x", x, xOff, n); checkRange("dot y", y, yOff, n)
    blas.sdot(n, x, xOff, 1, y, yOff, 1)
  }

  /**
   * Row-major GEMM on raw arrays: C(m x n) = beta * C + alpha * op(A) * op(B), where op(A) is m x k.
   * `transA` means A is stored as k x m (row-major, leading dimension lda), likewise `transB`.
   */
  def gemm(transA: Boolean, transB: Boolean, m: Int, n: Int, k: Int, alpha: Float,
      a: Array[Float], aOff: Int, lda: Int, b: Array[Float], bOff: Int, ldb: Int,
      beta: Float, c: Array[Float], cOff: Int, ldc: Int): Unit = {
    require(m >= 0 && n >= 0 && k >= 0, s"gemm: negative size m=$m n=$n k=$k")
    val (aRows, aCols) = if (transA) (k, m) else (m, k)
    val (bRows, bCols) = if (transB) (n, k) else (k, n)
    require(lda >= math.max(1, aCols) && ldb >= math.max(1, bCols) && ldc >= math.max(1, n),
      s"gemm: leading dimensions lda=$lda ldb=$ldb ldc=$ldc too small for m=$m n=$n k=$k")
    if (m == 0 || n == 0) return
    checkRange("gemm A", a, aOff, if (aRows == 0) 0 else (aRows - 1) * lda + aCols)
    checkRange("gemm B", b, bOff, if (bRows == 0) 0 else (bRows - 1) * ldb + bCols)
    checkRange("gemm C", c, cOff, (m - 1) * ldc + n)
    if (k == 0) { // an empty inner dimension (e.g. a weight gradient over an empty batch): C = beta * C
      var r = 0
      while (r < m) {
        if (beta == 0f) java.util.Arrays.fill(c, cOff + r * ldc, cOff + r * ldc + n, 0f) else scal(n, beta, c, cOff + r * ldc)
        r += 1
      }
      return
    }
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands.
    blas.sgemm(if (transB) "T" else "N", if (transA) "T" else "N", n, m, k, alpha,
      b, bOff, ldb, a, aOff, lda, beta, c, cOff, ldc)
  }

  /** How a 2-d tensor maps onto a row-major BLAS operand: (transposed, leading dimension), if it does. */
  private def layout(x: Tensor): Option[(Boolean, Int)] = {
    val (r, c) = (x.size(0), x.size(1))
    if ((c == 1 || x.stride(1) == 1) && (r == 1 || x.stride(0) >= c)) Some((false, if (r == 1) math.max(1, c) else x.stride(0)))
    else if ((r == 1 || x.stride(0) == 1) && (c == 1 || x.stride(1) >= r)) Some((true, if (c == 1) math.max(1, r) else x.stride(1)))
    else None
  }

  /** C = beta * C + alpha * A x B on 2-d tensors of any strides (copies only when BLAS cannot take them). */
  def gemmTensor(beta: Float, alpha: Float, a: Tensor, b: Tensor, c: Tensor): Unit = {
    val (m, k, n) = (a.size(0), a.size(1), b.size(1))
    layout(c) match {
      case Some((false, ldc)) =>
        val aa = if (layout(a).isDefined) a else a.contiguous()
        val bb = if (layout(b).isDefined) b else b.contiguous()
        val (ta, lda) = layout(aa).get
        val (tb, ldb) = layout(bb).get
        gemm(ta, tb, m, n, k, alpha, aa.storage, aa.offset, lda, bb.storage, bb.offset, ldb, beta, c.storage, c.offset, ldc)
      case _ =>
        val tmp = c.clone()
        gemmTensor(beta, alpha, a, b, tmp)
        c.copy(tmp)
    }
  }

  /** The pure-JVM BLAS, for comparing against the native one in tests and benchmarks. */
  def javaBlas: NetlibBLAS = JavaBLAS.getInstance()
}
