package ember.nn.quantized

import ember.nn.{Parameter, TensorModule}
import ember.tensor.{Activity, Int8Kernels, Int8Weights, Tensor}

/**
 * The shared part of Ember's int8 inference layers ([[Linear]], [[SpatialConvolution]]; BigDL's
 * `nn.quantized`), made by [[Quantizer]] from a trained float layer and calibration data.
 *
 * State: `weight` holds the quantized weights (integers -63..63, one step per output channel in
 * `weight_scale`: real weight = weight * weight_scale), `bias` stays float, and the input's step and sign come
 * from calibration (constructor arguments, so they are in the model file's structure), as does the activation
 * the quantizer fused into the layer (a following ReLU or tanh, applied to the float result; oneDNN runs it as
 * a post-op). A forward quantizes its input (values beyond the calibrated range saturate), computes in int8 on
 * oneDNN when enabled, else on the JVM kernels, and returns floats. The weights are converted (and, on oneDNN,
 * packed) once and again only when the buffers change ([[Int8Weights]]). The layers hold buffers, not
 * parameters: they are for inference, and backward says so. The model file stores `weight` as I8
 * ([[int8Buffers]]).
 *
 * @param inputStep the real value of one quantization step of the input (calibrated max |x| / 127, or / 255)
 * @param inputUnsigned whether the inputs are non-negative (quantized to 0..255) or signed (-127..127)
 * @param activation "" (none), "relu" or "tanh", applied to the output
 */
abstract class QuantizedLayer(name: String, nOut: Int, weightShape: Array[Int], withBias: Boolean,
    val inputStep: Float, val inputUnsigned: Boolean, val activation: String) extends TensorModule {
  require(inputStep > 0f && !inputStep.isInfinite, s"$name: inputStep must be positive and finite, got $inputStep")
  require(Int8Kernels.Activations.contains(activation),
    s"$name: activation must be one of ${Int8Kernels.Activations.mkString("'", "', '", "'")}, got '$activation'")

  val weight: Tensor = Tensor(weightShape: _*)
  val weightScale: Tensor = Tensor(nOut).fill(1f)
  val bias: Tensor = if (withBias) Tensor(nOut) else null
  @transient private var inputBytes: Array[Byte] = Array.emptyByteArray
  @transient private var packed: Int8Weights = null

  /** Buffers the model file stores as 8-bit integers. */
  def int8Buffers: Set[String] = Set("weight")

  override def ownBuffers: Seq[(String, Tensor)] =
    Seq("weight" -> weight, "weight_scale" -> weightScale) ++ (if (withBias) Seq("bias" -> bias) else Nil)

  override def ownParameters: Seq[(String, Parameter)] = Nil

  /**
   * Sets the weights from float ones: per output channel, step = max |w| / 63 and weight = round(w / step).
   *
   * Why 7 bits: without VNNI (AVX2, AVX-512 before Cascade Lake) oneDNN multiplies with vpmaddubsw, which adds
   * two u8 x s8 products in a saturating int16; 255 x 127 x 2 overflows it and the results go wrong, while
   * 255 x 63 x 2 does not (PyTorch's fbgemm narrows the range for the same reason). The same integers on every
   * CPU and both kernel sets keep a saved model's outputs the same everywhere.
   */
  def setFloatWeights(floatWeight: Tensor, floatBias: Tensor): this.type = {
    require(floatWeight.nElement == weight.nElement, s"$name: expected ${weight.nElement} weights, got ${floatWeight.shapeString}")
    require(withBias == (floatBias != null), s"$name: withBias=$withBias but bias ${if (floatBias == null) "missing" else "given"}")
    val w = floatWeight.contiguous().toArray
    val per = w.length / nOut
    val q = new Array[Byte](w.length)
    for (o <- 0 until nOut) {
      var m = 0f
      for (i <- o * per until (o + 1) * per) m = math.max(m, math.abs(w(i)))
      val step = if (m > 0f && !m.isInfinite) m / QuantizedLayer.WeightLevels else 1f
      weightScale.storage(weightScale.offset + o) = step
      Int8Kernels.quantize(w, o * per, per, step, unsigned = false, q, o * per)
    }
    val dst = weight.storage
    for (i <- q.indices) dst(weight.offset + i) = q(i).toFloat
    if (withBias) bias.copy(floatBias)
    this
  }

  /** The input quantized (the array is reused between calls: consume it before the next forward). */
  protected def quantizedInput(x: Tensor): Array[Byte] = {
    val c = x.contiguous()
    val n = c.nElement
    if (inputBytes.length < n) inputBytes = new Array[Byte](n)
    Int8Kernels.quantize(c.storage, c.offset, n, inputStep, inputUnsigned, inputBytes, 0)
    inputBytes
  }

  /** The weights as the kernels take them, remade when the buffers changed since the last call. */
  protected def weights: Int8Weights = {
    val w = packed
    if (w != null && w.matches(weight, weightScale, bias)) w
    else { packed = Int8Weights.of(weight, weightScale, bias); packed }
  }

  /** The JVM kernels' output steps: input step x weight step, per output channel. */
  protected def outputSteps(w: Int8Weights): Array[Float] = w.steps.map(_ * inputStep)

  /** A fused activation's suffix for `toString`. */
  protected def activationString: String = if (activation.isEmpty) "" else s", $activation"

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor =
    throw new UnsupportedOperationException(s"$name is an int8 inference layer and has no backward; train the float " +
      "model and quantize it again")

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit =
    updateGradInput(input.toTensor, gradOutput.toTensor)
}

object QuantizedLayer {
  /** The largest quantized weight magnitude (7 bits, see [[QuantizedLayer.setFloatWeights]]). */
  val WeightLevels = 63f
}
