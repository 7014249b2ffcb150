package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/** Elementwise product of a table of tensors of the same shape (BigDL's `CMulTable`). */
class CMulTable extends Module {

  override def updateOutput(input: Activity): Activity = {
    val xs = TableSupport.tensors("CMulTable", input)
    for ((x, i) <- xs.zipWithIndex.tail) require(x.sameShape(xs.head),
      s"CMulTable: item $i has shape ${x.shapeString}, item 0 has ${xs.head.shapeString}")
    val out = (if (output.isTensor) output.toTensor else new Tensor()).resize(xs.head.shape).copy(xs.head)
    xs.tail.foreach(out.cmul)
    output = out
    out
  }

  /** d/dx_i = g * prod_{j != i} x_j, computed by products (no division, so zeros in the input are fine). */
  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val xs = TableSupport.tensors("CMulTable", input)
    val g = LayerSupport.gradLike("CMulTable", gradOutput.toTensor, output.toTensor).view(xs.head.shape)
    gradInput = Table(xs.indices.map { i =>
      val gi = g.clone()
      for (j <- xs.indices if j != i) gi.cmul(xs(j))
      gi: Activity
    }: _*)
    gradInput
  }
}
