package ember.nn

import ember.tensor.{RandomGenerator, Tensor}
import org.scalatest.funsuite.AnyFunSuite

/**
 * Compaction into one flat weight and one flat gradient buffer (FlatParameters): values and gradients survive, zero
 * gradients are let go before the gradient buffer exists (their values are zeros anyway), weights already flat stay
 * where they are, and the driver-side release of a zero gradient comes back as zeros at the same views.
 */
class FlatParametersSuite extends AnyFunSuite {
  private def mlp(): Module = { RandomGenerator.setSeed(3); new Sequential().add(new Linear(5, 4)).add(new Tanh()).add(new Linear(4, 3)) }
  private def values(m: Module) = m.namedParameters.map(_._2.value.contiguous().toArray.toSeq)
  private def grads(m: Module) = m.namedParameters.map(_._2.grad.contiguous().toArray.toSeq)

  test("compaction keeps the weights and a non-zero gradient, and the layers' tensors become views of the buffers") {
    val m = mlp()
    m.namedParameters.head._2.grad.fill(0.5f)
    val (w0, g0) = (values(m), grads(m))
    val (w, g) = m.getParameters()
    assert(values(m) == w0 && grads(m) == g0)
    assert(w.nElement == 4 * 5 + 4 + 3 * 4 + 3 && m.namedParameters.forall(p => (p._2.value.storage eq w.storage) && (p._2.grad.storage eq g.storage)))
    val (w2, g2) = m.getParameters() // compact already: the same buffers
    assert((w2.storage eq w.storage) && (g2.storage eq g.storage))
  }

  test("a replica whose weights are views of another's flat weights keeps them and gets its own gradient") {
    val a = mlp(); val (wa, _) = a.getParameters()
    val b = mlp()
    b.namedParameters.zip(a.namedParameters).foreach { case ((_, r), (_, s)) => r.value.set(s.value) }
    val (wb, gb) = b.getParameters()
    assert((wb.storage eq wa.storage) && gb.nElement == wa.nElement && gb.toArray.forall(_ == 0f))
  }

  test("a zero gradient is let go and comes back as zeros at the same views; a non-zero one is kept") {
    val m = mlp()
    val w = m.getParameters()._1
    val restore = FlatParameters.releaseZeroGradient(m)
    assert(restore.isDefined && m.namedParameters.forall(_._2.grad.nElement == 0))
    restore.get()
    val (w2, g2) = m.getParameters()
    assert((w2.storage eq w.storage) && g2.nElement == w.nElement && g2.toArray.forall(_ == 0f))
    assert(m.namedParameters.map(_._2.grad.shape.toSeq) == m.namedParameters.map(_._2.value.shape.toSeq))
    g2.fill(1f)
    assert(FlatParameters.releaseZeroGradient(m).isEmpty && grads(m).flatten.forall(_ == 1f))
  }
}
