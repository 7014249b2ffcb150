package ember.jep

import scala.collection.mutable

import ember.nn.{ForeignCode, TensorModule}
import ember.tensor.Tensor

/**
 * A forward-only Python function that only moves elements (Keras' `Lambda` for shape functions: reshape,
 * transpose, slicing, flipping, repeating), run inside this JVM through jep. Its gradient needs no Python
 * backward: once per input shape the function is applied to the element indices 0..n-1, which says where each
 * output element comes from, and the gradient is added back along that map. The first backward for a shape
 * checks that the output really is a selection of the input (a function that computes on values, such as
 * `x * 2`, is refused: use a [[PythonModule]] with a backward then).
 */
class Lambda(val function: String) extends TensorModule with ForeignCode {
  private val fn = PythonFunction(function)
  private val maps = mutable.Map.empty[Seq[Int], Array[Int]]

  override def codeModules: Seq[String] = Seq(fn.module)

  override def updateOutput(input: Tensor): Tensor = { output = fn(input); outTensor }

  /** For each output element, the index of the input element it copies. */
  private def sources(input: Tensor): Array[Int] = maps.getOrElseUpdate(input.shape.toSeq, {
    val n = input.nElement
    require(n <= (1 << 24), s"Lambda($function): inputs of more than 2^24 elements are not supported (got $n)")
    val idx = fn(Tensor.fromArray(Array.tabulate(n)(_.toFloat), input.shape)).toArray
    val (x, y) = (input.contiguous().toArray, outTensor.contiguous().toArray)
    val ok = idx.length == y.length && idx.indices.forall { i =>
      val s = idx(i)
      s >= 0 && s < n && s == s.toInt && (x(s.toInt) == y(i) || x(s.toInt).isNaN && y(i).isNaN)
    }
    require(ok, s"Lambda($function): the output is not a selection of the input's elements, so its gradient is " +
      "unknown; use PythonModule(forward, backward) for functions that compute on values")
    idx.map(_.toInt)
  })

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val src = sources(input)
    val go = gradOutput.contiguous().toArray
    require(go.length == src.length,
      s"Lambda($function): gradOutput has ${go.length} elements, the output ${src.length}")
    val gi = new Array[Float](input.nElement)
    var i = 0
    while (i < src.length) { gi(src(i)) += go(i); i += 1 }
    gradInput = Tensor.fromArray(gi, input.shape)
    gradInTensor
  }

  override def config: Seq[(String, Any)] = Seq("function" -> function)
  override def toString: String = s"Lambda($function)"
}
