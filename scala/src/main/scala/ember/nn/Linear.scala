package ember.nn

import ember.tensor.{Activity, Tensor}
import ember.tensor.dnn.{DnnLinear, LinearSpec}

/**
 * Applies y = x W^T + b to a batch of shape [batch, inputSize] (or a single [inputSize] vector).
 *
 * Weights are initialised as in Torch/PyTorch: uniform in +-1/sqrt(inputSize). The products run on BLAS's sgemm
 * or on oneDNN's inner product ([[ember.tensor.dnn.DnnLinear]]: in bf16 mixed precision, and in float32 for
 * the shapes where it is faster, see `DnnLinear.preferred`).
 */
class Linear(val inputSize: Int, val outputSize: Int, val withBias: Boolean) extends TensorModule {
  require(inputSize > 0, s"Linear: inputSize must be positive, got $inputSize")
  require(outputSize > 0, s"Linear: outputSize must be positive, got $outputSize")

  def this(inputSize: Int, outputSize: Int) = this(inputSize, outputSize, true)

  val weight: Tensor = Tensor(outputSize, inputSize)
  val gradWeight: Tensor = Tensor(outputSize, inputSize)
  val bias: Tensor = if (withBias) Tensor(outputSize) else null
  val gradBias: Tensor = if (withBias) Tensor(outputSize) else null
  reset()

  override def reset(): Unit = initUniform(inputSize.toDouble, Seq(weight) ++ Option.when(withBias)(bias): _*)

  private def asBatch(x: Tensor): Tensor = {
    require(x.dim == 1 || x.dim == 2, s"Linear: expected input of shape [batch, $inputSize], got ${x.shapeString}")
    val b = if (x.dim == 1) x.view(1, x.size(0)) else x
    require(b.size(1) == inputSize, s"Linear: expected input of shape [batch, $inputSize], got ${x.shapeString}")
    b
  }

  /** The oneDNN geometry for batch `x`, or null for BLAS. */
  private def dnnSpec(x: Tensor): LinearSpec = {
    val s = LinearSpec(x.size(0), inputSize, outputSize, withBias)
    if (DnnLinear.preferred(s)) s else null
  }

  override def updateOutput(input: Tensor): Tensor = {
    val x = asBatch(input)
    val out = outTensor.resize(x.size(0), outputSize)
    val d = dnnSpec(x)
    if (d != null) DnnLinear.forward(d, x.contiguous(), weight, bias, out)
    else {
      if (withBias) { var r = 0; while (r < x.size(0)) { out.select(0, r).copy(bias); r += 1 } }
      out.addmm(if (withBias) 1f else 0f, 1f, x, weight.t())
    }
    if (input.dim == 1) output = out.view(outputSize)
    outTensor
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = asBatch(input)
    val g = if (gradOutput.dim == 1) gradOutput.view(1, outputSize) else gradOutput
    val gi = gradInTensor.resize(x.size(0), inputSize)
    val d = dnnSpec(x)
    if (d != null) DnnLinear.backwardData(d, g.contiguous(), weight, gi)
    else gi.addmm(0f, 1f, g, weight)
    if (input.dim == 1) gradInput = gi.view(inputSize)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val x = asBatch(input)
    val g = if (gradOutput.dim == 1) gradOutput.view(1, outputSize) else gradOutput
    val d = dnnSpec(x)
    if (d != null) DnnLinear.backwardWeights(d, x.contiguous(), g.contiguous(), gradWeight, gradBias)
    else {
      gradWeight.addmm(1f, 1f, g.t(), x)
      if (withBias) { var r = 0; while (r < g.size(0)) { gradBias.add(g.select(0, r)); r += 1 } }
    }
  }

  /** Without the input gradient when [[propagateBack]] is false (the first layer of a trained model). */
  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit = {
    if (wantInput) updateGradInput(input, gradOutput)
    if (wantParams) accGradParameters(input, gradOutput)
  }

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight)) ++ (if (withBias) Seq("bias" -> Parameter(bias, gradBias)) else Nil)

  override def config: Seq[(String, Any)] = Seq("inputSize" -> inputSize, "outputSize" -> outputSize, "withBias" -> withBias)
}
