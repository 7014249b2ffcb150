package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Concatenates a table of tensors along `dimension` (BigDL's `JoinTable(dimension, nInputDims)`). The
 * dimension is 0-based (BigDL's is 1-based); a negative one counts from the end. `nInputDims` > 0 is the
 * number of dimensions of one sample: inputs with more have a leading batch dimension, skipped when
 * counting `dimension`. All other sizes must agree.
 */
class JoinTable(val dimension: Int, val nInputDims: Int) extends Module {
  def this(dimension: Int) = this(dimension, 0)

  override def updateOutput(input: Activity): Activity = {
    val xs = TableSupport.tensors("JoinTable", input)
    val d = TableSupport.resolveDim("JoinTable", xs.head, dimension, nInputDims)
    val shape = xs.head.shape
    for ((x, i) <- xs.zipWithIndex) {
      val ok = x.dim == shape.length && shape.indices.forall(k => k == d || x.size(k) == shape(k))
      require(ok, s"JoinTable: item $i has shape ${x.shapeString}, which cannot join ${xs.head.shapeString} " +
        s"along dimension $d")
    }
    shape(d) = xs.map(_.size(d)).sum
    val out = (if (output.isTensor) output.toTensor else new Tensor()).resize(shape)
    var offset = 0
    for (x <- xs) { out.narrow(d, offset, x.size(d)).copy(x); offset += x.size(d) }
    output = out
    out
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val xs = TableSupport.tensors("JoinTable", input)
    val d = TableSupport.resolveDim("JoinTable", xs.head, dimension, nInputDims)
    val g = LayerSupport.gradLike("JoinTable", gradOutput.toTensor, output.toTensor).view(output.toTensor.shape)
    var offset = 0
    val grads = xs.map { x => val gi = g.narrow(d, offset, x.size(d)).clone(); offset += x.size(d); gi: Activity }
    gradInput = Table(grads: _*)
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("dimension" -> dimension, "nInputDims" -> nInputDims)
  override def configDefaults: Seq[(String, Any)] = Seq("nInputDims" -> 0)
}
