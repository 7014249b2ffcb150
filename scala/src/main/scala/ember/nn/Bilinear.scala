package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * A bilinear form of two inputs (BigDL's `Bilinear(inputSize1, inputSize2, outputSize, biasRes)`): for a
 * table (x1 [N, inputSize1], x2 [N, inputSize2]), y[n, k] = x1[n] W[k] x2[n]^T + b[k], with W of shape
 * [outputSize, inputSize1, inputSize2]. The input gradient is a table of the two gradients. Weights and
 * bias start uniform in +-1/sqrt(inputSize1), as in Torch.
 */
class Bilinear(val inputSize1: Int, val inputSize2: Int, val outputSize: Int, val biasRes: Boolean) extends Module {
  require(inputSize1 > 0 && inputSize2 > 0 && outputSize > 0,
    s"Bilinear: sizes must be positive, got inputSize1=$inputSize1 inputSize2=$inputSize2 outputSize=$outputSize")

  def this(inputSize1: Int, inputSize2: Int, outputSize: Int) = this(inputSize1, inputSize2, outputSize, true)

  val weight: Tensor = Tensor(outputSize, inputSize1, inputSize2)
  val gradWeight: Tensor = Tensor(outputSize, inputSize1, inputSize2)
  val bias: Tensor = if (biasRes) Tensor(outputSize) else null
  val gradBias: Tensor = if (biasRes) Tensor(outputSize) else null
  private val buffer = new Tensor()
  reset()

  override def reset(): Unit = initUniform(inputSize1.toDouble, Seq(weight) ++ Option.when(biasRes)(bias): _*)

  private def inputs(input: Activity): (Tensor, Tensor) = {
    val t = input match {
      case t: Table if t.length == 2 => t
      case other => throw new IllegalArgumentException(s"Bilinear: expected a table of two tensors [batch, $inputSize1] " +
        s"and [batch, $inputSize2], got $other")
    }
    val (x1, x2) = (t(0).toTensor.contiguous(), t(1).toTensor.contiguous())
    require(x1.dim == 2 && x2.dim == 2 && x1.size(1) == inputSize1 && x2.size(1) == inputSize2 && x1.size(0) == x2.size(0),
      s"Bilinear: expected inputs [batch, $inputSize1] and [batch, $inputSize2], got ${x1.shapeString} and ${x2.shapeString}")
    (x1, x2)
  }

  /** Sum over the columns of a .* b, for each row, into column k of `out`. */
  private def rowDots(a: Tensor, b: Tensor, out: Tensor, k: Int): Unit = {
    var n = 0
    while (n < a.size(0)) { out.storage(out.offset + n * outputSize + k) += a.select(0, n).dot(b.select(0, n)); n += 1 }
  }

  override def updateOutput(input: Activity): Activity = {
    val (x1, x2) = inputs(input)
    val out = output.toTensor.resize(x1.size(0), outputSize).zero()
    var k = 0
    while (k < outputSize) {
      buffer.resize(x1.size(0), inputSize2).addmm(0f, 1f, x1, weight.select(0, k))
      rowDots(buffer, x2, out, k)
      if (biasRes) out.select(1, k).add(bias.storage(bias.offset + k))
      k += 1
    }
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val (x1, x2) = inputs(input)
    val g = LayerSupport.gradLike("Bilinear", gradOutput.toTensor, output.toTensor).view(x1.size(0), outputSize)
    val (g1, g2) = (Tensor(x1.size(0), inputSize1), Tensor(x2.size(0), inputSize2))
    var k = 0
    while (k < outputSize) {
      val gk = g.select(1, k).contiguous().view(x1.size(0), 1)
      // g1 += diag(g[:, k]) x2 W_k^T ; g2 += diag(g[:, k]) x1 W_k
      g1.add(buffer.resize(x1.size(0), inputSize1).addmm(0f, 1f, x2, weight.select(0, k).t()).cmul(gk.expand(Array(x1.size(0), inputSize1))))
      g2.add(buffer.resize(x1.size(0), inputSize2).addmm(0f, 1f, x1, weight.select(0, k)).cmul(gk.expand(Array(x1.size(0), inputSize2))))
      k += 1
    }
    gradInput = Table(g1, g2)
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = {
    val (x1, x2) = inputs(input)
    val g = gradOutput.toTensor.contiguous().view(x1.size(0), outputSize)
    var k = 0
    while (k < outputSize) {
      val gk = g.select(1, k).contiguous().view(x1.size(0), 1)
      val scaled = x1.clone().cmul(gk.expand(Array(x1.size(0), inputSize1)))
      gradWeight.select(0, k).addmm(1f, 1f, scaled.t(), x2)
      if (biasRes) gradBias.storage(gradBias.offset + k) += gk.sum()
      k += 1
    }
  }

  override def ownParameters: Seq[(String, Parameter)] =
    Seq("weight" -> Parameter(weight, gradWeight)) ++ (if (biasRes) Seq("bias" -> Parameter(bias, gradBias)) else Nil)
  override def config: Seq[(String, Any)] =
    Seq("inputSize1" -> inputSize1, "inputSize2" -> inputSize2, "outputSize" -> outputSize, "biasRes" -> biasRes)
  override def configDefaults: Seq[(String, Any)] = Seq("biasRes" -> true)
}
