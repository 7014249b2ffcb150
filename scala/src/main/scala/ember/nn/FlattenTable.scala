package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Flattens a nested table into a table of its tensors in depth-first order (BigDL's `FlattenTable`); the
 * input gradient has the input's nesting.
 */
class FlattenTable extends Module {

  override def updateOutput(input: Activity): Activity = {
    output = Table(flatten(TableSupport.table("FlattenTable", input)): _*)
    output
  }

  private def flatten(a: Activity): Seq[Activity] = a match {
    case t: Tensor => Seq(t)
    case t: Table  => t.items.toSeq.flatMap(flatten)
    case other     => TableSupport.unknown(other)
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val gs = TableSupport.table("FlattenTable gradOutput", gradOutput).items
    var next = 0
    def nest(a: Activity): Activity = a match {
      case _: Tensor =>
        require(next < gs.length, s"FlattenTable: gradOutput has ${gs.length} items, fewer than the input's tensors")
        next += 1
        gs(next - 1)
      case t: Table => Table(t.items.toSeq.map(nest): _*)
      case other    => TableSupport.unknown(other)
    }
    gradInput = nest(input)
    require(next == gs.length, s"FlattenTable: gradOutput has ${gs.length} items for $next input tensors")
    gradInput
  }
}
