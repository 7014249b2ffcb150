package ember.jep

import ember.nn.{ForeignCode, TensorModule}
import ember.tensor.Tensor

/**
 * A layer whose forward and backward are Python functions over numpy arrays, run inside this JVM through jep
 * (no Python worker, no py4j call per batch): `forward(x) -> y`, `backward(x, gradOutput) -> gradInput` (same
 * shape as x), both float32. The functions are named "module:qualified.name" and stored so in the model file;
 * a model holding this layer loads only with trust (see [[ember.io.ModelFile.load]]). Without `backward`
 * (null) the layer only runs forward (inference, or frozen ahead of trainable layers with propagateBack off).
 */
class PythonModule(val forward: String, val backward: String) extends TensorModule with ForeignCode {
  private val forwardFn = PythonFunction(forward)
  private val backwardFn = Option(backward).map(PythonFunction(_))

  def this(forward: String) = this(forward, null)

  override def codeModules: Seq[String] = (forwardFn +: backwardFn.toSeq).map(_.module).distinct

  override def updateOutput(input: Tensor): Tensor = { output = forwardFn(input); outTensor }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val fn = backwardFn.getOrElse(throw new UnsupportedOperationException(
      s"PythonModule($forward) has no backward function: give one to train through it"))
    val g = fn(input, gradOutput)
    require(g.shape.sameElements(input.shape),
      s"PythonModule: ${fn.ref} returned a gradient of shape ${g.shapeString} for an input of shape " +
        input.shapeString)
    gradInput = g
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("forward" -> forward, "backward" -> backward)
  override def toString: String = s"PythonModule($forward${Option(backward).map(", " + _).getOrElse("")})"
}
