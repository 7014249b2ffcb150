package ember.optim

import org.scalatest.funsuite.AnyFunSuite

class TriggersSuite extends AnyFunSuite {
  private def st(epoch: Int, it: Long, finished: Boolean = false, loss: Float = Float.NaN, score: Float = Float.NaN) =
    TrainingPosition(epoch = epoch, iteration = it, epochFinished = finished, loss = loss, score = score)

  /** Iterations (1-based) after which `t` fires, with 4 iterations per epoch, over 12 iterations. */
  private def firings(t: Trigger): Seq[Long] = {
    Iterator.iterate(TrainingPosition.Start)(_.advance(1f, 4)).slice(1, 13).filter(t(_)).map(_.iteration).toSeq
  }

  test("BigDL semantics of the iteration and epoch triggers over a simulated run") {
    assert(firings(EveryEpoch()) == Seq(4L, 8L, 12L))
    assert(firings(SeveralIteration(5)) == Seq(5L, 10L))
    assert(firings(MaxIteration(10)) == Seq(10L, 11L, 12L))
    assert(firings(MaxEpoch(2)) == Seq(8L, 9L, 10L, 11L, 12L))
    assert(!MaxEpoch(1)(st(1, 0)))
  }

  test("score and loss triggers ignore NaN (nothing measured yet)") {
    assert(MaxScore(0.9)(st(1, 5, score = 0.95f)) && !MaxScore(0.9)(st(1, 5, score = 0.9f)) && !MaxScore(0.9)(st(1, 5)))
    assert(MinLoss(0.1)(st(1, 5, loss = 0.05f)) && !MinLoss(0.1)(st(1, 5, loss = 0.2f)) && !MinLoss(0.1)(st(1, 5)))
  }

  test("TriggerAnd / TriggerOr combine") {
    val s = st(3, 20, finished = true, loss = 0.5f)
    assert(TriggerAnd(EveryEpoch(), MaxEpoch(2))(s) && !TriggerAnd(EveryEpoch(), MinLoss(0.1))(s))
    assert(TriggerOr(MinLoss(0.1), MaxIteration(20))(s) && !TriggerOr(MinLoss(0.1), MaxIteration(21), MaxEpoch(5))(s))
    assert(new TriggerAnd(EveryEpoch(), MaxEpoch(2)) == TriggerAnd(EveryEpoch(), MaxEpoch(2)))
  }

  test("triggers are Serializable case classes and reject bad arguments") {
    val t: Trigger = TriggerOr(MaxEpoch(3), TriggerAnd(SeveralIteration(2), MinLoss(0.5)))
    val bytes = new java.io.ByteArrayOutputStream()
    new java.io.ObjectOutputStream(bytes).writeObject(t)
    val back = new java.io.ObjectInputStream(new java.io.ByteArrayInputStream(bytes.toByteArray)).readObject()
    assert(back == t)
    assert(intercept[IllegalArgumentException](MaxEpoch(0)).getMessage.contains("max must be > 0, got 0"))
    assert(intercept[IllegalArgumentException](SeveralIteration(-2)).getMessage.contains("got -2"))
  }
}
