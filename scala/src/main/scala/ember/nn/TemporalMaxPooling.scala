package ember.nn

import ember.tensor.{OutputSize, Temporal, Tensor}

/**
 * Max pooling over time (BigDL's `TemporalMaxPooling(kW, dW)`): input [nFrames, frameSize] or
 * [batch, nFrames, frameSize], output [(nFrames - kW) / dW + 1, frameSize] per sequence, each value the
 * maximum of its feature over kW consecutive frames starting every dW frames (dW defaults to kW). No padding.
 */
class TemporalMaxPooling(val kW: Int, val dW: Int) extends TensorModule {
  require(kW > 0 && dW > 0, s"TemporalMaxPooling: kW and dW must be positive, got kW=$kW dW=$dW")

  def this(kW: Int) = this(kW, kW)

  private var argmax = new Array[Int](0)

  private def batch(input: Tensor): Tensor = {
    require(input.dim == 2 || input.dim == 3, s"TemporalMaxPooling: expected input of shape [batch, nFrames, frameSize] " +
      s"or [nFrames, frameSize], got ${input.shapeString}")
    val x = input.contiguous()
    val b = if (x.dim == 2) x.view(1 +: x.shape) else x
    OutputSize.window("TemporalMaxPooling", "frames", b.size(1), kW, dW, 0)
    b
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = batch(input)
    val (n, frames, size) = (x.size(0), x.size(1), x.size(2))
    val outFrames = (frames - kW) / dW + 1
    if (argmax.length < n * outFrames * size) argmax = new Array[Int](n * outFrames * size)
    val out = outTensor.resize(n, outFrames, size)
    for (b <- 0 until n)
      Temporal.maxForward(frames, size, kW, dW, x.storage, x.offset + b * frames * size, out.storage,
        out.offset + b * outFrames * size, argmax, b * outFrames * size)
    if (input.dim == 2) output = out.view(outFrames, size)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = batch(input)
    val (n, frames, size) = (x.size(0), x.size(1), x.size(2))
    val outFrames = (frames - kW) / dW + 1
    val g = LayerSupport.gradLike("TemporalMaxPooling", gradOutput, outTensor)
    val gi = gradInTensor.resize(x.shape)
    for (b <- 0 until n)
      Temporal.maxBackward(frames, size, outFrames, g.storage, g.offset + b * outFrames * size, argmax, b * outFrames * size,
        gi.storage, gi.offset + b * frames * size)
    if (input.dim == 2) gradInput = gi.view(input.shape)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("kW" -> kW, "dW" -> dW)
}
