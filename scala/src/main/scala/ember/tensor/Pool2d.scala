package ember.tensor

/** Geometry of 2-d pooling over [inH, inW] planes, with Torch/PyTorch output-size rules. */
final case class Pool2dShape(inH: Int, inW: Int, kH: Int, kW: Int, strideH: Int, strideW: Int,
    padH: Int, padW: Int, ceilMode: Boolean) {
  val outH: Int = Pool2dShape.outSize(inH, kH, strideH, padH, ceilMode)
  val outW: Int = Pool2dShape.outSize(inW, kW, strideW, padW, ceilMode)
  require(outH > 0 && outW > 0, s"pooling output would be ${outH}x$outW for input ${inH}x$inW, kernel ${kH}x$kW, " +
    s"stride ${strideH}x$strideW, padding ${padH}x$padW")
  def inArea: Int = inH * inW
  def outArea: Int = outH * outW
}

object Pool2dShape {

  /**
   * floor (or ceil) of (in + 2 pad - k) / stride, plus one; in ceil mode the last window must start inside
   * the input or its left padding (PyTorch's rule), otherwise it is dropped.
   */
  def outSize(in: Int, k: Int, stride: Int, pad: Int, ceilMode: Boolean): Int =
    OutputSize.narrow(OutputSize.pooledLong(in, k, stride, pad, ceilMode))
}

/**
 * Max and average pooling kernels over `planes` contiguous [inH, inW] planes (N * C of a batch).
 * Padding never wins a max; for averages it counts in the divisor only when `countIncludePad`.
 */
object Pool2d {

  /** Max pooling; `argmax` receives, per output, the index inside its input plane of the winning element. */
  def maxForward(s: Pool2dShape, planes: Int, in: Tensor, out: Tensor, argmax: Array[Int]): Unit = {
    val fast2x2 = s.kH == 2 && s.kW == 2 && s.strideH == 2 && s.strideW == 2 && s.padH == 0 && s.padW == 0 &&
      2 * s.outH <= s.inH && 2 * s.outW <= s.inW
    var p = 0
    while (p < planes) {
      if (fast2x2) max2x2Plane(s.inW, s.outH, s.outW, in.storage, in.offset + p * s.inArea, out.storage,
        out.offset + p * s.outArea, argmax, p * s.outArea)
      else maxPlane(s, in.storage, in.offset + p * s.inArea, out.storage, out.offset + p * s.outArea, argmax, p * s.outArea)
      p += 1
    }
  }

  /**
   * [[maxPlane]] for the most common case, 2x2 windows with stride 2 lying inside the input, without a
   * branch on the data. On real activations each comparison is a coin toss: compiled as branches (C2 has no
   * float conditional move on JDK 17) they mispredicted so often that this loop took 19 ns per output
   * (LeNet-5's first pooling layer, 2.1 ms per batch of 128: more than its convolution's forward). Here each
   * value becomes an integer key that orders like the float, with the window position in its low bits, and
   * the maximum key is taken with integer arithmetic: 2x faster on random data, the same on sorted data.
   * The first maximum wins; a NaN beats every number, as in Torch.
   */
  private def max2x2Plane(inW: Int, outH: Int, outW: Int, x: Array[Float], inOff: Int, y: Array[Float], outOff: Int,
      argmax: Array[Int], argOff: Int): Unit = {
    var oh = 0
    while (oh < outH) {
      val r0 = 2 * oh * inW
      var ow = 0
      var o = oh * outW
      while (ow < outW) {
        val i0 = r0 + 2 * ow
        val a = inOff + i0
        val best = maxKey(maxKey(key(x(a), 0), key(x(a + 1), 1)), maxKey(key(x(a + inW), 2), key(x(a + inW + 1), 3)))
        val pos = 3 - (best & 3).toInt
        val idx = i0 + (pos & 1) + (pos >> 1) * inW
        y(outOff + o) = x(inOff + idx)
        argmax(argOff + o) = idx
        ow += 1
        o += 1
      }
      oh += 1
    }
  }

  /**
   * A key of value `v` at window position `pos` (0-3): larger keys for larger floats (as signed integers:
   * negative floats have their magnitude bits flipped), NaN above all, and among equal values the lower
   * position has the larger key. Keys fit in 34 bits, so [[maxKey]]'s difference cannot overflow.
   */
  @inline private def key(v: Float, pos: Int): Long = {
    val b = java.lang.Float.floatToRawIntBits(v)
    val ordered = if (v != v) Int.MaxValue else b ^ ((b >> 31) & 0x7fffffff) // NaNs are rare: a predictable branch
    (ordered.toLong << 2) | (3 - pos)
  }

  @inline private def maxKey(a: Long, b: Long): Long = { val d = a - b; a - (d & (d >> 63)) }

