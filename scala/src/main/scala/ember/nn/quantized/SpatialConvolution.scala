package ember.nn.quantized

import ember.nn.LayerSupport
import ember.tensor.{Conv2dShape, Int8Kernels, Tensor}
import ember.tensor.dnn.{ConvSpec, Dnn, DnnInt8}
import ember.tensor.dnn.DnnInt8.Int8Conv

/**
 * Int8 2-d convolution for inference (BigDL's `nn.quantized.SpatialConvolution`), made by [[Quantizer]] from an
 * [[ember.nn.SpatialConvolution]] with the same geometry (`padW = padH = -1` is "same" padding): input
 * [N, nInputPlane, H, W] or one image, output float. oneDNN's int8 convolution when enabled, else
 * [[Int8Kernels.conv]] per image; see [[QuantizedLayer]] for the scheme and what is stored.
 */
class SpatialConvolution(val nInputPlane: Int, val nOutputPlane: Int, val kernelW: Int, val kernelH: Int,
    val strideW: Int, val strideH: Int, val padW: Int, val padH: Int, val withBias: Boolean, inputStep: Float,
    inputUnsigned: Boolean, activation: String)
  extends QuantizedLayer("quantized.SpatialConvolution", nOutputPlane, Array(nOutputPlane, nInputPlane, kernelH, kernelW),
    withBias, inputStep, inputUnsigned, activation) {

  /** Without a fused activation (and model files written before activations were fused). */
  def this(nInputPlane: Int, nOutputPlane: Int, kernelW: Int, kernelH: Int, strideW: Int, strideH: Int, padW: Int,
      padH: Int, withBias: Boolean, inputStep: Float, inputUnsigned: Boolean) =
    this(nInputPlane, nOutputPlane, kernelW, kernelH, strideW, strideH, padW, padH, withBias, inputStep, inputUnsigned, "")

  require(nInputPlane > 0 && nOutputPlane > 0, s"quantized.SpatialConvolution: planes must be positive, got $nInputPlane -> $nOutputPlane")
  require(kernelW > 0 && kernelH > 0 && strideW > 0 && strideH > 0,
    s"quantized.SpatialConvolution: kernel ${kernelW}x$kernelH and stride ${strideW}x$strideH must be positive")
  require((padW >= 0 && padH >= 0) || (padW == -1 && padH == -1),
    s"quantized.SpatialConvolution: padding must be >= 0 (or both -1 for 'same'), got padW=$padW padH=$padH")

  private def name = "quantized.SpatialConvolution"

  /** The geometry, as [[ember.nn.SpatialConvolution]] computes it (same output sizes and padding). */
  private def spec(x: Tensor): ConvSpec = spec(x.size(0), x.size(2), x.size(3))

  private def spec(n: Int, h: Int, w: Int): ConvSpec = {
    val same = padW == -1
    val outH = if (same) (h + strideH - 1) / strideH else Conv2dShape.outSize(h, kernelH, strideH, padH)
    val outW = if (same) (w + strideW - 1) / strideW else Conv2dShape.outSize(w, kernelW, strideW, padW)
    val pH = if (same) math.max(0, (outH - 1) * strideH + kernelH - h) / 2 else padH
    val pW = if (same) math.max(0, (outW - 1) * strideW + kernelW - w) / 2 else padW
    require(outH > 0 && outW > 0, s"$name: input of shape [$n, $nInputPlane, $h, $w] is smaller than the ${kernelW}x$kernelH kernel")
    ConvSpec(n, nInputPlane, h, w, nOutputPlane, outH, outW, kernelH, kernelW, strideH, strideW, pH, pW, bias = withBias)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val s = spec(x)
    val out = outTensor.resize(s.n, nOutputPlane, s.outH, s.outW)
    val w = weights
    if (Dnn.enabled && s.n > 0) DnnInt8.conv(Int8Conv(s, w, inputStep, inputUnsigned, activation), x.contiguous(), out)
    else {
      val c = Conv2dShape(s.inC, s.inH, s.inW, s.outC, s.kH, s.kW, s.strideH, s.strideW, s.padH, s.padW, s.outH, s.outW)
      val (q, steps) = (quantizedInput(x), outputSteps(w))
      for (i <- 0 until s.n)
        Int8Kernels.conv(c, q, i * c.nIn * c.inArea, inputUnsigned, w.bytes, steps, w.bias, out.storage, out.offset + i * c.nOut * c.outArea)
      Int8Kernels.activate(activation, out.storage, out.offset, out.nElement)
    }
    if (input.dim == 3) output = out.view(nOutputPlane, s.outH, s.outW)
    outTensor
  }

  /**
   * `next(this(input))` with the intermediate kept int8 on oneDNN (see [[Chain]]); None when it cannot be done so
   * here (JVM kernels, an empty batch, a geometry oneDNN does not chain), and the caller runs the two in turn.
   */
  private[quantized] def forwardInto(input: Tensor, next: SpatialConvolution): Option[Tensor] = {
    val x = LayerSupport.batch4d(name, input, nInputPlane)
    val s = spec(x)
    if (!Dnn.enabled || s.n == 0) return None
    require(next.nInputPlane == nOutputPlane, s"$name: chained with a convolution of ${next.nInputPlane} input planes")
    val s2 = next.spec(s.n, s.outH, s.outW)
    val out = next.outTensor.resize(s.n, next.nOutputPlane, s2.outH, s2.outW)
    val done = DnnInt8.chain(Int8Conv(s, weights, inputStep, inputUnsigned, activation),
      Int8Conv(s2, next.weights, next.inputStep, next.inputUnsigned, next.activation), x.contiguous(), out)
    if (!done) None
    else {
      if (input.dim == 3) next.output = out.view(next.nOutputPlane, s2.outH, s2.outW)
      Some(next.output.toTensor)
    }
  }

  override def config: Seq[(String, Any)] = Seq("nInputPlane" -> nInputPlane, "nOutputPlane" -> nOutputPlane,
    "kernelW" -> kernelW, "kernelH" -> kernelH, "strideW" -> strideW, "strideH" -> strideH, "padW" -> padW,
    "padH" -> padH, "withBias" -> withBias, "inputStep" -> inputStep, "inputUnsigned" -> inputUnsigned,
    "activation" -> activation)

  override def toString: String = LayerSupport.repr(name, Seq(nInputPlane, nOutputPlane, kernelW, kernelH),
    ("strideW", strideW, 1), ("strideH", strideH, 1), ("padW", padW, 0), ("padH", padH, 0), ("withBias", withBias, true),
    ("input", if (inputUnsigned) "u8" else "s8", ""), ("activation", activation, ""))
}
