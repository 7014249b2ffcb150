package ember.nn

import ember.tensor.{Activity, Table}

/**
 * The item at `index` of a table (BigDL's `SelectTable(index)`; 0-based, negative counts from the end).
 * The input gradient is a table of the input's structure: zeros except at `index`.
 */
class SelectTable(val index: Int) extends Module {

  private def resolve(t: Table): Int = {
    val i = if (index < 0) index + t.length else index
    require(i >= 0 && i < t.length, s"SelectTable: index $index is out of range for a table of ${t.length} items")
    i
  }

  override def updateOutput(input: Activity): Activity = {
    val t = TableSupport.table("SelectTable", input)
    output = t(resolve(t))
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val t = TableSupport.table("SelectTable", input)
    val i = resolve(t)
    gradInput = Table(t.items.indices.map(k => if (k == i) TableSupport.copyOf(gradOutput) else TableSupport.zerosLike(t(k))): _*)
    gradInput
  }

  override def config: Seq[(String, Any)] = Seq("index" -> index)
}
