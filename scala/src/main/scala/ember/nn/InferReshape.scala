package ember.nn

import ember.tensor.Tensor

/**
 * Reshapes with inference (BigDL's / Caffe's `InferReshape(size, batchMode)`): an entry 0 copies the input's
 * size at that position, one entry -1 takes what is left. With `batchMode` the first dimension is a batch
 * kept as is and `size` describes one sample.
 */
class InferReshape(val size: Array[Int], val batchMode: Boolean) extends TensorModule {
  require(size != null && size.nonEmpty && size.forall(_ >= -1) && size.count(_ == -1) <= 1,
    s"InferReshape: size needs entries >= -1 with at most one -1, got ${if (size == null) "null" else size.mkString("[", ", ", "]")}")
  def this(size: Array[Int]) = this(size, false)

  private def outShape(x: Tensor): Array[Int] = {
    val (lead, sample) = if (batchMode) (x.shape.take(1), x.shape.drop(1)) else (Array.emptyIntArray, x.shape)
    val err = s"InferReshape: cannot reshape input of shape ${x.shapeString} to ${size.mkString("[", ", ", "]")}" +
      (if (batchMode) " per sample" else "")
    val filled = size.zipWithIndex.map { case (s, i) => if (s == 0) { require(i < sample.length, err); sample(i) } else s }
    val total = sample.map(_.toLong).product
    val known = filled.filter(_ != -1).map(_.toLong).product
    val inferred = if (filled.contains(-1)) {
      require(known > 0 && total % known == 0, err)
      filled.map(s => if (s == -1) (total / known).toInt else s)
    } else filled
    require(inferred.map(_.toLong).product == total, err)
    lead ++ inferred
  }

  override def updateOutput(input: Tensor): Tensor = { output = input.reshape(outShape(input).toIndexedSeq: _*); outTensor }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("InferReshape", gradOutput, outTensor)
    gradInput = g.reshape(input.shape.toIndexedSeq: _*)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("size" -> size, "batchMode" -> batchMode)
  override def configDefaults: Seq[(String, Any)] = Seq("batchMode" -> false)
}
