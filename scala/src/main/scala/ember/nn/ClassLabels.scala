package ember.nn

import ember.tensor.Tensor

/** Reading 0-based class labels from a target tensor, shared by the classification criterions. */
private[nn] object ClassLabels {

  /**
   * The scores `input` as [batch, nClasses] (a vector is a batch of one) and the labels of `target`
   * ([batch] or [batch, 1] of integral floats in [0, nClasses)), checked with messages naming `owner`.
   */
  def read(owner: String, input: Tensor, target: Tensor): (Tensor, Array[Int]) = {
    require(input.dim == 1 || input.dim == 2,
      s"$owner: expected input of shape [batch, nClasses] or [nClasses], got ${input.shapeString}")
    val scores = (if (input.dim == 1) input.view(1, input.nElement) else input).contiguous()
    val (n, classes) = (scores.size(0), scores.size(1))
    require(target.nElement == n && (target.dim <= 1 || (target.dim == 2 && target.size(1) == 1)),
      s"$owner: expected a target of $n class indices (shape [$n] or [$n, 1]) for input ${input.shapeString}, " +
        s"got ${target.shapeString}")
    val raw = target.toArray
    val labels = new Array[Int](n)
    var i = 0
    while (i < n) {
      val v = raw(i)
      if (v != math.rint(v) || v.isInfinite)
        throw new IllegalArgumentException(s"$owner: label $v at index $i is not an integer class index")
      if (v < 0 || v >= classes)
        throw new IllegalArgumentException(s"$owner: label ${v.toLong} at index $i is outside [0, $classes)")
      labels(i) = v.toInt
      i += 1
    }
    (scores, labels)
  }

  /** Checks optional per-class weights against the number of classes. */
  def checkWeights(owner: String, weights: Array[Float], classes: Int): Unit =
    require(weights == null || weights.length == classes,
      s"$owner: weights has ${weights.length} entries but the input has $classes classes")
}
