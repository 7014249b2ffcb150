package ember.nn

import ember.tensor.{Activity, Conv2d, Conv2dGrads, Conv2dShape, Conv2dWorkspace, RandomGenerator, Tensor}

/**
 * 2-d convolution over a batch [N, nInputPlane, H, W] (or one [nInputPlane, H, W] image), as BigDL's
 * `SpatialConvolution(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH)`.
 * `padW = padH = -1` means "same" padding: output size ceil(input / stride), the extra row/column of
 * padding (if any) at the bottom/right, as in BigDL and TensorFlow.
 *
 * The weight has shape [nOutputPlane, nInputPlane, kernelH, kernelW] (PyTorch's layout) and, like the bias,
 * is initialised uniform in +-1/sqrt(nInputPlane * kernelH * kernelW). Computed by im2col + GEMM
 * (see `ember.tensor.Conv2d`).
 */
class SpatialConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kernelW: Int, val kernelH: Int,
    val strideW: Int, val strideH: Int, val padW: Int, val padH: Int, val withBias: Boolean) extends TensorModule {
  require(nInputPlane > 0, s"SpatialConvolution: nInputPlane must be positive, got $nInputPlane")
  require(nOutputPlane > 0, s"SpatialConvolution: nOutputPlane must be positive, got $nOutputPlane")
  require(kernelW > 0 && kernelH > 0, s"SpatialConvolution: kernel size must be positive, got ${kernelW}x$kernelH")
  require(strideW > 0 && strideH > 0, s"SpatialConvolution: stride must be positive, got ${strideW}x$strideH")
  require((padW >= 0 && padH >= 0) || (padW == -1 && padH == -1),
    s"SpatialConvolution: padding must be >= 0 (or both -1 for 'same'), got padW=$padW padH=$padH")

  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int) =
    this(nInputPlane, nOutputPlane, kernelW, kernelH, 1, 1, 0, 0, true)
  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int, strideW: Int, strideH: Int) =
    this(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, 0, 0, true)
  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int, strideW: Int, strideH: Int, padW: Int, padH: Int) =
    this(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH, true)

  val weight: Tensor = Tensor(nOutputPlane, nInputPlane, kernelH, kernelW)
  val gradWeight: Tensor = Tensor(nOutputPlane, nInputPlane, kernelH, kernelW)
  val bias: Tensor = if (withBias) Tensor(nOutputPlane) else null
  val gradBias: Tensor = if (withBias) Tensor(nOutputPlane) else null
  private val workspace = new Conv2dWorkspace()
  reset()

  override def reset(): Unit = {
    val bound = (1.0 / math.sqrt(nInputPlane.toDouble * kernelH * kernelW)).toFloat
    val rng = RandomGenerator.random
    weight.apply1(_ => (rng.nextFloat() * 2 - 1) * bound)
    if (withBias) bias.apply1(_ => (rng.nextFloat() * 2 - 1) * bound)
  }

  private def name = "SpatialConvolution"

  private def geometry(x: Tensor): Conv2dShape = {
    val (h, w) = (x.size(2), x.size(3))
    val same = padW == -1
    val outH = if (same) (h + strideH - 1) / strideH else Conv2dShape.outSize(h, kernelH, strideH, padH)
    val outW = if (same) (w + strideW - 1) / strideW else Conv2dShape.outSize(w, kernelW, strideW, padW)
    val pH = if (same) math.max(0, (outH - 1) * strideH + kernelH - h) / 2 else padH
    val pW = if (same) math.max(0, (outW - 1) * strideW + kernelW - w) / 2 else padW
    require(outH > 0 && outW > 0, s"$name: input of shape ${x.shapeString} is smaller than the ${kernelW}x$kernelH " +
      s"kernel with padding ${padW}x$padH")
    Conv2dShape(nInputPlane, h, w, nOutputPlane, kernelH, kernelW, strideH, strideW, pH, pW, outH, outW)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val s = geometry(x)
    val out = outTensor.resize(x.size(0), nOutputPlane, s.outH, s.outW)
    Conv2d.forward(s, x, weight, bias, out, workspace)
    if (input.dim == 3) output = out.view(nOutputPlane, s.outH, s.outW)
    outTensor
  }

  /** The shared backward: input gradient and/or parameter gradients in one pass over the batch. */
  private def backwardPass(input: Tensor, gradOutput: Tensor, wantInput: Boolean, wantParams: Boolean): Unit = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val s = geometry(x)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val gi = if (wantInput) gradInTensor.resize(x.shape) else null
    val grads = Conv2dGrads(gi, if (wantParams) gradWeight else null, if (wantParams && withBias) gradBias else null)
    Conv2d.backward(s, x, g, weight, grads, workspace)
    if (wantInput && input.dim == 3) gradInput = gi.view(input.shape)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    backwardPass(input, gradOutput, wantInput = true, wantParams = false)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit =
    backwardPass(input, gradOutput, wantInput = false, wantParams = true)

  /** Input and parameter gradients in one pass: the input gradient only when [[propagateBack]], the others unless frozen. */
  override def backward(input: Tensor, gradOutput: Tensor): Tensor = {
    backwardPass(input, gradOutput, wantInput = propagateBack, wantParams = !isFrozen)
    gradInTensor
  }

  override def backward(input: Activity, gradOutput: Activity): Activity = backward(input.toTensor, gradOutput.toTensor)

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight)) ++ (if (withBias) Seq("bias" -> Parameter(bias, gradBias)) else Nil)

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane,
    "kernelW" -> kernelW, "kernelH" -> kernelH, "strideW" -> strideW, "strideH" -> strideH, "padW" -> padW,
    "padH" -> padH, "withBias" -> withBias)

  override def toString: String = LayerSupport.repr(name, Seq(nInputPlane, nOutputPlane, kernelW, kernelH),
    ("strideW", strideW, 1), ("strideH", strideH, 1), ("padW", padW, 0), ("padH", padH, 0), ("withBias", withBias, true))
}
