package ember.nn

import ember.tensor.Tensor

/**
 * Swaps pairs of dimensions of the whole input, batch dimension included, one pair after the other (BigDL's
 * `Transpose(permutations)`). Dimensions are 0-based (BigDL's are 1-based); the pairs are given flat,
 * `Array(d1a, d2a, d1b, d2b, ...)` (one constructor argument, so the model file stores it as it is). The output is a contiguous copy.
 */
class Transpose(val permutations: Array[Int]) extends TensorModule {
  require(permutations != null && permutations.nonEmpty && permutations.length % 2 == 0 && permutations.forall(_ >= 0),
    s"Transpose: permutations must be pairs of 0-based dimensions, got " +
      s"${if (permutations == null) "null" else permutations.mkString("[", ", ", "]")}")

  private def pairs: Seq[(Int, Int)] = permutations.grouped(2).map(p => (p(0), p(1))).toSeq

  private def swap(x: Tensor, ps: Seq[(Int, Int)]): Tensor = ps.foldLeft(x) { case (t, (a, b)) =>
    require(a < t.dim && b < t.dim, s"Transpose: cannot swap dimensions $a and $b of input of shape ${x.shapeString}")
    t.transpose(a, b)
  }

  override def updateOutput(input: Tensor): Tensor = {
    val t = swap(input, pairs)
    if (outTensor eq input) output = new Tensor()
    outTensor.resize(t.shape).copy(t)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val g = LayerSupport.gradLike("Transpose", gradOutput, outTensor).view(outTensor.shape)
    val t = swap(g, pairs.reverse)
    gradInTensor.resize(t.shape).copy(t)
  }

  override def config: Seq[(String, Any)] = Seq("permutations" -> permutations)
  override def toString: String = s"Transpose(${pairs.map { case (a, b) => s"($a, $b)" }.mkString(", ")})"
}
