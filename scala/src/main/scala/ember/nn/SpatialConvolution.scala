package ember.nn

import ember.tensor.{Conv2d, Conv2dGrads, Conv2dShape, Conv2dWorkspace, GroupedConv2d, GroupedConv2dWorkspace, OutputSize,
  Tensor}
import ember.tensor.dnn.{ChainedActivation, ConvGrads, ConvSpec, Dnn, DnnConv}

/**
 * 2-d convolution over a batch [N, nInputPlane, H, W] (or one [nInputPlane, H, W] image), as BigDL's
 * `SpatialConvolution(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH)`.
 * `padW = padH = -1` means "same" padding: output size ceil(input / stride), the extra row/column of
 * padding (if any) at the bottom/right, as in BigDL and TensorFlow.
 *
 * `nGroup` (BigDL's name; PyTorch's `groups`) cuts the input and output channels into that many blocks, output
 * block g seeing only input block g (`nGroup = nInputPlane` is a depthwise convolution); both plane counts must
 * be multiples of it.
 *
 * The weight has shape [nOutputPlane, nInputPlane / nGroup, kernelH, kernelW] (PyTorch's layout) and, like the
 * bias, is initialised uniform in +-1/sqrt(nInputPlane / nGroup * kernelH * kernelW). Computed by im2col + GEMM
 * (see `ember.tensor.Conv2d`, per group `ember.tensor.GroupedConv2d`), or by oneDNN when enabled (see
 * [[Conv2dBase]]). Model files written before `nGroup` existed (nine arguments) load with `nGroup = 1`.
 */
class SpatialConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kernelW: Int, val kernelH: Int,
    val strideW: Int, val strideH: Int, val padW: Int, val padH: Int, val nGroup: Int, val withBias: Boolean)
  extends Conv2dBase("SpatialConvolution", nInputPlane, nOutputPlane,
    Array(nOutputPlane, SpatialConvolution.planesPerGroup(nInputPlane, nOutputPlane, nGroup), kernelH, kernelW), withBias) {
  require(kernelW > 0 && kernelH > 0, s"SpatialConvolution: kernel size must be positive, got ${kernelW}x$kernelH")
  require(strideW > 0 && strideH > 0, s"SpatialConvolution: stride must be positive, got ${strideW}x$strideH")
  require((padW >= 0 && padH >= 0) || (padW == -1 && padH == -1),
    s"SpatialConvolution: padding must be >= 0 (or both -1 for 'same'), got padW=$padW padH=$padH")

  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int) =
    this(nInputPlane, nOutputPlane, kernelW, kernelH, 1, 1, 0, 0, 1, true)
  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int, strideW: Int, strideH: Int) =
    this(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, 0, 0, 1, true)
  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int, strideW: Int, strideH: Int, padW: Int, padH: Int) =
    this(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH, 1, true)
  /** BigDL's `SpatialConvolution(..., padW, padH, nGroup)`. */
  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int, strideW: Int, strideH: Int, padW: Int, padH: Int,
      nGroup: Int) = this(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH, nGroup, true)
  /** Without groups; also what model files of nine arguments (written before `nGroup`) are built with. */
  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int, strideW: Int, strideH: Int, padW: Int, padH: Int,
      withBias: Boolean) = this(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH, 1, withBias)

  @transient private lazy val workspace = new Conv2dWorkspace()
  @transient private lazy val groupedWorkspace = new GroupedConv2dWorkspace()
  private def name = "SpatialConvolution"

  override protected def spec(x: Tensor): ConvSpec = specOf(x.size(0), x.size(2), x.size(3))

  /** The geometry for a batch [n, nInputPlane, h, w] (for [[TrainingFusion]]); fails on an empty output. */
  private[nn] def convSpecFor(n: Int, h: Int, w: Int): ConvSpec = specOf(n, h, w)

  private def specOf(n: Int, h: Int, w: Int): ConvSpec = {
    val same = padW == -1
    val outH = if (same) (h + strideH - 1) / strideH else OutputSize.window(name, "height", h, kernelH, strideH, padH)
    val outW = if (same) (w + strideW - 1) / strideW else OutputSize.window(name, "width", w, kernelW, strideW, padW)
    val pH = if (same) math.max(0, (outH - 1) * strideH + kernelH - h) / 2 else padH
    val pW = if (same) math.max(0, (outW - 1) * strideW + kernelW - w) / 2 else padW
    ConvSpec(n, nInputPlane, h, w, nOutputPlane, outH, outW, kernelH, kernelW, strideH, strideW, pH, pW,
      groups = nGroup, bias = withBias)
  }

  @transient private var chained: ChainedActivation = _

  /**
   * Inference with what follows folded in (see [[InferenceFusion]]), the result left in oneDNN's memory: batch norm
   * `bn` (evaluation mode, or null) folded into the weights and bias, then the addend (or none) added and a ReLU,
   * as post-ops of one primitive. The input and the addend come as JVM tensors or still in oneDNN's memory (the
   * other null). Returns the result (in a buffer this layer keeps; `store` it for the JVM), or null when this
   * layer cannot run so (JVM kernels, not a batch of this layer's planes, an empty batch): then nothing was done.
   */
  private[nn] def inferenceChained(input: Tensor, inputNative: ChainedActivation, bn: SpatialBatchNormalization,
      addend: Tensor, addendNative: ChainedActivation, relu: Boolean): ChainedActivation = {
    if (!Dnn.enabled) return null
    val shape = if (inputNative != null) inputNative.shape else if (input.dim == 4) input.shape else null
    if (shape == null || shape(0) == 0 || shape(1) != nInputPlane) return null
    val x = if (input != null) input.contiguous() else null
    val s0 = specOf(shape(0), shape(2), shape(3))
    val outShape = Array(s0.n, s0.outC, s0.outH, s0.outW)
    val add = addend != null || addendNative != null
    if (addend != null && !(addend.shape.sameElements(outShape) && addend.isContiguous)) return null
    if (addendNative != null && !addendNative.shape.sameElements(outShape)) return null
    val (w, b) = if (bn == null) (weight, bias) else folded(bn)
    val s = if (bn == null) s0 else s0.copy(bias = true)
    if (chained == null || chained.spec != s || chained.post != (add, relu)) chained = DnnConv.chainOutput(s, add, relu)
    DnnConv.inferenceChained(s, x, inputNative, w, b, addend, addendNative, relu, chained)
    chained
  }

  /** The geometry of one group (the whole convolution without groups). */
  private def shape(s: ConvSpec) = Conv2dShape(s.inC / nGroup, s.inH, s.inW, s.outC / nGroup, s.kH, s.kW,
    s.strideH, s.strideW, s.padH, s.padW, s.outH, s.outW)

  override protected def jvmForward(s: ConvSpec, x: Tensor, out: Tensor): Unit =
    if (nGroup == 1) Conv2d.forward(shape(s), x, weight, bias, out, workspace)
    else GroupedConv2d.forward(shape(s), nGroup, x, weight, bias, out, groupedWorkspace)

  override protected def jvmBackward(s: ConvSpec, x: Tensor, g: Tensor, grads: ConvGrads): Unit = {
    val gs = Conv2dGrads(grads.gradInput, grads.gradWeight, grads.gradBias)
    if (nGroup == 1) Conv2d.backward(shape(s), x, g, weight, gs, workspace)
    else GroupedConv2d.backward(shape(s), nGroup, x, g, weight, gs, groupedWorkspace)
  }

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane,
    "kernelW" -> kernelW, "kernelH" -> kernelH, "strideW" -> strideW, "strideH" -> strideH, "padW" -> padW,
    "padH" -> padH, "nGroup" -> nGroup, "withBias" -> withBias)

  override def configDefaults: Seq[(String, Any)] =
    Seq("strideW" -> 1, "strideH" -> 1, "padW" -> 0, "padH" -> 0, "nGroup" -> 1, "withBias" -> true)
}

object SpatialConvolution {

  /** Input planes per group, after checking the plane counts against `nGroup` (runs before the weight exists). */
  private def planesPerGroup(nInputPlane: Int, nOutputPlane: Int, nGroup: Int): Int = {
    require(nInputPlane > 0, s"SpatialConvolution: nInputPlane must be positive, got $nInputPlane")
    require(nOutputPlane > 0, s"SpatialConvolution: nOutputPlane must be positive, got $nOutputPlane")
    require(nGroup > 0, s"SpatialConvolution: nGroup must be positive, got $nGroup")
    require(nInputPlane % nGroup == 0 && nOutputPlane % nGroup == 0,
      s"SpatialConvolution: nGroup=$nGroup must divide nInputPlane=$nInputPlane and nOutputPlane=$nOutputPlane")
    nInputPlane / nGroup
  }
}
