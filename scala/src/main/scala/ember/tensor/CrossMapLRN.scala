package ember.tensor

/**
 * Local response normalisation across channels (Torch's / BigDL's `SpatialCrossMapLRN`, AlexNet's LRN) on
 * contiguous [n, c, s] data (s = H * W):
 *
 *   scale[c] = k + alpha / size * sum_{c' in W(c)} x[c']^2,   y[c] = x[c] * scale[c]^-beta,
 *
 * with the window W(c) = [c - (size - 1) / 2, c - (size - 1) / 2 + size - 1] clipped to the channels. The
 * backward pass is the exact derivative:
 *
 *   gradInput[c] = g[c] * scale[c]^-beta - 2 alpha beta / size * x[c] * sum_{c' : c in W(c')} g[c'] y[c'] / scale[c'].
 */
object CrossMapLRN {

  final case class Params(size: Int, alpha: Double, beta: Double, k: Double) {
    val before: Int = (size - 1) / 2
    val after: Int = size - 1 - before
  }

  /** y = LRN(x); `scale` (resized here) keeps the per-element scale for the backward pass. */
  def forward(p: Params, n: Int, c: Int, s: Int, x: Tensor, y: Tensor, scale: Tensor): Unit = {
    scale.resize(n, c, s)
    val (xs, xo, ys, yo, sc) = (x.storage, x.offset, y.storage, y.offset, scale.storage)
    val coef = p.alpha / p.size
    var b = 0
    while (b < n) {
      var ch = 0
      while (ch < c) {
        val (lo, hi) = (math.max(0, ch - p.before), math.min(c - 1, ch + p.after))
        var i = 0
        while (i < s) {
          var acc = 0.0
          var cc = lo
          while (cc <= hi) { val v = xs(xo + (b * c + cc) * s + i).toDouble; acc += v * v; cc += 1 }
          val at = (b * c + ch) * s + i
          val scl = p.k + coef * acc
          sc(scale.offset + at) = scl.toFloat
          ys(yo + at) = (xs(xo + at) * math.pow(scl, -p.beta)).toFloat
          i += 1
        }
        ch += 1
      }
      b += 1
    }
  }

  /** gradInput from x, the output y, the saved scale and gradOutput g (all contiguous [n, c, s]). */
  def backward(p: Params, n: Int, c: Int, s: Int, x: Tensor, y: Tensor, scale: Tensor, g: Tensor, gradInput: Tensor): Unit = {
    val (xs, xo, ys, yo, sc, so, gs, go, gi, gio) = (x.storage, x.offset, y.storage, y.offset, scale.storage, scale.offset,
      g.storage, g.offset, gradInput.storage, gradInput.offset)
    val coef = 2.0 * p.alpha * p.beta / p.size
    var b = 0
    while (b < n) {
      var ch = 0
      while (ch < c) {
        // channels c' whose window holds ch: c' - before <= ch <= c' + after
        val (lo, hi) = (math.max(0, ch - p.after), math.min(c - 1, ch + p.before))
        var i = 0
        while (i < s) {
          var acc = 0.0
          var cc = lo
          while (cc <= hi) {
            val at = (b * c + cc) * s + i
            acc += gs(go + at).toDouble * ys(yo + at) / sc(so + at)
            cc += 1
          }
          val at = (b * c + ch) * s + i
          gi(gio + at) = (gs(go + at) * math.pow(sc(so + at), -p.beta) - coef * xs(xo + at) * acc).toFloat
          i += 1
        }
        ch += 1
      }
      b += 1
    }
  }
}
