package ember.optim

import org.scalatest.funsuite.AnyFunSuite

class TaskProfileSuite extends AnyFunSuite {
  test("a spread is the mean, median, 90th percentile and maximum, in milliseconds") {
    val s = Spread.ofNanos(Array.tabulate(10)(i => (10 - i) * 1000000L)) // 10, 9, ..., 1 ms
    assert(s == Spread(5.5, 6.0, 10.0, 10.0), s)
    assert(Spread.ofNanos(Array.emptyLongArray) == Spread.zero)
  }

  test("threads are grouped by name without numbers or Spark's task suffix") {
    assert(JvmSnapshot.group("Executor task launch worker for task 0.0 in stage 3.0 (TID 5)") == "Executor task launch worker")
    assert(JvmSnapshot.group("rpc-server-4-1") == "rpc-server-#-#")
    assert(JvmSnapshot.group("ember-replica-12") == "ember-replica-#")
  }

  test("a JVM usage counts the CPU of a thread started after the snapshot under its group") {
    val before = JvmSnapshot.take()
    val done = new java.util.concurrent.CountDownLatch(1)
    val release = new java.util.concurrent.CountDownLatch(1)
    val busy = new Thread(() => {
      val cpu = java.lang.management.ManagementFactory.getThreadMXBean
      var x = 0L
      while (cpu.getCurrentThreadCpuTime < 20000000L) x += 1 // 20 ms of its own CPU, whatever the load
      done.countDown()
      release.await()
    }, "profile-busy-3")
    busy.setDaemon(true); busy.start()
    done.await()
    val usage = try before.usageSince() finally release.countDown()
    assert(usage.threadCpuNanos.getOrElse("profile-busy-#", 0L) >= 20000000L, usage)
    assert(usage.processCpuNanos > 10000000L && usage.jvmInternalCpuNanos >= 0, usage)
  }
}
