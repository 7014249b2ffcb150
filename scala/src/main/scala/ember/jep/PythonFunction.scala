package ember.jep

import jep.NDArray

import ember.tensor.Tensor

/**
 * A Python function named "module:qualified.name" (importable by the interpreter: no lambdas, no functions local
 * to another function, nothing from `__main__`), called on float32 arrays inside this JVM.
 */
final case class PythonFunction(ref: String) {
  require(ref != null && ref.matches("""[A-Za-z_][\w.]*:[A-Za-z_][\w.]*"""),
    s"a Python function is named 'module:qualified.name' (an importable module-level function), got '$ref'")
  require(!ref.startsWith("__main__:"), s"$ref: functions of __main__ cannot be imported by the JVM's interpreter; " +
    "move the function into a module")

  /** The module the function comes from. */
  def module: String = ref.takeWhile(_ != ':')

  /** Calls the function on arrays holding `args` and returns its array result as a new tensor. */
  def apply(args: Tensor*): Tensor = PythonRuntime.guarded(ref) {
    PythonFunction.tensor(PythonRuntime.interpreter.invoke("_ember_call", PythonFunction.arguments(ref, args): _*), ref)
  }

  /** Calls the function on arrays holding `args` and returns its result as a number. */
  def scalar(args: Tensor*): Float = PythonRuntime.guarded(ref) {
    PythonRuntime.interpreter.invoke("_ember_scalar", PythonFunction.arguments(ref, args): _*) match {
      case n: Number => n.floatValue
      case other => throw new PythonCodeException(s"$ref returned $other, expected a number", null)
    }
  }
}

private[jep] object PythonFunction {
  def arguments(ref: String, args: Seq[Tensor]): Seq[AnyRef] = ref +: args.map(array)

  def array(t: Tensor): NDArray[Array[Float]] = new NDArray[Array[Float]](t.contiguous().toArray, t.shape: _*)

  def tensor(value: AnyRef, ref: String): Tensor = value match {
    case a: NDArray[_] => Tensor.fromArray(a.getData.asInstanceOf[Array[Float]], a.getDimensions)
    case other =>
      val what = if (other == null) "None" else other.getClass.getSimpleName
      throw new PythonCodeException(s"$ref returned $what, expected an array", null)
  }
}
