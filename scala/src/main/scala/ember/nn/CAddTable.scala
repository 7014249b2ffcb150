package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Elementwise sum of a table of tensors of the same shape (BigDL's `CAddTable(inplace)`). With `inplace`
 * the output reuses the first input's storage and the input gradients share gradOutput's; without it each
 * input gradient is a copy of gradOutput in a buffer of this layer, reused across iterations (the consumers may
 * modify what they receive, e.g. an in-place ReLU, so the items cannot share one buffer).
 */
class CAddTable(val inplace: Boolean) extends Module {
  def this() = this(false)

  private var gradBuffers: Array[Tensor] = Array.empty

  override def updateOutput(input: Activity): Activity = {
    val xs = TableSupport.tensors("CAddTable", input)
    for ((x, i) <- xs.zipWithIndex.tail) require(x.sameShape(xs.head),
      s"CAddTable: item $i has shape ${x.shapeString}, item 0 has ${xs.head.shapeString}")
    val out = if (inplace) xs.head else (if (output.isTensor) output.toTensor else new Tensor()).resize(xs.head.shape).copy(xs.head)
    xs.tail.foreach(out.add)
    output = out
    out
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val xs = TableSupport.tensors("CAddTable", input)
    val g = gradOutput.toTensor
    require(g.nElement == xs.head.nElement,
      s"CAddTable: gradOutput of shape ${g.shapeString} does not match the inputs' ${xs.head.shapeString}")
    if (!inplace && gradBuffers.length != xs.length) gradBuffers = Array.fill(xs.length)(new Tensor())
    gradInput = Table(xs.indices.map { i =>
      (if (inplace) g.view(xs(i).shape) else gradBuffers(i).resize(xs(i).shape).copy(g)): Activity
    }: _*)
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("inplace" -> inplace)
  override def configDefaults: Seq[(String, Any)] = Seq("inplace" -> false)
}
