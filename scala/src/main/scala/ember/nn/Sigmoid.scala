package ember.nn

import ember.tensor.Tensor

/** 1 / (1 + exp(-x)), elementwise; the backward pass uses the output: dx = dy * y * (1 - y). */
class Sigmoid() extends TensorModule {

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    Elementwise.map(x, outTensor.resize(x.shape))(v => (1.0 / (1.0 + math.exp(-v.toDouble))).toFloat)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Sigmoid", gradOutput, outTensor)
    val gi = gradInTensor.resize(outTensor.shape)
    val (gs, ys, out) = (g.storage, outTensor.storage, gi.storage)
    val (go, yo, n) = (g.offset, outTensor.offset, gi.nElement)
    var i = 0
    while (i < n) { val y = ys(yo + i); out(gi.offset + i) = gs(go + i) * y * (1f - y); i += 1 }
    gi
  }
}
