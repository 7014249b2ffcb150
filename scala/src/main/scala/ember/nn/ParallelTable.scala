package ember.nn

import ember.tensor.{Activity, Table}

/** Applies its i-th module to the i-th item of the input table; returns the table of outputs (BigDL's `ParallelTable`). */
class ParallelTable extends Container {

  private def inputs(input: Activity): Table = {
    val t = TableSupport.table("ParallelTable", input)
    require(t.length == modules.length, s"ParallelTable: input table has ${t.length} items for ${modules.length} modules")
    t
  }

  override def updateOutput(input: Activity): Activity = {
    val t = inputs(input)
    output = Table(modules.indices.map(i => modules(i).forward(t(i))): _*)
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val (t, g) = (inputs(input), TableSupport.table("ParallelTable gradOutput", gradOutput, modules.length))
    gradInput = Table(modules.indices.map(i => modules(i).updateGradInput(t(i), g(i))): _*)
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = {
    val (t, g) = (inputs(input), TableSupport.table("ParallelTable gradOutput", gradOutput, modules.length))
    modules.indices.foreach(i => Module.accGrad(modules(i), t(i), g(i)))
  }

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit = {
    val (t, g) = (inputs(input), TableSupport.table("ParallelTable gradOutput", gradOutput, modules.length))
    gradInput = Table(modules.indices.map(i => modules(i).backward(t(i), g(i))): _*)
  }
}
