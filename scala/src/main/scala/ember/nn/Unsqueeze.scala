package ember.nn

import ember.tensor.Tensor

/**
 * Inserts a size-1 dimension at position `pos` (0-based; BigDL's `Unsqueeze(pos, numInputDims)` is 1-based).
 * With `numInputDims` > 0, an input with more dimensions has a leading batch dimension and `pos` counts
 * within a sample. `pos` may equal the number of dimensions (append at the end).
 */
class Unsqueeze(val pos: Int, val numInputDims: Int) extends TensorModule {
  require(pos >= 0, s"Unsqueeze: pos must be >= 0 (0-based), got $pos")

  def this(pos: Int) = this(pos, 0)

  private def outShape(x: Tensor): Array[Int] = {
    val p = pos + (if (numInputDims > 0 && x.dim > numInputDims) x.dim - numInputDims else 0)
    require(p <= x.dim, s"Unsqueeze: position $pos is out of range for input of shape ${x.shapeString}")
    (x.shape.take(p) :+ 1) ++ x.shape.drop(p)
  }

  override def updateOutput(input: Tensor): Tensor = { output = input.reshape(outShape(input).toIndexedSeq: _*); outTensor }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    require(gradOutput.nElement == input.nElement, s"Unsqueeze: gradOutput of shape ${gradOutput.shapeString} does not match the input ${input.shapeString}")
    gradInput = gradOutput.reshape(input.shape.toIndexedSeq: _*)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("pos" -> pos, "numInputDims" -> numInputDims)
  override def configDefaults: Seq[(String, Any)] = Seq("numInputDims" -> 0)
}
