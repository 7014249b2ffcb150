package ember.nn

import ember.tensor.Tensor

/** tanh(x), elementwise; the backward pass uses the output: dx = dy * (1 - y^2). */
class Tanh() extends TensorModule {

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    Elementwise.map(x, outTensor.resize(x.shape))(v => math.tanh(v.toDouble).toFloat)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Tanh", gradOutput, outTensor)
    val gi = gradInTensor.resize(outTensor.shape)
    val (gs, ys, out) = (g.storage, outTensor.storage, gi.storage)
    val (go, yo, n) = (g.offset, outTensor.offset, gi.nElement)
    var i = 0
    while (i < n) { val y = ys(yo + i); out(gi.offset + i) = gs(go + i) * (1f - y * y); i += 1 }
    gi
  }
}
