package ember.nn.quantized

import ember.tensor.{Int8Kernels, Tensor}
import ember.tensor.dnn.{Dnn, DnnInt8}

/**
 * Int8 `y = x W^T + b` for inference (BigDL's `nn.quantized.Linear`), made by [[Quantizer]] from an
 * [[ember.nn.Linear]]: input [batch, inputSize] or [inputSize], output float. oneDNN's int8 inner product when
 * enabled, else [[Int8Kernels.linear]]; see [[QuantizedLayer]] for the scheme and what is stored.
 */
class Linear(val inputSize: Int, val outputSize: Int, val withBias: Boolean, inputStep: Float, inputUnsigned: Boolean)
  extends QuantizedLayer("quantized.Linear", outputSize, Array(outputSize, inputSize), withBias, inputStep, inputUnsigned) {
  require(inputSize > 0, s"quantized.Linear: inputSize must be positive, got $inputSize")
  require(outputSize > 0, s"quantized.Linear: outputSize must be positive, got $outputSize")

  override def updateOutput(input: Tensor): Tensor = {
    require((input.dim == 1 || input.dim == 2) && input.size(input.dim - 1) == inputSize,
      s"quantized.Linear: expected input of shape [batch, $inputSize], got ${input.shapeString}")
    val rows = if (input.dim == 1) 1 else input.size(0)
    val out = outTensor.resize(rows, outputSize)
    val x = quantizedInput(input)
    if (Dnn.enabled && rows > 0) DnnInt8.linear(x, inputUnsigned, rows, inputSize, quantizedWeights, inputStep, weightSteps, bias, out)
    else Int8Kernels.linear(x, inputUnsigned, rows, inputSize, quantizedWeights, outputSteps, biasArray, out.storage, out.offset)
    if (input.dim == 1) output = out.view(outputSize)
    outTensor
  }

  override def config: Seq[(String, Any)] = Seq("inputSize" -> inputSize, "outputSize" -> outputSize,
    "withBias" -> withBias, "inputStep" -> inputStep, "inputUnsigned" -> inputUnsigned)

  override def toString: String = s"quantized.Linear($inputSize -> $outputSize${if (withBias) "" else ", withBias=false"}, " +
    s"int8, input ${if (inputUnsigned) "u8" else "s8"})"
}
