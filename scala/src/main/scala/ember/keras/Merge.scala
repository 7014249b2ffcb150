package ember.keras

import ember.nn.{CAddTable, CMulTable, JoinTable, Module}

/** Shared by the merges: two or more inputs, combined into one. */
abstract class MergeLayer(name: String) extends KerasLayer(null, name) {
  override def inputCount: Range = 2 to Int.MaxValue

  protected def sameShapes(in: Seq[Array[Int]]): Array[Int] = {
    check(in.forall(_.sameElements(in.head)), s"inputs must have the same shape, got ${in.map(Shapes.show).mkString(", ")}")
    in.head
  }
}

/** Element-wise sum of inputs of one shape (Keras' `Add()`, BigDL's `Merge(mode="sum")`): [[ember.nn.CAddTable]]. */
class Add(name: String) extends MergeLayer(name) {
  def this() = this(null)
  override def outputShape(in: Seq[Array[Int]]): Array[Int] = sameShapes(in)
  override protected def module(in: Seq[Array[Int]]): Module = new CAddTable()
}

/** Element-wise product of inputs of one shape (Keras' `Multiply()`, `Merge(mode="mul")`): [[ember.nn.CMulTable]]. */
class Multiply(name: String) extends MergeLayer(name) {
  def this() = this(null)
  override def outputShape(in: Seq[Array[Int]]): Array[Int] = sameShapes(in)
  override protected def module(in: Seq[Array[Int]]): Module = new CMulTable()
}

/**
 * Joins inputs along `axis` of the sample (0-based, without the batch; -1 = the last) (Keras' `Concatenate(axis)`,
 * `Merge(mode="concat")`): [[ember.nn.JoinTable]]. All other sizes must agree.
 */
class Concatenate(val axis: Int, name: String) extends MergeLayer(name) {
  def this(axis: Int) = this(axis, null)
  def this() = this(-1, null)

  private def dim(rank: Int): Int = {
    val d = if (axis < 0) axis + rank else axis
    check(d >= 0 && d < rank, s"axis $axis is out of range for samples of rank $rank")
    d
  }

  override def outputShape(in: Seq[Array[Int]]): Array[Int] = {
    val rank = in.head.length
    val d = dim(rank)
    check(in.forall(s => s.length == rank && s.indices.forall(i => i == d || s(i) == in.head(i))),
      s"inputs must agree on every axis but $axis, got ${in.map(Shapes.show).mkString(", ")}")
    in.head.updated(d, in.map(_(d)).sum)
  }
  override protected def module(in: Seq[Array[Int]]): Module = new JoinTable(dim(in.head.length), in.head.length)
}
