package ember.jep

import ember.nn.TensorCriterion
import ember.tensor.Tensor

/**
 * A loss whose value and input gradient are Python functions over numpy arrays, run inside this JVM through jep:
 * `loss(input, target) -> float`, `gradient(input, target) -> array` shaped like input. Named "module:qualified.name".
 */
class PythonCriterion(val loss: String, val gradient: String) extends TensorCriterion {
  private val lossFn = PythonFunction(loss)
  private val gradientFn = PythonFunction(gradient)

  override def updateOutput(input: Tensor, target: Tensor): Float = { output = lossFn.scalar(input, target); output }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    val g = gradientFn(input, target)
    require(g.shape.sameElements(input.shape),
      s"PythonCriterion: $gradient returned a gradient of shape ${g.shapeString} for an input of shape " +
        input.shapeString)
    gradInput = g
    g
  }

  override def config: Seq[(String, Any)] = Seq("loss" -> loss, "gradient" -> gradient)
  override def toString: String = s"PythonCriterion($loss, $gradient)"
}
