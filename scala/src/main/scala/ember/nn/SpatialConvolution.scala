package ember.nn

import ember.tensor.{Conv2d, Conv2dGrads, Conv2dShape, Conv2dWorkspace, Tensor}
import ember.tensor.dnn.{ConvGrads, ConvSpec}

/**
 * 2-d convolution over a batch [N, nInputPlane, H, W] (or one [nInputPlane, H, W] image), as BigDL's
 * `SpatialConvolution(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH)`.
 * `padW = padH = -1` means "same" padding: output size ceil(input / stride), the extra row/column of
 * padding (if any) at the bottom/right, as in BigDL and TensorFlow.
 *
 * The weight has shape [nOutputPlane, nInputPlane, kernelH, kernelW] (PyTorch's layout) and, like the bias,
 * is initialised uniform in +-1/sqrt(nInputPlane * kernelH * kernelW). Computed by im2col + GEMM
 * (see `ember.tensor.Conv2d`), or by oneDNN when enabled (see [[Conv2dBase]]).
 */
class SpatialConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kernelW: Int, val kernelH: Int,
    val strideW: Int, val strideH: Int, val padW: Int, val padH: Int, val withBias: Boolean)
  extends Conv2dBase("SpatialConvolution", nInputPlane, nOutputPlane, Array(nOutputPlane, nInputPlane, kernelH, kernelW), withBias) {
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

  @transient private lazy val workspace = new Conv2dWorkspace()
  private def name = "SpatialConvolution"

  override protected def spec(x: Tensor): ConvSpec = {
    val (h, w) = (x.size(2), x.size(3))
    val same = padW == -1
    val outH = if (same) (h + strideH - 1) / strideH else Conv2dShape.outSize(h, kernelH, strideH, padH)
    val outW = if (same) (w + strideW - 1) / strideW else Conv2dShape.outSize(w, kernelW, strideW, padW)
    val pH = if (same) math.max(0, (outH - 1) * strideH + kernelH - h) / 2 else padH
    val pW = if (same) math.max(0, (outW - 1) * strideW + kernelW - w) / 2 else padW
    require(outH > 0 && outW > 0, s"$name: input of shape ${x.shapeString} is smaller than the ${kernelW}x$kernelH " +
      s"kernel with padding ${padW}x$padH")
    ConvSpec(x.size(0), nInputPlane, h, w, nOutputPlane, outH, outW, kernelH, kernelW, strideH, strideW, pH, pW, bias = withBias)
  }

  private def shape(s: ConvSpec) =
    Conv2dShape(s.inC, s.inH, s.inW, s.outC, s.kH, s.kW, s.strideH, s.strideW, s.padH, s.padW, s.outH, s.outW)

  override protected def jvmForward(s: ConvSpec, x: Tensor, out: Tensor): Unit = Conv2d.forward(shape(s), x, weight, bias, out, workspace)

  override protected def jvmBackward(s: ConvSpec, x: Tensor, g: Tensor, grads: ConvGrads): Unit =
    Conv2d.backward(shape(s), x, g, weight, Conv2dGrads(grads.gradInput, grads.gradWeight, grads.gradBias), workspace)

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane,
    "kernelW" -> kernelW, "kernelH" -> kernelH, "strideW" -> strideW, "strideH" -> strideH, "padW" -> padW,
    "padH" -> padH, "withBias" -> withBias)

  override def toString: String = LayerSupport.repr(name, Seq(nInputPlane, nOutputPlane, kernelW, kernelH),
    ("strideW", strideW, 1), ("strideH", strideH, 1), ("padW", padW, 0), ("padH", padH, 0), ("withBias", withBias, true))
}
