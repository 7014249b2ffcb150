package ember.nn

import ember.tensor.{Activity, Tensor}

/**
 * Applies each of its modules to the same input and concatenates their outputs along `dimension`
 * (BigDL's `Concat(dimension)`; 0-based over the whole output, batch dimension included, so BigDL's
 * channel `Concat(2)` of NCHW batches is `Concat(1)` here; negative counts from the end). The input
 * gradient is the sum of the modules' input gradients. Inception's branches use it.
 */
class Concat(val dimension: Int) extends Container {

  override def updateOutput(input: Activity): Activity = {
    require(modules.nonEmpty, "Concat: no modules; add some first")
    val outs = modules.toSeq.map(_.forward(input).toTensor)
    val d = TableSupport.resolveDim("Concat", outs.head, dimension, 0)
    val shape = outs.head.shape
    for ((o, i) <- outs.zipWithIndex) require(o.dim == shape.length && shape.indices.forall(k => k == d || o.size(k) == shape(k)),
      s"Concat: module $i (${modules(i)}) gives shape ${o.shapeString}, which cannot join ${outs.head.shapeString} along dimension $d")
    shape(d) = outs.map(_.size(d)).sum
    val out = (if (output.isTensor) output.toTensor else new Tensor()).resize(shape)
    var offset = 0
    for (o <- outs) { out.narrow(d, offset, o.size(d)).copy(o); offset += o.size(d) }
    output = out
    out
  }

  /** The part of gradOutput that belongs to each module, as contiguous tensors. */
  private def slices(gradOutput: Activity): Seq[Tensor] = {
    val out = output.toTensor
    val g = LayerSupport.gradLike("Concat", gradOutput.toTensor, out).view(out.shape)
    val d = TableSupport.resolveDim("Concat", out, dimension, 0)
    var offset = 0
    modules.toSeq.map { m =>
      val n = m.output.toTensor.size(d)
      val s = g.narrow(d, offset, n).contiguous()
      offset += n
      s
    }
  }

  private def sum(grads: Seq[Activity]): Activity = {
    var acc: Activity = null
    grads.foreach(g => acc = TableSupport.accumulate(acc, g, "Concat"))
    acc
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    gradInput = sum(modules.toSeq.zip(slices(gradOutput)).map { case (m, g) => m.updateGradInput(input, g) })
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit =
    modules.toSeq.zip(slices(gradOutput)).foreach { case (m, g) => Module.accGrad(m, input, g) }

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit =
    gradInput = sum(modules.toSeq.zip(slices(gradOutput)).map { case (m, g) => m.backward(input, g) })

  override def config: Seq[(String, Any)] = Seq("dimension" -> dimension)

  override def toString: String = super.toString.replaceFirst("^Concat", s"Concat($dimension)")
}