  // One plane per call, with the geometry in locals, so the JIT keeps them in registers.
  private def maxPlane(s: Pool2dShape, x: Array[Float], inOff: Int, y: Array[Float], outOff: Int,
      argmax: Array[Int], argOff: Int): Unit = {
    val (inH, inW, kH, kW, sH, sW, pH, pW, outH, outW) = (s.inH, s.inW, s.kH, s.kW, s.strideH, s.strideW, s.padH, s.padW, s.outH, s.outW)
    var oh = 0
    while (oh < outH) {
      val h0 = math.max(oh * sH - pH, 0)
      val h1 = math.min(oh * sH - pH + kH, inH)
      var ow = 0
      while (ow < outW) {
        val w0 = math.max(ow * sW - pW, 0)
        val w1 = math.min(ow * sW - pW + kW, inW)
        var best = Float.NegativeInfinity
        var bestIdx = h0 * inW + w0
        var h = h0
        while (h < h1) {
          var idx = h * inW + w0
          val end = h * inW + w1
          while (idx < end) {
            val v = x(inOff + idx)
            // written as selects, not a branch: on real data the comparison is a coin toss and mispredictions
            // cost more than the loads; v != v makes a NaN win, as in Torch
            val take = v > best || v != v
            best = if (take) v else best
            bestIdx = if (take) idx else bestIdx
            idx += 1
          }
          h += 1
        }
        y(outOff + oh * outW + ow) = best
        argmax(argOff + oh * outW + ow) = bestIdx
        ow += 1
      }
      oh += 1
    }
  }

  /** gradInput (zeroed here) receives each output gradient at its argmax. */
  def maxBackward(s: Pool2dShape, planes: Int, gradOutput: Tensor, argmax: Array[Int], gradInput: Tensor): Unit = {
    gradInput.zero()
    val (g, gi) = (gradOutput.storage, gradInput.storage)
    var p = 0
    while (p < planes) {
      val giOff = gradInput.offset + p * s.inArea
      var o = p * s.outArea
      val end = o + s.outArea
      while (o < end) { gi(giOff + argmax(o)) += g(gradOutput.offset + o); o += 1 }
      p += 1
    }
  }

  /** Average-pooling options: whether padding counts in the divisor, and whether to divide at all (sum pooling). */
  final case class AvgMode(countIncludePad: Boolean, divide: Boolean)

  /** Average pooling (PyTorch's divisor rule: the window clipped to input + padding, or to the input only). */
  def avgForward(s: Pool2dShape, planes: Int, in: Tensor, out: Tensor, mode: AvgMode): Unit = {
    val (x, y) = (in.storage, out.storage)
    val win = new Windows(s, mode)
    var p = 0
    while (p < planes) {
      val inOff = in.offset + p * s.inArea
      val outOff = out.offset + p * s.outArea
      var oh = 0
      while (oh < s.outH) {
        var ow = 0
        while (ow < s.outW) {
          var acc = 0f
          var h = win.h0(oh)
          while (h < win.h1(oh)) {
            var w = win.w0(ow)
            while (w < win.w1(ow)) { acc += x(inOff + h * s.inW + w); w += 1 }
            h += 1
          }
          y(outOff + oh * s.outW + ow) = acc * win.scale(oh, ow)
          ow += 1
        }
        oh += 1
      }
      p += 1
    }
  }

  /** gradInput (zeroed here) = the adjoint of [[avgForward]]. */
  def avgBackward(s: Pool2dShape, planes: Int, gradOutput: Tensor, gradInput: Tensor, mode: AvgMode): Unit = {
    gradInput.zero()
    val (g, gi) = (gradOutput.storage, gradInput.storage)
    val win = new Windows(s, mode)
    var p = 0
    while (p < planes) {
      val giOff = gradInput.offset + p * s.inArea
      val goOff = gradOutput.offset + p * s.outArea
      var oh = 0
      while (oh < s.outH) {
        var ow = 0
        while (ow < s.outW) {
          val v = g(goOff + oh * s.outW + ow) * win.scale(oh, ow)
          var h = win.h0(oh)
          while (h < win.h1(oh)) {
            var w = win.w0(ow)
            while (w < win.w1(ow)) { gi(giOff + h * s.inW + w) += v; w += 1 }
            h += 1
          }
          ow += 1
        }
        oh += 1
      }
      p += 1
    }
  }

  /**
   * The averaging windows of one geometry, per output row and per output column: the input rows [h0, h1) and
   * columns [w0, w1) a window covers, and its extent with padding. Computed once per call (a window object
   * per output pixel was 0.9 GB of garbage in a ResNet-20 run: escape analysis did not remove it).
   */
  private final class Windows(s: Pool2dShape, mode: AvgMode) {
    private def starts(out: Int, stride: Int, pad: Int) = Array.tabulate(out)(o => o * stride - pad)
    private val hs = starts(s.outH, s.strideH, s.padH)
    private val ws = starts(s.outW, s.strideW, s.padW)
    private val hPadded = hs.map(h => math.min(h + s.kH, s.inH + s.padH) - h)
    private val wPadded = ws.map(w => math.min(w + s.kW, s.inW + s.padW) - w)
    val h0: Array[Int] = hs.map(math.max(_, 0))
    val h1: Array[Int] = hs.indices.map(i => math.min(hs(i) + hPadded(i), s.inH)).toArray
    val w0: Array[Int] = ws.map(math.max(_, 0))
    val w1: Array[Int] = ws.indices.map(i => math.min(ws(i) + wPadded(i), s.inW)).toArray

    def scale(oh: Int, ow: Int): Float =
      if (!mode.divide) 1f
      else {
        val count = if (mode.countIncludePad) hPadded(oh) * wPadded(ow) else (h1(oh) - h0(oh)) * (w1(ow) - w0(ow))
        if (count > 0) 1f / count else 0f
      }
  }
}
