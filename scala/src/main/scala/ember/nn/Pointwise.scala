package ember.nn

import ember.tensor.Tensor
import ember.tensor.dnn.{DnnEltwise, DnnOps}

/**
 * The shared forward/backward loops of elementwise layers y = f(x) (ReLU6, ELU, SoftPlus, Power, Log...).
 * A layer gives `f` and its derivative `df(x, y)`; layers that may work in place (BigDL's `inplace`
 * argument) must compute `df` from `y` alone, because in place the input has been overwritten by the output.
 * A layer with a oneDNN eltwise kernel names it in [[dnn]]; it runs there when [[DnnOps]] selects its family.
 */
private[nn] abstract class Pointwise(name: String) extends TensorModule {

  /** The function, on one element. */
  protected def f(x: Float): Float

  /** dy/dx at x, where y = f(x) (in place, x is y: see the class comment). */
  protected def df(x: Float, y: Float): Float

  /** Whether to overwrite the input with the output and gradOutput with gradInput. */
  protected def inPlace: Boolean = false

  /** The layer's family and oneDNN function, or null when it has none (in place: a function of the output). */
  protected def dnn: (DnnOps.Op, DnnEltwise.Fn) = null

  private def onDnn: Boolean = { val d = dnn; d != null && DnnOps.use(d._1) }

  override def updateOutput(input: Tensor): Tensor = {
    // a previous in-place call left output pointing at an earlier input: never write into that
    if (inPlace && input.isContiguous) output = input
    else if (inPlace || (outTensor eq input)) output = new Tensor()
    val x = input.contiguous()
    val out = if (output eq input) input else outTensor.resize(x.shape)
    if (!(onDnn && DnnEltwise.forward(dnn._2, x, out))) {
      val (xs, ys, xo, yo, n) = (x.storage, out.storage, x.offset, out.offset, x.nElement)
      var i = 0
      while (i < n) { ys(yo + i) = f(xs(xo + i)); i += 1 }
    }
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val x = if (output eq input) outTensor else input.contiguous()
    require(x.nElement == g.nElement, s"$name: input of shape ${input.shapeString} does not match gradOutput ${gradOutput.shapeString}")
    if (inPlace && (g eq gradOutput)) gradInput = g
    else { if (inPlace || (gradInTensor eq gradOutput)) gradInput = new Tensor(); gradInTensor.resize(outTensor.shape) }
    val gi = gradInTensor
    if (onDnn) { DnnEltwise.backward(dnn._2, if (dnn._2.useDst) outTensor else x, g, gi); return gi }
    val (gs, xs, ys, out) = (g.storage, x.storage, outTensor.storage, gi.storage)
    val (go, xo, yo, oo, n) = (g.offset, x.offset, outTensor.offset, gi.offset, g.nElement)
    var i = 0
    while (i < n) { out(oo + i) = gs(go + i) * df(xs(xo + i), ys(yo + i)); i += 1 }
    gi
  }
}
