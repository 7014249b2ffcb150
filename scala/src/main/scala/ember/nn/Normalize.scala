package ember.nn

import ember.tensor.Tensor

/**
 * Scales each sample to unit L_p norm (BigDL's `Normalize(p, eps)`): y = x / (sum |x|^p + eps)^(1/p), or
 * x / (max |x| + eps) for p = infinity. The norm runs over dimension 1 (0-based) of input with 2 or more
 * dimensions, per sample and per remaining position (so [N, C, H, W] is normalised across channels at each
 * pixel, as in SSD), and over dimension 0 of a vector.
 */
class Normalize(val p: Double, val eps: Double) extends TensorModule {
  require(p >= 1, s"Normalize: p must be >= 1 (or infinity), got $p")
  require(eps >= 0, s"Normalize: eps must be >= 0, got $eps")

  def this(p: Double) = this(p, 1e-10)

  private var norms = new Array[Double](0)

  /** (outer, d, inner): the contiguous input as [outer, d, inner], normalised over d. */
  private def layout(x: Tensor): (Int, Int, Int) = {
    require(x.dim >= 1, s"Normalize: expected input with at least one dimension, got ${x.shapeString}")
    if (x.dim == 1) (1, x.size(0), 1) else (x.size(0), x.size(1), x.shape.drop(2).product)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val (outer, d, inner) = layout(x)
    if (norms.length < outer * inner) norms = new Array[Double](outer * inner)
    val out = outTensor.resize(x.shape)
    val (xs, xo, ys, yo) = (x.storage, x.offset, out.storage, out.offset)
    for (o <- 0 until outer; i <- 0 until inner) {
      val base = o * d * inner + i
      var acc = 0.0
      var j = 0
      while (j < d) {
        val a = math.abs(xs(xo + base + j * inner).toDouble)
        acc = if (p.isPosInfinity) math.max(acc, a) else acc + math.pow(a, p)
        j += 1
      }
      val n = if (p.isPosInfinity) acc + eps else math.pow(acc + eps, 1.0 / p)
      norms(o * inner + i) = n
      j = 0
      while (j < d) { ys(yo + base + j * inner) = (xs(xo + base + j * inner) / n).toFloat; j += 1 }
    }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = input.contiguous()
    val g = LayerSupport.gradLike("Normalize", gradOutput, outTensor)
    val (outer, d, inner) = layout(x)
    val gi = gradInTensor.resize(x.shape)
    val (xs, xo, gs, go) = (x.storage, x.offset, g.storage, g.offset)
    for (o <- 0 until outer; i <- 0 until inner) {
      val base = o * d * inner + i
      val n = norms(o * inner + i)
      var gx = 0.0
      var arg = 0
      var best = -1.0
      for (j <- 0 until d) {
        val v = xs(xo + base + j * inner).toDouble
        gx += gs(go + base + j * inner) * v
        if (math.abs(v) > best) { best = math.abs(v); arg = j }
      }
      // d n / d x_j = sign(x_j) |x_j|^(p-1) n^(1-p) (p finite), sign(x_j) at the argmax (p infinite)
      for (j <- 0 until d) {
        val at = base + j * inner
        val v = xs(xo + at).toDouble
        val dn = if (p.isPosInfinity) (if (j == arg) math.signum(v) else 0.0)
          else math.signum(v) * math.pow(math.abs(v), p - 1) * math.pow(n, 1 - p)
        gi.storage(gi.offset + at) = (gs(go + at) / n - gx * dn / (n * n)).toFloat
      }
    }
    gi
  }

  override def config: Seq[(String, Any)] = Seq("p" -> p, "eps" -> eps)
  override def configDefaults: Seq[(String, Any)] = Seq("eps" -> 1e-10)
}
