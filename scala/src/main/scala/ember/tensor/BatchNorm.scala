package ember.tensor

/**
 * Batch-normalisation kernels over contiguous input viewed as [n, c, s]: statistics per channel c over the
 * n samples and s positions (s = 1 for [N, C] input, H * W for [N, C, H, W]). Sums are accumulated in
 * Double. Training: y = (x - mean) / sqrt(var + eps) * weight + bias with the biased batch variance; the
 * running statistics move by `momentum` towards the batch mean and the unbiased batch variance (Torch,
 * BigDL and PyTorch). Evaluation: the running statistics replace the batch ones.
 */
object BatchNorm {

  /** Per-channel statistics saved by the forward pass for the backward pass. */
  final class Saved(var mean: Array[Float] = Array.emptyFloatArray, var invStd: Array[Float] = Array.emptyFloatArray) {
    def ensure(c: Int): Unit = if (mean.length != c) { mean = new Array[Float](c); invStd = new Array[Float](c) }
  }

  /** Geometry of one call: input [n, c, s]. */
  final case class Dims(n: Int, c: Int, s: Int) { def count: Int = n * s }

  // The loops over one channel's elements are written out in place: a shared loop taking a closure made every
  // accumulator a boxed DoubleRef and every element a megamorphic call, 6x slower than PyTorch. The elementwise
  // loops index their arrays with one index when the tensors' offsets agree (the usual case, offset 0): with
  // a different offset per array C2 cannot rule out that a store overlaps a later load and does not vectorise.
  // (Four partial sums instead of one in the reductions below were no faster on Xeon: measured, not kept.)

  /** Sum of channel `ch`'s elements, in Double. */
  private def sum(d: Dims, ch: Int, xs: Array[Float], xo: Int): Double = {
    var acc = 0.0
    var b = 0
    while (b < d.n) {
      var i = xo + (b * d.c + ch) * d.s
      val end = i + d.s
      while (i < end) { acc += xs(i); i += 1 }
      b += 1
    }
    acc
  }

  /** Sum of (x - m)^2 over channel `ch`'s elements, in Double. */
  private def squaredDeviations(d: Dims, ch: Int, xs: Array[Float], xo: Int, m: Double): Double = {
    var acc = 0.0
    var b = 0
    while (b < d.n) {
      var i = xo + (b * d.c + ch) * d.s
      val end = i + d.s
      while (i < end) { val v = xs(i) - m; acc += v * v; i += 1 }
      b += 1
    }
    acc
  }

  /**
   * Forward. With `training`, computes batch statistics into `saved` and updates `runningMean`/`runningVar`
   * (when momentum > 0); otherwise uses the running statistics (also saved, for the backward pass).
   * `weight` and `bias` may be null (no affine transform).
   */
  def forward(d: Dims, x: Tensor, y: Tensor, weight: Tensor, bias: Tensor, runningMean: Tensor, runningVar: Tensor,
      saved: Saved, training: Boolean, momentum: Double, eps: Double): Unit = {
    saved.ensure(d.c)
    val (xs, xo, ys, yo) = (x.storage, x.offset, y.storage, y.offset)
    var ch = 0
    while (ch < d.c) {
      val (mean, invStd) = if (training) {
        val m = sum(d, ch, xs, xo) / d.count
        val sq = squaredDeviations(d, ch, xs, xo, m)
        val biased = sq / d.count
        val unbiased = if (d.count > 1) sq / (d.count - 1) else biased
        val (rm, rv) = (runningMean.offset + ch, runningVar.offset + ch)
        runningMean.storage(rm) = (momentum * m + (1 - momentum) * runningMean.storage(rm)).toFloat
        runningVar.storage(rv) = (momentum * unbiased + (1 - momentum) * runningVar.storage(rv)).toFloat
        (m, 1.0 / math.sqrt(biased + eps))
      } else (runningMean.storage(runningMean.offset + ch).toDouble,
        1.0 / math.sqrt(runningVar.storage(runningVar.offset + ch) + eps))
      saved.mean(ch) = mean.toFloat
      saved.invStd(ch) = invStd.toFloat
      val w = if (weight == null) 1.0 else weight.storage(weight.offset + ch).toDouble
      val b = if (bias == null) 0.0 else bias.storage(bias.offset + ch).toDouble
      val (scale, shift) = ((invStd * w).toFloat, (b - mean * invStd * w).toFloat)
      var n = 0
      while (n < d.n) {
        var i = (n * d.c + ch) * d.s
        val end = i + d.s
        if (xo == yo) { // one index for both arrays: C2 vectorises only then (see the note above)
          i += xo
          val e = end + xo
          while (i < e) { ys(i) = xs(i) * scale + shift; i += 1 }
        } else while (i < end) { ys(yo + i) = xs(xo + i) * scale + shift; i += 1 }
        n += 1
      }
      ch += 1
    }
  }

  /**
   * Backward, with the statistics saved by the forward pass. gradInput (when non-null) in training mode is
   * w * invStd * (g - mean(g) - xhat * mean(g * xhat)); in evaluation mode, where the statistics are
   * constants, w * invStd * g. gradWeight += sum(g * xhat) and gradBias += sum(g) when non-null.
   */
  def backward(d: Dims, x: Tensor, g: Tensor, gradInput: Tensor, weight: Tensor, gradWeight: Tensor, gradBias: Tensor,
      saved: Saved, training: Boolean): Unit = {
    val (xs, xo, gs, go) = (x.storage, x.offset, g.storage, g.offset)
    var ch = 0
    while (ch < d.c) {
      val (mean, invStd) = (saved.mean(ch).toDouble, saved.invStd(ch).toDouble)
      var sumG = 0.0
      var sumGX = 0.0
      var b = 0
      while (b < d.n) {
        var i = (b * d.c + ch) * d.s
        val end = i + d.s
        while (i < end) { val gv = gs(go + i); sumG += gv; sumGX += gv * (xs(xo + i) - mean); i += 1 }
        b += 1
      }
      val dotXhat = sumGX * invStd // sum(g * xhat)
      if (gradInput != null) {
        val (gi, gio) = (gradInput.storage, gradInput.offset)
        val w = if (weight == null) 1.0 else weight.storage(weight.offset + ch).toDouble
        val k = (w * invStd).toFloat
        if (training) {
          val meanG = (sumG / d.count).toFloat
          val proj = (dotXhat / d.count).toFloat // mean(g * xhat)
          val (m, is) = (mean.toFloat, invStd.toFloat)
          b = 0
          while (b < d.n) {
            var i = (b * d.c + ch) * d.s
            val end = i + d.s
            if (gio == go && go == xo) {
              i += xo
              val e = end + xo
              while (i < e) { gi(i) = k * (gs(i) - meanG - (xs(i) - m) * is * proj); i += 1 }
            } else while (i < end) { gi(gio + i) = k * (gs(go + i) - meanG - (xs(xo + i) - m) * is * proj); i += 1 }
            b += 1
          }
        } else {
          b = 0
          while (b < d.n) {
            var i = (b * d.c + ch) * d.s
            val end = i + d.s
            if (gio == go) { i += go; val e = end + go; while (i < e) { gi(i) = k * gs(i); i += 1 } }
            else while (i < end) { gi(gio + i) = k * gs(go + i); i += 1 }
            b += 1
          }
        }
      }
      if (gradWeight != null) gradWeight.storage(gradWeight.offset + ch) += dotXhat.toFloat
      if (gradBias != null) gradBias.storage(gradBias.offset + ch) += sumG.toFloat
      ch += 1
    }
  }
}
