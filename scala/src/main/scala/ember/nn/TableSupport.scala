package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/** Activity arithmetic shared by the table layers, containers and graphs (tensors or nested tables). */
private[nn] object TableSupport {

  /** A deep copy of `a` into fresh storage. */
  def copyOf(a: Activity): Activity = a match {
    case t: Tensor => t.clone()
    case t: Table  => Table(t.items.toSeq.map(copyOf): _*)
    case other     => unknown(other)
  }

  /**
   * `acc` + `x` elementwise, reusing `acc`'s storage (tensors of equal element count, tables of the same
   * structure); a null `acc` gives a copy of `x`. Used to sum the gradients that several consumers send
   * back to one producer.
   */
  def accumulate(acc: Activity, x: Activity, what: String): Activity = (acc, x) match {
    case (null, _) => copyOf(x)
    case (a: Tensor, b: Tensor) =>
      require(a.nElement == b.nElement, s"$what: cannot add gradients of shapes ${a.shapeString} and ${b.shapeString}")
      a.add(b)
    case (a: Table, b: Table) =>
      require(a.length == b.length, s"$what: cannot add gradient tables of ${a.length} and ${b.length} items")
      var i = 0
      while (i < a.length) { a(i) = accumulate(a(i), b(i), what); i += 1 }
      a
    case (a, b) => throw new IllegalArgumentException(
      s"$what: cannot add a ${b.getClass.getSimpleName} gradient to a ${a.getClass.getSimpleName} one")
  }

  /** A zero activity with the structure and shapes of `a`. */
  def zerosLike(a: Activity): Activity = a match {
    case t: Tensor => Tensor(t.shape.toIndexedSeq: _*)
    case t: Table  => Table(t.items.toSeq.map(zerosLike): _*)
    case other     => unknown(other)
  }

  /** `a` as a table with at least `min` items, or a clear error naming the layer. */
  def table(layer: String, a: Activity, min: Int = 1): Table = a match {
    case t: Table =>
      require(t.length >= min, s"$layer: expected a table of at least $min items, got ${t.length}")
      t
    case t: Tensor => throw new IllegalArgumentException(
      s"$layer: expected a table (a list of tensors in Python) but got a tensor of shape ${t.shapeString}")
    case other => unknown(other)
  }

  /** Items of a table that must all be tensors. */
  def tensors(layer: String, a: Activity, min: Int = 1): IndexedSeq[Tensor] =
    table(layer, a, min).items.toIndexedSeq.zipWithIndex.map {
      case (t: Tensor, _) => t
      case (_, i)         => throw new IllegalArgumentException(s"$layer: item $i of the input table is a table, expected a tensor")
    }

  /** A 0-based dimension, negative counting from the end, skipping a batch dimension when `nInputDims` says so. */
  def resolveDim(layer: String, x: Tensor, dim: Int, nInputDims: Int): Int = {
    val d = if (dim < 0) dim + x.dim else dim + (if (nInputDims > 0 && x.dim > nInputDims) x.dim - nInputDims else 0)
    require(d >= 0 && d < x.dim, s"$layer: dimension $dim (0-based) is out of range for input of shape ${x.shapeString}")
    d
  }

  /** Shape description of an activity for messages. */
  def describe(a: Activity): String = a match {
    case t: Tensor => t.shapeString
    case t: Table  => t.items.map(describe).mkString("{", ", ", "}")
    case other     => unknown(other)
  }

  def unknown(a: Activity): Nothing = throw new IllegalArgumentException(s"unknown activity type ${a.getClass.getName}")
}
