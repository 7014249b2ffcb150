package ember.parallel

import org.scalatest.funsuite.AnyFunSuite

class EngineSuite extends AnyFunSuite {
  test("the thread budget: explicit replicas, and invokeAll keeps order and rethrows the task's own error") {
    val before = Tuple1(Engine.coreNumber)
    try {
      Engine.init(2, 2)
      assert(Engine.coreNumber == 2 && Engine.modelReplicas == 2)
      val names = Engine.invokeAll(Seq(() => 1, () => 2, () => 3))
      assert(names == Seq(1, 2, 3))
      val threads = Engine.invokeAll(Seq(() => Thread.currentThread(), () => Thread.currentThread(), () => Thread.currentThread()))
      assert(threads.head eq Thread.currentThread()) // the first task runs in the caller, the others on the pool
      assert(threads.tail.forall(t => t.isDaemon && t.getName.startsWith("ember-replica-")))
      val failedFirst = intercept[IllegalStateException](Engine.invokeAll(Seq(() => throw new IllegalStateException("first"), () => 2)))
      assert(failedFirst.getMessage == "first")
      val e = intercept[IllegalStateException](Engine.invokeAll(Seq(() => 1, () => throw new IllegalStateException("boom"))))
      assert(e.getMessage == "boom")
      Engine.init(2)
      assert(Engine.modelReplicas == math.max(1, 2 / Engine.blasThreads))
      assert(intercept[IllegalArgumentException](Engine.init(2, 3)).getMessage.contains("replicaCount must be in [1, 2]"))
    } finally Engine.init(before._1)
  }
}
