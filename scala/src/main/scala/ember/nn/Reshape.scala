package ember.nn

import ember.tensor.Tensor

/**
 * Reshapes each sample to `size`, as BigDL's `Reshape(size, batchMode)`. With `batchMode` unset (the
 * one-argument constructor), an input with exactly prod(size) elements whose first dimension is not 1 is
 * one sample and becomes `size`; any other input keeps its first dimension as the batch: [batch] ++ size.
 * `batchMode = true` always keeps the batch dimension, `false` never does.
 */
class Reshape private (val size: Array[Int], batch: Option[Boolean]) extends TensorModule {
  require(size != null && size.nonEmpty && size.forall(_ > 0),
    s"Reshape: size must be a non-empty list of positive sizes, got ${if (size == null) "null" else size.mkString("[", ", ", "]")}")

  def this(size: Array[Int]) = this(size, None)
  def this(size: Array[Int], batchMode: Boolean) = this(size, Some(batchMode))

  private val sampleElements = size.map(_.toLong).product

  /** The batch mode given at construction, if any. */
  def batchMode: Option[Boolean] = batch

  private def outShape(x: Tensor): Array[Int] = {
    val single = batch match {
      case Some(b) => !b
      case None    => x.nElement == sampleElements && x.size(0) != 1
    }
    val shape = if (single || x.dim == 0) size else x.size(0) +: size
    require(x.dim > 0 && shape.map(_.toLong).product == x.nElement, s"Reshape: cannot reshape input of shape " +
      s"${x.shapeString} to ${size.mkString("[", ", ", "]")}${if (single) "" else " per sample"}: " +
      s"expected ${if (single) "" else "[batch] ++ "}$sampleElements elements")
    shape
  }

  override def updateOutput(input: Tensor): Tensor = { output = input.reshape(outShape(input).toIndexedSeq: _*); outTensor }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    require(gradOutput.nElement == input.nElement,
      s"Reshape: gradOutput of shape ${gradOutput.shapeString} does not match the input shape ${input.shapeString}")
    gradInput = gradOutput.reshape(input.shape.toIndexedSeq: _*)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("size" -> size) ++ batch.map(b => "batchMode" -> b)
  override def toString: String = s"Reshape(${size.mkString("[", ", ", "]")}${batch.fold("")(b => s", batchMode=$b")})"
}
