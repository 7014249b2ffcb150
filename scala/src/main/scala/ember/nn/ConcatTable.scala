package ember.nn

import ember.tensor.{Activity, Table}

/**
 * Applies each of its modules to the same input and returns the table of their outputs (BigDL's
 * `ConcatTable`). The input gradient is the sum of the modules' input gradients.
 */
class ConcatTable extends Container {

  override def updateOutput(input: Activity): Activity = {
    require(modules.nonEmpty, "ConcatTable: no modules; add some first")
    output = Table(modules.toSeq.map(_.forward(input)): _*)
    output
  }

  private def gradTable(gradOutput: Activity): Table = {
    val g = TableSupport.table("ConcatTable gradOutput", gradOutput)
    require(g.length == modules.length, s"ConcatTable: gradOutput has ${g.length} items for ${modules.length} modules")
    g
  }

  private def sum(grads: Seq[Activity]): Activity = {
    var acc: Activity = null
    grads.foreach(g => acc = TableSupport.accumulate(acc, g, "ConcatTable"))
    acc
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val g = gradTable(gradOutput)
    gradInput = sum(modules.indices.map(i => modules(i).updateGradInput(input, g(i))))
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = {
    val g = gradTable(gradOutput)
    modules.indices.foreach(i => Module.accGrad(modules(i), input, g(i)))
  }

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit = {
    val g = gradTable(gradOutput)
    gradInput = sum(modules.indices.map(i => modules(i).backward(input, g(i))))
  }
}
