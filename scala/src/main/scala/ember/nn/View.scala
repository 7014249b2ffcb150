package ember.nn

import ember.tensor.Tensor

/**
 * A view of the input with shape `sizes` (one entry may be -1), as BigDL's/Torch's `View(sizes)`.
 * With `numInputDims` set (> 0), inputs of more than `numInputDims` dimensions are batches: the leading
 * dimensions become one batch dimension, giving [batch] ++ sizes. Without it, an input with a multiple of
 * prod(sizes) elements is also treated as a batch of that many samples.
 */
class View(val sizes: Array[Int], val numInputDims: Int) extends TensorModule {
  require(sizes != null && sizes.nonEmpty && sizes.forall(s => s > 0 || s == -1) && sizes.count(_ == -1) <= 1,
    s"View: sizes must be positive with at most one -1, got ${if (sizes == null) "null" else sizes.mkString("[", ", ", "]")}")
  require(numInputDims >= 0, s"View: numInputDims must be >= 0, got $numInputDims")

  def this(sizes: Array[Int]) = this(sizes, 0)

  private val known = sizes.filter(_ != -1).map(_.toLong).product

  /** BigDL's fluent setter; returns a new View because the constructor arguments are what gets saved. */
  def setNumInputDims(n: Int): View = new View(sizes, n)

  private def outShape(x: Tensor): Array[Int] = {
    val dims = if (numInputDims > 0) math.min(numInputDims, x.dim) else x.dim
    val sampleElems = x.shape.takeRight(dims).map(_.toLong).product
    val err = s"View: cannot view input of shape ${x.shapeString} as ${sizes.mkString("[", ", ", "]")}"
    require(known > 0 && sampleElems % known == 0, err)
    var batch = sampleElems / known
    if (sizes.contains(-1)) batch = 1 // the -1 takes up the slack within a sample
    if (numInputDims > 0) batch *= x.shape.dropRight(dims).map(_.toLong).product
    val isBatch = batch != 1 || (numInputDims > 0 && x.dim > numInputDims)
    val shape = if (isBatch) batch.toInt +: sizes else sizes
    val fixed = shape.filter(_ != -1).map(_.toLong).product
    require(if (fixed == 0) x.nElement == 0 else x.nElement % fixed == 0 && (shape.contains(-1) || fixed == x.nElement), err)
    shape
  }

  override def updateOutput(input: Tensor): Tensor = { output = input.reshape(outShape(input).toIndexedSeq: _*); outTensor }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    require(gradOutput.nElement == input.nElement,
      s"View: gradOutput of shape ${gradOutput.shapeString} does not match the input shape ${input.shapeString}")
    gradInput = gradOutput.reshape(input.shape.toIndexedSeq: _*)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("sizes" -> sizes, "numInputDims" -> numInputDims)
  override def configDefaults: Seq[(String, Any)] = Seq("numInputDims" -> 0)
}
