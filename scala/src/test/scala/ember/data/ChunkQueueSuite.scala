package ember.data

import java.util.concurrent.{ConcurrentLinkedQueue, CountDownLatch}

import scala.jdk.CollectionConverters._

import org.scalatest.funsuite.AnyFunSuite

/** The dynamic batch split: every sample claimed exactly once, chunk sizes bounded, sources never mixed. */
class ChunkQueueSuite extends AnyFunSuite {

  private def drain(q: ChunkQueue): Seq[(Int, Int)] =
    Iterator.continually(q.claim()).takeWhile(_ >= 0).map(c => (ChunkQueue.from(c), ChunkQueue.length(c))).toSeq

  test("one worker's claims tile the batch in order, large chunks first, never more than an equal share") {
    for ((size, workers) <- Seq((128, 2), (127, 3), (5, 2), (1, 4), (1000, 8))) {
      val chunks = drain(ChunkQueue(size, workers, parameters = 62006))
      assert(chunks.map(_._1) == chunks.map(_._2).scanLeft(0)(_ + _).init, s"$size/$workers: $chunks")
      assert(chunks.map(_._2).sum == size)
      assert(chunks.forall(_._2 <= (size + workers - 1) / workers), s"$size/$workers: $chunks")
      assert(chunks.map(_._2) == chunks.map(_._2).sortBy(-_), s"$size/$workers: sizes must not grow: $chunks")
    }
    assert(drain(ChunkQueue(0, 2, 10)).isEmpty)
  }

  test("chunks hold at least one sample per 8,192 parameters, capped at an equal share") {
    assert(drain(ChunkQueue(128, 2, parameters = 5000000L)).map(_._2) == Seq(64, 64)) // a 5M-parameter MLP
    assert(drain(ChunkQueue(128, 2, parameters = 62006L)).map(_._2).init.min == 8)     // LeNet-5 (the last may be less)
  }

  test("no chunk crosses a source boundary") {
    val bounds = Array(10, 10, 37, 100)
    val chunks = drain(ChunkQueue(120, 2, 1000L, bounds))
    assert(chunks.map(_._2).sum == 120)
    for ((from, len) <- chunks; b <- bounds) assert(!(from < b && from + len > b), s"chunk [$from, ${from + len}) crosses $b")
  }

  test("concurrent workers claim every sample exactly once") {
    for (_ <- 0 until 20) {
      val q = ChunkQueue(4096, 4, 100L, Array(1000, 3000))
      val seen = new ConcurrentLinkedQueue[(Int, Int)]()
      val start = new CountDownLatch(1)
      val threads = (0 until 4).map(_ => new Thread(() => { start.await(); drain(q).foreach(seen.add) }))
      threads.foreach(_.start()); start.countDown(); threads.foreach(_.join())
      val covered = seen.asScala.toSeq.flatMap { case (f, l) => f until f + l }.sorted
      assert(covered == (0 until 4096))
    }
  }
}
