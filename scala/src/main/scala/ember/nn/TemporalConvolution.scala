package ember.nn

import ember.tensor.{Activity, OutputSize, Temporal, Tensor}

/**
 * 1-d convolution over sequences of frames (BigDL's `TemporalConvolution(inputFrameSize, outputFrameSize,
 * kernelW, strideW)`): input [nFrames, inputFrameSize] or [batch, nFrames, inputFrameSize] (time first,
 * features last), output [(nFrames - kernelW) / strideW + 1, outputFrameSize] per sequence. Weight
 * [outputFrameSize, kernelW * inputFrameSize] (frame-major: the kernelW frames of a window one after the
 * other, Torch's layout) and bias start uniform in +-1/sqrt(kernelW * inputFrameSize). See
 * [[ember.tensor.Temporal]].
 */
class TemporalConvolution(val inputFrameSize: Int, val outputFrameSize: Int, val kernelW: Int, val strideW: Int)
    extends TensorModule {
  private def name = "TemporalConvolution"
  require(inputFrameSize > 0 && outputFrameSize > 0,
    s"$name: frame sizes must be positive, got inputFrameSize=$inputFrameSize outputFrameSize=$outputFrameSize")
  require(kernelW > 0 && strideW > 0, s"$name: kernelW and strideW must be positive, got $kernelW and $strideW")

  def this(inputFrameSize: Int, outputFrameSize: Int, kernelW: Int) = this(inputFrameSize, outputFrameSize, kernelW, 1)

  val weight: Tensor = Tensor(outputFrameSize, kernelW * inputFrameSize)
  val gradWeight: Tensor = Tensor(outputFrameSize, kernelW * inputFrameSize)
  val bias: Tensor = Tensor(outputFrameSize)
  val gradBias: Tensor = Tensor(outputFrameSize)
  private var buffer = new Array[Float](0)
  reset()

  override def reset(): Unit = initUniform(kernelW.toDouble * inputFrameSize, weight, bias)

  /** The input as [batch, nFrames, inputFrameSize] and the geometry of one sequence. */
  private def batch(input: Tensor): (Tensor, Temporal.ConvShape) = {
    require((input.dim == 2 || input.dim == 3) && input.size(input.dim - 1) == inputFrameSize,
      s"$name: expected input of shape [batch, nFrames, $inputFrameSize] or [nFrames, $inputFrameSize], got ${input.shapeString}")
    val x = input.contiguous()
    val b = if (x.dim == 2) x.view(1 +: x.shape) else x
    OutputSize.window(name, "frames", b.size(1), kernelW, strideW, 0)
    val s = Temporal.ConvShape(b.size(1), inputFrameSize, outputFrameSize, kernelW, strideW)
    if (buffer.length < s.outFrames * s.rowLength) buffer = new Array[Float](s.outFrames * s.rowLength)
    (b, s)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val (x, s) = batch(input)
    val out = outTensor.resize(x.size(0), s.outFrames, outputFrameSize)
    for (b <- 0 until x.size(0))
      Temporal.convForward(s, x.storage, x.offset + b * s.inFrames * inputFrameSize, weight, bias, out.storage,
        out.offset + b * s.outFrames * outputFrameSize, buffer)
    if (input.dim == 2) output = out.view(s.outFrames, outputFrameSize)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val (x, s) = batch(input)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val gi = gradInTensor.resize(x.shape)
    for (b <- 0 until x.size(0))
      Temporal.convGradInput(s, g.storage, g.offset + b * s.outFrames * outputFrameSize, weight, gi.storage,
        gi.offset + b * s.inFrames * inputFrameSize, buffer)
    if (input.dim == 2) gradInput = gi.view(input.shape)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val (x, s) = batch(input)
    val g = gradOutput.contiguous()
    for (b <- 0 until x.size(0))
      Temporal.convAccGrad(s, x.storage, x.offset + b * s.inFrames * inputFrameSize, g.storage,
        g.offset + b * s.outFrames * outputFrameSize, gradWeight, gradBias, buffer)
  }

  /** Skips the input gradient when nothing reads it ([[propagateBack]] false), and the parameters when frozen. */
  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit = {
    if (wantInput) updateGradInput(input, gradOutput)
    if (wantParams) accGradParameters(input, gradOutput)
  }

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight), "bias" -> Parameter(bias, gradBias))
  override def config: Seq[(String, Any)] = Seq("inputFrameSize" -> inputFrameSize, "outputFrameSize" -> outputFrameSize,
    "kernelW" -> kernelW, "strideW" -> strideW)
  override def configDefaults: Seq[(String, Any)] = Seq("strideW" -> 1)
}
