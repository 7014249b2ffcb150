package ember.tensor

/**
 * Softmax and log-softmax over one dimension of a contiguous tensor seen as [outer, n, inner]: the
 * normalised dimension has size `n` and stride `inner` (inner = 1 for rows of a matrix; inner = H * W
 * for the channel dimension of [N, C, H, W]). Max-subtracted for stability; sums in Double.
 */
object SoftMaxKernel {

  /** The tensor seen as [outer, n, inner], normalised over n. */
  final case class Dims(outer: Int, n: Int, inner: Int)

  /** Dims for normalising dimension `d` of `shape`. */
  def dims(shape: Array[Int], d: Int): Dims = Dims(shape.take(d).product, shape(d), shape.drop(d + 1).product)

  /** out = softmax(in) (or log-softmax when `log`) over the middle dimension. */
  def forward(in: Tensor, out: Tensor, dims: SoftMaxKernel.Dims, log: Boolean): Unit = {
    val Dims(outer, n, inner) = dims
    val (x, y) = (in.storage, out.storage)
    var o = 0
    while (o < outer) {
      var j = 0
      while (j < inner) {
        val xb = in.offset + o * n * inner + j
        val yb = out.offset + o * n * inner + j
        var max = Float.NegativeInfinity
        var i = 0
        while (i < n) { val v = x(xb + i * inner); if (v > max) max = v; i += 1 }
        var sum = 0.0
        i = 0
        while (i < n) {
          val e = math.exp((x(xb + i * inner) - max).toDouble)
          sum += e
          if (!log) y(yb + i * inner) = e.toFloat
          i += 1
        }
        if (log) {
          // (x - max) first: exact for nearby values, so large inputs keep their precision
          val logSum = math.log(sum)
          i = 0
          while (i < n) { y(yb + i * inner) = ((x(xb + i * inner) - max).toDouble - logSum).toFloat; i += 1 }
        } else {
          val inv = (1.0 / sum).toFloat
          i = 0
          while (i < n) { y(yb + i * inner) *= inv; i += 1 }
        }
        j += 1
      }
      o += 1
    }
  }

  /**
   * gradInput from the forward output y and gradOutput g: softmax y * (g - sum(g * y));
   * log-softmax g - exp(y) * sum(g).
   */
  def backward(output: Tensor, gradOutput: Tensor, gradInput: Tensor, dims: SoftMaxKernel.Dims, log: Boolean): Unit = {
    val Dims(outer, n, inner) = dims
    val (y, g, gi) = (output.storage, gradOutput.storage, gradInput.storage)
    var o = 0
    while (o < outer) {
      var j = 0
      while (j < inner) {
        val base = o * n * inner + j
        var acc = 0.0
        var i = 0
        while (i < n) {
          val k = base + i * inner
          acc += (if (log) g(gradOutput.offset + k).toDouble else g(gradOutput.offset + k).toDouble * y(output.offset + k))
          i += 1
        }
        val s = acc.toFloat
        i = 0
        while (i < n) {
          val k = base + i * inner
          val yk = y(output.offset + k)
          val gk = g(gradOutput.offset + k)
          gi(gradInput.offset + k) = if (log) gk - math.exp(yk.toDouble).toFloat * s else yk * (gk - s)
          i += 1
        }
        j += 1
      }
      o += 1
    }
  }
}
