package ember.nn.quantized

import ember.tensor.{Int8Kernels, Tensor}
import ember.tensor.dnn.{Dnn, DnnInt8}

/**
 * Int8 `y = x W^T + b` for inference (BigDL's `nn.quantized.Linear`), made by [[Quantizer]] from an
 * [[ember.nn.Linear]]: input [batch, inputSize] or [inputSize], output float. oneDNN's int8 inner product when
 * enabled, else [[Int8Kernels.linear]]; see [[QuantizedLayer]] for the scheme and what is stored.
 */
class Linear(val inputSize: Int, val outputSize: Int, val withBias: Boolean, inputStep: Float, inputUnsigned: Boolean,
    activation: String)
  extends QuantizedLayer("quantized.Linear", outputSize, Array(outputSize, inputSize), withBias, inputStep, inputUnsigned,
    activation) {
  require(inputSize > 0, s"quantized.Linear: inputSize must be positive, got $inputSize")
  require(outputSize > 0, s"quantized.Linear: outputSize must be positive, got $outputSize")

  /** Without a fused activation (and model files written before activations were fused). */
  def this(inputSize: Int, outputSize: Int, withBias: Boolean, inputStep: Float, inputUnsigned: Boolean) =
    this(inputSize, outputSize, withBias, inputStep, inputUnsigned, "")

  override def updateOutput(input: Tensor): Tensor = {
    require((input.dim == 1 || input.dim == 2) && input.size(input.dim - 1) == inputSize,
      s"quantized.Linear: expected input of shape [batch, $inputSize], got ${input.shapeString}")
    val rows = if (input.dim == 1) 1 else input.size(0)
    val out = outTensor.resize(rows, outputSize)
    val w = weights
    if (Dnn.enabled && rows > 0) DnnInt8.linear(input.contiguous(), rows, inputSize, w, inputStep, inputUnsigned, activation, out)
    else {
      Int8Kernels.linear(quantizedInput(input), inputUnsigned, rows, inputSize, w.bytes, outputSteps(w), w.bias, out.storage, out.offset)
      Int8Kernels.activate(activation, out.storage, out.offset, rows * outputSize)
    }
    if (input.dim == 1) output = out.view(outputSize)
    outTensor
  }

  override def config: Seq[(String, Any)] = Seq("inputSize" -> inputSize, "outputSize" -> outputSize,
    "withBias" -> withBias, "inputStep" -> inputStep, "inputUnsigned" -> inputUnsigned, "activation" -> activation)

  override def toString: String = s"quantized.Linear($inputSize -> $outputSize${if (withBias) "" else ", withBias=false"}, " +
    s"int8, input ${if (inputUnsigned) "u8" else "s8"}$activationString)"
}
