package ember.nn

import ember.tensor.{CrossMapLRN, Tensor}
import ember.tensor.dnn.{Dnn, DnnLrn}

/**
 * Local response normalisation across channels of [N, C, H, W] (or [C, H, W]) input (BigDL's
 * `SpatialCrossMapLRN(size, alpha, beta, k)`): y = x * (k + alpha / size * sum of x^2 over `size`
 * neighbouring channels)^-beta. Formula and window: [[ember.tensor.CrossMapLRN]]; on oneDNN
 * ([[ember.tensor.dnn.DnnLrn]]) when enabled and the window is odd (oneDNN centres even windows differently).
 */
class SpatialCrossMapLRN(val size: Int, val alpha: Double, val beta: Double, val k: Double) extends TensorModule {
  require(size > 0, s"SpatialCrossMapLRN: size must be positive, got $size")
  require(k > 0, s"SpatialCrossMapLRN: k must be positive, got $k")

  def this(size: Int, alpha: Double, beta: Double) = this(size, alpha, beta, 1.0)
  def this() = this(5, 1.0, 0.75, 1.0)

  private val params = CrossMapLRN.Params(size, alpha, beta, k)
  private val scale = new Tensor()
  private def name = "SpatialCrossMapLRN"

  /** The oneDNN geometry for `x`, or null for the JVM kernels (oneDNN off, an empty batch, an even window). */
  private def dnnSpec(x: Tensor): DnnLrn.Spec =
    if (!Dnn.enabled || x.nElement == 0 || size % 2 == 0) null
    else DnnLrn.Spec(x.size(0), x.size(1), x.size(2), x.size(3), size, alpha.toFloat, beta.toFloat, k.toFloat)

  override def updateOutput(input: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, -1)
    val out = outTensor.resize(x.shape)
    val d = dnnSpec(x)
    if (d != null) DnnLrn.forward(d, x, out)
    else CrossMapLRN.forward(params, x.size(0), x.size(1), x.size(2) * x.size(3), x, out, scale)
    if (input.dim == 3) output = out.view(input.shape)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = LayerSupport.batch4d(name, input, -1)
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    val gi = gradInTensor.resize(x.shape)
    val d = dnnSpec(x)
    if (d != null) DnnLrn.backward(d, x, g, gi)
    else {
      if (scale.nElement != x.nElement) CrossMapLRN.forward(params, x.size(0), x.size(1), x.size(2) * x.size(3), x, outTensor, scale)
      CrossMapLRN.backward(params, x.size(0), x.size(1), x.size(2) * x.size(3), x, outTensor, scale, g, gi)
    }
    if (input.dim == 3) gradInput = gi.view(input.shape)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("size" -> size, "alpha" -> alpha, "beta" -> beta, "k" -> k)
  override def configDefaults: Seq[(String, Any)] = Seq("size" -> 5, "alpha" -> 1.0, "beta" -> 0.75, "k" -> 1.0)
}
