package ember.nn

import ember.tensor.Tensor

/**
 * Removes size-1 dimensions (BigDL's `Squeeze(dims, batchMode)`): those listed in `dims` (0-based; a listed
 * dimension whose size is not 1 is kept, as in Torch), or all of them when `dims` is empty. With
 * `batchMode`, dims count within a sample (the leading batch dimension is skipped and never removed).
 */
class Squeeze(val dims: Array[Int], val batchMode: Boolean) extends TensorModule {
  require(dims != null, "Squeeze: dims must not be null (use an empty array for all size-1 dimensions)")

  def this(dim: Int) = this(Array(dim), false)
  def this() = this(Array.emptyIntArray, false)

  private def outShape(x: Tensor): Array[Int] = {
    val first = if (batchMode) 1 else 0
    val chosen = if (dims.isEmpty) (first until x.dim).toSet else dims.map { d =>
      val a = if (d < 0) d + x.dim else d + first
      require(a >= first && a < x.dim, s"Squeeze: dimension $d is out of range for input of shape ${x.shapeString}")
      a
    }.toSet
    x.shape.zipWithIndex.collect { case (s, i) if !(chosen(i) && s == 1) => s }
  }

  override def updateOutput(input: Tensor): Tensor = { output = input.reshape(outShape(input).toIndexedSeq: _*); outTensor }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    require(gradOutput.nElement == input.nElement, s"Squeeze: gradOutput of shape ${gradOutput.shapeString} does not match the input ${input.shapeString}")
    gradInput = gradOutput.reshape(input.shape.toIndexedSeq: _*)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("dims" -> dims, "batchMode" -> batchMode)
  override def configDefaults: Seq[(String, Any)] = Seq("batchMode" -> false)
}
