package ember.nn

import ember.tensor.{SoftMaxKernel, Tensor}

/**
 * Softmax or log-softmax over the feature dimension, as Torch/BigDL choose it: the only dimension of a
 * vector, dimension 1 of [batch, n], and the channel dimension of [C, H, W] or [N, C, H, W] images
 * (per pixel).
 */
private[nn] abstract class SoftMaxBase(name: String, log: Boolean) extends TensorModule {

  private def dims(x: Tensor): SoftMaxKernel.Dims = {
    // an empty batch ([0, n] or [0, C, H, W]) gives an empty output, as in PyTorch
    require(x.dim >= 1 && x.dim <= 4 && (x.nElement > 0 || (x.dim % 2 == 0 && x.size(0) == 0)),
      s"$name: expected input of shape [n], [batch, n], [C, H, W] or [batch, C, H, W], got ${x.shapeString}")
    SoftMaxKernel.dims(x.shape, if (x.dim == 1 || x.dim == 3) 0 else 1)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    SoftMaxKernel.forward(x, outTensor.resize(x.shape), dims(x), log)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    SoftMaxKernel.backward(outTensor, g, gradInTensor.resize(outTensor.shape), dims(outTensor), log)
    gradInTensor
  }
}
