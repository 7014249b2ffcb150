package ember.tensor

/**
 * Symmetric int8 quantization and the JVM int8 kernels behind Ember's quantized inference layers (the
 * fallback where oneDNN is absent or `EMBER_KERNELS=jvm`; oneDNN's int8 primitives otherwise).
 *
 * The scheme (BigDL's and oneDNN's): a real value x is stored as q = saturate(round(x / s)) with one step `s`
 * per tensor for activations and one per output channel for weights, and no zero point, so a real 0 (and
 * convolution padding) is q = 0. Activations that calibration saw non-negative (after a ReLU) use the unsigned
 * range 0..255 (`unsigned`, stored as a byte read with `& 0xff`), others the signed one, calibrated to
 * -127..127; weights are signed (and the quantized layers keep them within 7 bits, see
 * `ember.nn.quantized.QuantizedLayer`). A layer then accumulates exact integer products q_x * q_w in an Int and
 * returns to float once per output: y[o] = act(acc[o] * s_x * s_w[o] + bias[o]), `act` an optional fused
 * activation. [[quantize]] rounds and saturates as oneDNN's quantizing reorder does (half to even; u8 0..255,
 * s8 -128..127), so both kernel sets see the same integers and differ only in float rounding of the last step.
 */
object Int8Kernels {

  /** The largest magnitude of a quantized value: 127 signed (symmetric), 255 unsigned. */
  def levels(unsigned: Boolean): Int = if (unsigned) 255 else 127

  /** q = saturate(round(x / step)) (half to even) for `n` floats of `src` from `srcOff`, into `dst` from `dstOff`. */
  def quantize(src: Array[Float], srcOff: Int, n: Int, step: Float, unsigned: Boolean, dst: Array[Byte], dstOff: Int): Unit = {
    require(step > 0f && !step.isInfinite, s"Int8Kernels.quantize: the step must be positive and finite, got $step")
    val (lo, hi) = if (unsigned) (0f, 255f) else (-128f, 127f)
    var i = 0
    while (i < n) {
      val v = src(srcOff + i) / step
      // NaN compares false both ways and becomes 0: a quantized layer cannot carry it
      val c = if (v > hi) hi else if (v < lo) lo else if (v == v) v else 0f
      dst(dstOff + i) = math.rint(c).toInt.toByte
      i += 1
    }
  }

  /** The activations a quantized layer can apply to its float output (oneDNN post-ops): "" (none), "relu", "tanh". */
  val Activations: Seq[String] = Seq("", "relu", "tanh")

  /** Applies `activation` (one of [[Activations]]) in place to `n` floats of `a` from `off`. */
  def activate(activation: String, a: Array[Float], off: Int, n: Int): Unit = activation match {
    case "" =>
    case "relu" => var i = off; while (i < off + n) { if (!(a(i) > 0f)) a(i) = 0f; i += 1 }
    case "tanh" => var i = off; while (i < off + n) { a(i) = math.tanh(a(i).toDouble).toFloat; i += 1 }
    case other => throw new IllegalArgumentException(s"Int8Kernels: activation must be one of ${Activations.mkString("'", "', '", "'")}, got '$other'")
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

/**
 * A quantized layer's weights as the kernels take them: the integers as bytes (row o = output channel o), the
 * step of each output channel and the float bias (or null), made once from the layer's buffers and remade when
 * they change ([[matches]]). oneDNN keeps its packed copies (the weights reordered to a primitive's layout) in
 * [[native]], so a layer packs its weights once, not at every call.
 */
final class Int8Weights private (val bytes: Array[Byte], val steps: Array[Float], val bias: Array[Float],
    source: Array[Float]) {
  /** Whatever the native kernels cache for these weights (set and read by `ember.tensor.dnn.DnnInt8` only). */
  @volatile private[tensor] var native: AnyRef = null

  /** Whether these are still the weights in the given buffers (a vectorised comparison, cheap beside a batch). */
  def matches(weight: Tensor, steps: Tensor, bias: Tensor): Boolean =
    Int8Weights.same(weight, source, 0, bytes.length) && Int8Weights.same(steps, this.steps, 0, this.steps.length) &&
      (bias == null) == (this.bias == null) && (bias == null || Int8Weights.same(bias, this.bias, 0, this.bias.length))
}

object Int8Weights {
  /** The weights held by a quantized layer's buffers: `weight` (whole numbers), `steps` per output, `bias` or null. */
  def of(weight: Tensor, steps: Tensor, bias: Tensor): Int8Weights = {
    val w = weight.contiguous().toArray
    val b = new Array[Byte](w.length)
    var i = 0
    while (i < w.length) { b(i) = w(i).toByte; i += 1 }
    new Int8Weights(b, steps.contiguous().toArray, if (bias == null) null else bias.contiguous().toArray, w)
  }

  private def same(t: Tensor, a: Array[Float], from: Int, n: Int): Boolean =
    t.nElement == n && (if (t.isContiguous) java.util.Arrays.equals(t.storage, t.offset, t.offset + n, a, from, from + n)
    else java.util.Arrays.equals(t.contiguous().toArray, a))
}
