package ember.nn

import ember.tensor.Tensor

/**
 * Cross-entropy between predicted probabilities `x` (e.g. a SoftMax output) and target distributions `y`
 * (one-hot rows) of the same shape [batch, nClasses] (BigDL's `CategoricalCrossEntropy`, Keras'
 * "categorical_crossentropy"): loss = -sum y log(max(x, eps)) / batch, eps = 1e-7 (Keras' epsilon) so that a zero
 * probability gives a large finite loss instead of infinity. For class-index targets use
 * `ClassNLLCriterion(logProbAsInput = false)`.
 */
class CategoricalCrossEntropy() extends TensorCriterion {
  private val Eps = 1e-7f

  private def rows(input: Tensor, target: Tensor): Int = {
    Targets.requireSameShape("CategoricalCrossEntropy", input, target)
    require(input.dim == 2, s"CategoricalCrossEntropy: expected probabilities of shape [batch, nClasses], got ${input.shapeString}")
    input.size(0)
  }

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    val n = rows(input, target)
    val (x, y) = (input.contiguous().toArray, target.contiguous().toArray)
    var acc = 0.0
    var i = 0
    while (i < x.length) { if (y(i) != 0f) acc -= y(i) * math.log(math.max(x(i), Eps)); i += 1 }
    output = (acc / n).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    val n = rows(input, target)
    val (x, y) = (input.contiguous().toArray, target.contiguous().toArray)
    val gi = gradInput.toTensor.resize(input.shape)
    var i = 0
    while (i < x.length) { gi.storage(gi.offset + i) = if (x(i) > Eps) -y(i) / x(i) / n else 0f; i += 1 }
    gi
  }

}
