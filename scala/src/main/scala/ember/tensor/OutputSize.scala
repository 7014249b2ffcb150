package ember.tensor

/**
 * Output sizes of the sliding-window layers (convolutions, dilated and transposed convolutions, pooling,
 * padding and cropping), in one place and in Long arithmetic, so that a large kernel, stride, padding or
 * dilation cannot wrap around an Int and produce a plausible-looking wrong size.
 *
 * The checked forms (`window`, `pooled`, `transposed`, `padded`) take the layer's name and the dimension's
 * ("width", "height", "frames") and return the size as an Int, or raise an IllegalArgumentException that
 * shows the formula with its values and the cause, e.g.
 * `SpatialConvolution: output width (in + 2*pad - k)/stride + 1 = -3 for input 5, kernel 9, stride 1, padding 0:
 * the input is smaller than the kernel (needs at least 9 with this padding)`.
 * A size beyond Int.MaxValue (the largest tensor dimension) is refused the same way. The `*Long` forms are
 * the bare formulas, for the kernels' shape classes.
 */
object OutputSize {

  /** floor((in + 2 pad - dilation (k - 1) - 1) / stride) + 1: PyTorch's, Torch's and BigDL's rule. */
  def windowLong(in: Long, k: Long, stride: Long, pad: Long, dilation: Long = 1): Long =
    Math.floorDiv(in + 2 * pad - dilation * (k - 1) - 1, stride) + 1

  /**
   * Pooling: as [[windowLong]] (floor), or with ceil rounding where the last window must start inside the
   * input or its left padding (PyTorch's rule), otherwise it is dropped.
   */
  def pooledLong(in: Long, k: Long, stride: Long, pad: Long, ceilMode: Boolean): Long = {
    val span = in + 2 * pad - k
    if (!ceilMode || span < 0) return Math.floorDiv(span, stride) + 1
    val out = Math.floorDiv(span + stride - 1, stride) + 1
    if ((out - 1) * stride >= in + pad) out - 1 else out
  }

  /** Transposed convolution: (in - 1) stride - 2 pad + dilation (k - 1) + 1 + adj. */
  def transposedLong(in: Long, k: Long, stride: Long, pad: Long, adj: Long, dilation: Long = 1): Long =
    (in - 1) * stride - 2 * pad + dilation * (k - 1) + 1 + adj

  /** `value` as an Int for a kernel's shape class: negative sizes become 0 (its own check reports them). */
  def narrow(value: Long): Int = {
    require(value <= Int.MaxValue, s"output size $value exceeds the largest tensor dimension ${Int.MaxValue}")
    math.max(0L, value).toInt
  }

  /** The checked output size of a convolution or pooling window without ceil rounding. */
  def window(layer: String, what: String, in: Int, k: Int, stride: Int, pad: Int, dilation: Int = 1): Int = {
    val out = windowLong(in, k, stride, pad, dilation)
    val span = dilation.toLong * (k - 1) + 1
    val formula = if (dilation == 1) "(in + 2*pad - k)/stride + 1" else "(in + 2*pad - dilation*(k - 1) - 1)/stride + 1"
    val values = s"input $in, kernel $k, stride $stride, padding $pad" + (if (dilation == 1) "" else s", dilation $dilation")
    checked(layer, what, formula, out, values,
      s"the input is smaller than the ${if (dilation == 1) "kernel" else "dilated kernel"} (needs at least " +
        s"${math.max(1L, span - 2L * pad)} with this padding)")
  }

  /** The checked output size of pooling, with the layer's rounding. */
  def pooled(layer: String, what: String, in: Int, k: Int, stride: Int, pad: Int, ceilMode: Boolean): Int = {
    val formula = if (ceilMode) "ceil((in + 2*pad - k)/stride) + 1" else "(in + 2*pad - k)/stride + 1"
    checked(layer, what, formula, pooledLong(in, k, stride, pad, ceilMode), s"input $in, kernel $k, stride $stride, padding $pad",
      s"the input is smaller than the window (needs at least ${math.max(1L, k - 2L * pad)} with this padding)")
  }

  /** The checked output size of a transposed convolution. */
  def transposed(layer: String, what: String, in: Int, k: Int, stride: Int, pad: Int, adj: Int, dilation: Int = 1): Int = {
    val formula = "(in - 1)*stride - 2*pad + " + (if (dilation == 1) "k" else "dilation*(k - 1) + 1") + " + adj"
    val values = s"input $in, kernel $k, stride $stride, padding $pad, adj $adj" + (if (dilation == 1) "" else s", dilation $dilation")
    checked(layer, what, formula, transposedLong(in, k, stride, pad, adj, dilation), values,
      "the padding removes more than the transposed convolution produces")
  }

  /** The checked size after adding `before` and `after` (negative amounts crop). */
  def padded(layer: String, what: String, in: Int, before: Long, after: Long): Int =
    checked(layer, what, "in + before + after", in.toLong + before + after, s"input $in, padding before $before, after $after",
      "the cropping removes the whole input")

  /** The checked size of an input repeated `factor` times (upsampling). */
  def scaled(layer: String, what: String, in: Int, factor: Int): Int =
    checked(layer, what, "in * factor", in.toLong * factor, s"input $in, factor $factor", "the factor must be positive")

  private def checked(layer: String, what: String, formula: String, out: Long, values: String, cause: => String): Int = {
    if (out <= 0) throw new IllegalArgumentException(s"$layer: output $what $formula = $out for $values: $cause")
    if (out > Int.MaxValue) throw new IllegalArgumentException(
      s"$layer: output $what $formula = $out for $values exceeds the largest tensor dimension ${Int.MaxValue}")
    out.toInt
  }
}
