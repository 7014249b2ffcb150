package ember.parallel

import java.util.concurrent.{ConcurrentLinkedQueue, CountDownLatch, TimeoutException}
import java.util.concurrent.atomic.AtomicInteger

import scala.jdk.CollectionConverters._

import ember.data.LocalDataSet
import org.scalatest.funsuite.AnyFunSuite

/**
 * [[LocalShare]] and [[IterationWork]], the way the training tasks of one executor share a batch: every
 * sample of the batch is handed out exactly once, no chunk mixes two partitions, the work of an iteration is
 * built once for all local tasks and forgotten after the last one took it, and registrations are keyed by
 * attempt so that dropping one attempt leaves the others alone.
 */
class LocalShareSuite extends AnyFunSuite {

  /** A data set whose sample i has the single feature value `base + i` (so a batch tells which samples it holds). */
  private def data(base: Int, n: Int): LocalDataSet =
    LocalDataSet.fromArrays(Array.tabulate(n)(i => (base + i).toFloat), Array(1), Array.fill(n)(0f))

  test("the chunks of an iteration's work cover every sample of the batch once, each within one partition") {
    val parts = Array(data(0, 50), data(1000, 40), data(2000, 7))
    val indices = Array((0 until 50 by 2).toArray, (0 until 40).reverse.toArray, Array(6, 0, 3))
    val work = new IterationWork(parts, indices, workers = 3, parameters = 10)
    assert(work.total == 25 + 40 + 3)
    val seen = new ConcurrentLinkedQueue[Float]()
    val threads = (0 until 3).map { _ =>
      new Thread(() => {
        var b = work.next()
        while (b != null) {
          val values = b.input.toTensor.toArray
          // one chunk, one partition: all its values come from the same thousand
          assert(values.map(v => (v / 1000).toInt).distinct.length == 1, values.mkString(","))
          values.foreach(v => seen.add(v))
          b = work.next()
        }
      })
    }
    threads.foreach(_.start()); threads.foreach(_.join())
    val expected = indices(0).map(_.toFloat) ++ indices(1).map(i => 1000f + i) ++ indices(2).map(i => 2000f + i)
    assert(seen.asScala.toSeq.sorted == expected.toSeq.sorted)
    assert(work.next() == null)
  }

  test("the work of an iteration is built once for all local tasks and dropped after the last one took it") {
    val prefix = s"share-${System.nanoTime()}"
    val builds = new AtomicInteger()
    val start = new CountDownLatch(1)
    def build = { builds.incrementAndGet(); new IterationWork(Array(data(0, 8)), Array((0 until 8).toArray), 2, 1) }
    val got = new ConcurrentLinkedQueue[IterationWork]()
    val tasks = (0 until 4).map(_ => new Thread(() => { start.await(); got.add(LocalShare.iteration(prefix, 7L, 4, build)) }))
    tasks.foreach(_.start()); start.countDown(); tasks.foreach(_.join())
    assert(builds.get == 1 && got.asScala.toSet.size == 1)
    // the registry forgot iteration 7: asking again builds a new one
    LocalShare.iteration(prefix, 7L, 1, build)
    assert(builds.get == 2)
  }

  test("registration: waiting for the local partitions, a timeout naming them, and dropping by attempt") {
    val segment = s"share-segment-${System.nanoTime()}"
    val (a, b) = (s"${segment}_attempt0", s"${segment}_attempt1")
    val d = data(0, 4)
    LocalShare.register(a, 0, d)
    LocalShare.register(a, 1, null) // an empty partition registers without data
    LocalShare.awaitRegistered(a, Array(0, 1), 1000)
    assert(LocalShare.partition(a, 0) eq d)
    assert(LocalShare.partition(a, 1) == null)
    val e = intercept[TimeoutException](LocalShare.awaitRegistered(a, Array(0, 1, 2), 50))
    assert(e.getMessage.contains("partitions 0, 1, 2 did not all start"), e.getMessage)

    // a waiter is woken by the registration it waits for
    val waiter = new Thread(() => LocalShare.awaitRegistered(b, Array(3), 10000))
    waiter.start()
    LocalShare.register(b, 3, d)
    waiter.join(10000)
    assert(!waiter.isAlive)

    LocalShare.drop(a)
    assert(LocalShare.partition(a, 0) == null && (LocalShare.partition(b, 3) eq d))
    intercept[TimeoutException](LocalShare.awaitRegistered(a, Array(0), 20))
    LocalShare.dropSegment(segment)
    assert(LocalShare.partition(b, 3) == null)
  }
}
