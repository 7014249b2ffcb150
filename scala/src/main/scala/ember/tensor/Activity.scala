package ember.tensor

import scala.collection.mutable.ArrayBuffer

/** What flows between modules: a [[Tensor]] or a [[Table]] of activities (multi-input/output layers). */
trait Activity {

  /** This activity as a tensor; fails with a clear message when it is a table. */
  def toTensor: Tensor = this match {
    case t: Tensor => t
    case other     => throw new IllegalArgumentException(s"expected a Tensor but got ${other.getClass.getSimpleName}")
  }

  /** This activity as a table; fails with a clear message when it is a tensor. */
  def toTable: Table = this match {
    case t: Table => t
    case other    => throw new IllegalArgumentException(s"expected a Table but got ${other.getClass.getSimpleName}")
  }

  def isTensor: Boolean = this.isInstanceOf[Tensor]
  def isTable: Boolean = this.isInstanceOf[Table]
}

/** An ordered, 0-indexed list of activities (BigDL's Table, restricted to what layers need). */
final class Table(val items: ArrayBuffer[Activity]) extends Activity {
  def this() = this(ArrayBuffer.empty[Activity])
  def length: Int = items.length
  def apply(i: Int): Activity = {
    require(i >= 0 && i < items.length, s"table index $i out of range [0, ${items.length})")
    items(i)
  }
  def update(i: Int, a: Activity): Unit = {
    while (items.length <= i) items += new Tensor()
    items(i) = a
  }
  def insert(a: Activity): this.type = { items += a; this }
  def clear(): this.type = { items.clear(); this }
  override def toString: String = items.mkString("Table(", ", ", ")")
}

object Table {
  def apply(items: Activity*): Table = new Table(ArrayBuffer(items: _*))
}
