package ember.nn

import ember.tensor.Tensor

/**
 * x for x > 0, a * x otherwise, with a learnable slope `a` (BigDL's `PReLU(nOutputPlane)`): one slope shared
 * by all elements when `nOutputPlane` = 0, else one per channel. The channel dimension follows BigDL: 0 for
 * [C] and [C, H, W] input, 1 for [N, C] and [N, C, H, W]. Slopes start at 0.25.
 */
class PReLU(val nOutputPlane: Int) extends TensorModule {
  require(nOutputPlane >= 0, s"PReLU: nOutputPlane must be >= 0, got $nOutputPlane")

  def this() = this(0)

  val weight: Tensor = Tensor(math.max(nOutputPlane, 1))
  val gradWeight: Tensor = Tensor(math.max(nOutputPlane, 1))
  reset()

  override def reset(): Unit = weight.fill(0.25f)

  /** (outer, channels, inner) such that the contiguous input is [outer, channels, inner]. */
  private def layout(x: Tensor): (Int, Int, Int) = {
    if (nOutputPlane == 0) return (1, 1, x.nElement)
    require(x.dim >= 1 && x.dim <= 4, s"PReLU: expected input of 1 to 4 dimensions, got ${x.shapeString}")
    val cd = if (x.dim % 2 == 0) 1 else 0
    require(x.size(cd) == nOutputPlane, s"PReLU: expected $nOutputPlane channels in dimension $cd (0-based) of " +
      s"input ${x.shapeString}")
    (x.shape.take(cd).product, nOutputPlane, x.shape.drop(cd + 1).product)
  }

  /** Runs `f(index, slope index)` over the contiguous elements. */
  private def foreach(x: Tensor)(f: (Int, Int) => Unit): Unit = {
    val (outer, ch, inner) = layout(x)
    var i = 0
    var o = 0
    while (o < outer) {
      var c = 0
      while (c < ch) { var k = 0; while (k < inner) { f(i, c); i += 1; k += 1 }; c += 1 }
      o += 1
    }
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    if (outTensor eq input) output = new Tensor()
    val out = outTensor.resize(x.shape)
    val (xs, xo, ys, yo, w, wo) = (x.storage, x.offset, out.storage, out.offset, weight.storage, weight.offset)
    foreach(x) { (i, c) => val v = xs(xo + i); ys(yo + i) = if (v > 0f) v else w(wo + c) * v }
    out
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = input.contiguous()
    val g = LayerSupport.gradLike("PReLU", gradOutput, outTensor)
    val gi = gradInTensor.resize(x.shape)
    val (xs, xo, gs, go, out, oo, w, wo) = (x.storage, x.offset, g.storage, g.offset, gi.storage, gi.offset, weight.storage, weight.offset)
    foreach(x) { (i, c) => out(oo + i) = if (xs(xo + i) > 0f) gs(go + i) else w(wo + c) * gs(go + i) }
    gi
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val x = input.contiguous()
    val g = gradOutput.contiguous()
    val (xs, xo, gs, go, gw, gwo) = (x.storage, x.offset, g.storage, g.offset, gradWeight.storage, gradWeight.offset)
    foreach(x) { (i, c) => val v = xs(xo + i); if (!(v > 0f)) gw(gwo + c) += v * gs(go + i) }
  }

  override def ownParameters: Seq[(String, Parameter)] = Seq("weight" -> Parameter(weight, gradWeight))
  override def config: Seq[(String, Any)] = Seq("nOutputPlane" -> nOutputPlane)
  override def configDefaults: Seq[(String, Any)] = Seq("nOutputPlane" -> 0)
}
