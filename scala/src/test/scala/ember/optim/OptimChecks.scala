package ember.optim

import ember.tensor.Tensor
import org.scalatest.Assertions._

/** Checks shared by the optim-method suites: against a Double-precision reference, and state continuity. */
object OptimChecks {

  /**
   * Steps `method` and `reference` (w, g, iteration) -> Unit `steps` times on the same random data of `n`
   * elements (gradients growing with the iteration) and compares the weights after every step.
   */
  def againstReference(method: OptimMethod, n: Int, steps: Int, seed: Long, atol: Double, rtol: Double)(
      reference: (Array[Double], Array[Double], Int) => Unit): Unit = {
    val rng = new java.util.Random(seed)
    val w0 = Array.fill(n)(rng.nextGaussian().toFloat)
    val w = Tensor.fromArray(w0.clone(), n)
    val ref = w0.map(_.toDouble)
    for (it <- 0 until steps) {
      val g = Array.fill(n)((rng.nextGaussian() * (1 + it)).toFloat)
      method.step(w, Tensor.fromArray(g.clone(), n), TrainingPosition.at(it, 1))
      reference(ref, g.map(_.toDouble), it)
      ref.indices.foreach { i =>
        assert(math.abs(w(i) - ref(i)) <= atol + rtol * math.abs(ref(i)), s"$method step $it element $i: ${w(i)} vs reference ${ref(i)}")
      }
    }
  }

  /**
   * Steps a method 3 times, saves config + state, rebuilds it, and checks that 3 more steps match an unbroken
   * run exactly, and that a method which lost its state differs (so the check is meaningful). Returns the
   * method before saving and the rebuilt one.
   */
  def stateContinuity(make: () => OptimMethod, n: Int): (OptimMethod, OptimMethod) = {
    val rng = new java.util.Random(11)
    val grads = Seq.fill(6)(Array.fill(n)(rng.nextGaussian().toFloat))
    val w0 = Array.fill(n)(rng.nextGaussian().toFloat)
    val unbroken = make(); val wa = Tensor.fromArray(w0.clone(), n)
    grads.zipWithIndex.foreach { case (g, i) => unbroken.step(wa, Tensor.fromArray(g.clone(), n), TrainingPosition.at(i, 1)) }
    val first = make(); val wb = Tensor.fromArray(w0.clone(), n)
    grads.take(3).zipWithIndex.foreach { case (g, i) => first.step(wb, Tensor.fromArray(g.clone(), n), TrainingPosition.at(i, 1)) }
    val resumed = OptimMethodSpec.build(OptimMethodSpec.describe(first))
    assert(resumed.getClass == first.getClass && resumed.config.map(_._1) == first.config.map(_._1))
    first.state.flatMap(s => resumed.readState(s.entries)).foreach(resumed.loadState) // through the checkpoint's entries
    grads.drop(3).zipWithIndex.foreach { case (g, i) => resumed.step(wb, Tensor.fromArray(g.clone(), n), TrainingPosition.at(i + 3, 1)) }
    assert(wb.almostEqual(wa, 0, 0), s"${first.getClass.getSimpleName}: resumed run differs from the unbroken one")
    val lost = make(); val (wc, wd) = (wb.clone(), wb.clone())
    val g = Tensor.fromArray(grads(0).clone(), n)
    lost.step(wc, g.clone(), TrainingPosition.at(6, 1)); resumed.step(wd, g.clone(), TrainingPosition.at(6, 1))
    assert(!wc.almostEqual(wd, 0, 0), s"${first.getClass.getSimpleName}: losing the state made no difference")
    (first, resumed)
  }
}
