package ember.tensor

/**
 * Symmetric int8 quantization and the JVM int8 kernels behind Ember's quantized inference layers (the
 * fallback where oneDNN is absent or `EMBER_KERNELS=jvm`; oneDNN's int8 primitives otherwise).
 *
 * The scheme (BigDL's and oneDNN's): a real value x is stored as q = clamp(round(x / s)) with one step `s`
 * per tensor for activations and one per output channel for weights, and no zero point, so a real 0 (and
 * convolution padding) is q = 0. Activations that calibration saw non-negative (after a ReLU) use the unsigned
 * range 0..255 (`unsigned`, stored as a byte read with `& 0xff`), others -127..127; weights are signed (and
 * the quantized layers keep them within 7 bits, see `ember.nn.quantized.QuantizedLayer`). A layer
 * then accumulates exact integer products q_x * q_w in an Int and returns to float once per output:
 * y[o] = acc[o] * s_x * s_w[o] + bias[o]. Both kernel sets share [[quantize]], so they see the same integers
 * and differ only in float rounding of that last step.
 */
object Int8Kernels {

  /** The largest magnitude of a quantized value: 127 signed (symmetric), 255 unsigned. */
  def levels(unsigned: Boolean): Int = if (unsigned) 255 else 127

  /** q = clamp(round(x / step)) (halves away from zero) for `n` floats of `src` from `srcOff`, into `dst` from `dstOff`. */
  def quantize(src: Array[Float], srcOff: Int, n: Int, step: Float, unsigned: Boolean, dst: Array[Byte], dstOff: Int): Unit = {
    require(step > 0f && !step.isInfinite, s"Int8Kernels.quantize: the step must be positive and finite, got $step")
    val inv = 1f / step
    val (lo, hi) = if (unsigned) (0f, 255f) else (-127f, 127f)
    var i = 0
    while (i < n) {
      val v = src(srcOff + i) * inv
      // NaN compares false both ways and becomes 0: a quantized layer cannot carry it
      val c = if (v > hi) hi else if (v < lo) lo else if (v == v) v else 0f
      // round half away from zero, without Math.round's call (this loop runs over every activation)
      dst(dstOff + i) = (if (c >= 0f) (c + 0.5f).toInt else -((0.5f - c).toInt)).toByte
      i += 1
    }
  }

  /**
   * out[r, o] = scales[o] * sum_k x[r, k] w[o, k] + bias[o] for `rows` rows of `k` quantized inputs and
   * `scales.length` outputs, where scales[o] = s_x * s_w[o]; `bias` may be null.
   */
  def linear(x: Array[Byte], unsigned: Boolean, rows: Int, k: Int, w: Array[Byte], scales: Array[Float],
      bias: Array[Float], out: Array[Float], outOff: Int): Unit = {
    val nOut = scales.length
    require(x.length >= rows * k && w.length >= nOut * k && out.length >= outOff + rows * nOut,
      s"Int8Kernels.linear: buffers too small for $rows x $k -> $nOut")
    val xi = widen(x, rows * k, unsigned)
    var r = 0
    while (r < rows) {
      val xo = r * k
      var o = 0
      while (o < nOut) {
        val wo = o * k
        var acc = 0
        var j = 0
        while (j < k) { acc += xi(xo + j) * w(wo + j); j += 1 }
        out(outOff + r * nOut + o) = acc * scales(o) + (if (bias == null) 0f else bias(o))
        o += 1
      }
      r += 1
    }
  }

  /**
   * One quantized image [c.nIn, inH, inW] through a convolution with weight [nOut, nIn * kH * kW]: im2col on
   * the integers, then per output channel an integer multiply-accumulate over the column rows; `scales` as
   * in [[linear]]. `out` receives [nOut, outH, outW] at `outOff`.
   */
  def conv(c: Conv2dShape, x: Array[Byte], xOff: Int, unsigned: Boolean, w: Array[Byte], scales: Array[Float],
      bias: Array[Float], out: Array[Float], outOff: Int): Unit = {
    val area = c.outArea
    val col = im2col(c, x, xOff, unsigned)
    val acc = new Array[Int](area)
    var o = 0
    while (o < c.nOut) {
      java.util.Arrays.fill(acc, 0)
      var r = 0
      while (r < c.colRows) {
        val wv = w(o * c.colRows + r).toInt
        if (wv != 0) {
          val base = r * area
          var p = 0
          while (p < area) { acc(p) += wv * col(base + p); p += 1 }
        }
        r += 1
      }
      val (s, b) = (scales(o), if (bias == null) 0f else bias(o))
      val dst = outOff + o * area
      var p = 0
      while (p < area) { out(dst + p) = acc(p) * s + b; p += 1 }
      o += 1
    }
  }

  /** The column matrix [colRows, outArea] of one image, as Ints (padding reads 0). */
  private def im2col(c: Conv2dShape, x: Array[Byte], xOff: Int, unsigned: Boolean): Array[Int] = {
    val col = new Array[Int](c.colRows * c.outArea)
    val mask = if (unsigned) 0xff else -1
    var row = 0
    var ch = 0
    while (ch < c.nIn) {
      var ki = 0
      while (ki < c.kH) {
        var kj = 0
        while (kj < c.kW) {
          var oh = 0
          while (oh < c.outH) {
            val ih = oh * c.strideH - c.padH + ki
            if (ih >= 0 && ih < c.inH) {
              var ow = 0
              while (ow < c.outW) {
                val iw = ow * c.strideW - c.padW + kj
                if (iw >= 0 && iw < c.inW) col(row * c.outArea + oh * c.outW + ow) = x(xOff + (ch * c.inH + ih) * c.inW + iw) & mask
                ow += 1
              }
            }
            oh += 1
          }
          row += 1
          kj += 1
        }
        ki += 1
      }
      ch += 1
    }
    col
  }

  private def widen(x: Array[Byte], n: Int, unsigned: Boolean): Array[Int] = {
    val mask = if (unsigned) 0xff else -1
    val out = new Array[Int](n)
    var i = 0
    while (i < n) { out(i) = x(i) & mask; i += 1 }
    out
  }
}
