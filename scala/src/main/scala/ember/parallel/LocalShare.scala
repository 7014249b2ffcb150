package ember.parallel

import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

import ember.data.{ChunkQueue, LocalDataSet, MiniBatch}

/**
 * The samples of one global batch held by the training tasks of one JVM, shared among all their model
 * replicas in chunks ([[ChunkQueue]]'s guided self-scheduling, without a chunk crossing from one partition's
 * samples to the next): a task whose core is faster takes more of them, so the tasks of an executor finish
 * their parts of an iteration together instead of waiting for the slowest at the gradient exchange.
 * `data(i)` is the data of one local partition and `indices(i)` its samples in the batch.
 */
private[ember] final class IterationWork(data: Array[LocalDataSet], indices: Array[Array[Int]], workers: Int, parameters: Long) {
  private val starts: Array[Int] = indices.map(_.length).scanLeft(0)(_ + _)
  /** Samples of the batch held in this JVM. */
  val total: Int = starts.last
  private val queue = ChunkQueue(total, workers, parameters, starts.slice(1, starts.length - 1))

  /** The next chunk (samples of one partition) or null when this JVM's samples of the batch are used up. */
  def next(): MiniBatch = {
    val c = queue.claim()
    if (c < 0) return null
    val from = ChunkQueue.from(c)
    var i = 0
    while (starts(i + 1) <= from) i += 1
    data(i).batch(indices(i), from - starts(i), from - starts(i) + ChunkQueue.length(c))
  }
}

/**
 * The JVM-wide registry through which the training tasks of one executor share their batches: each task
 * registers its partition's data at the start of a segment, and per iteration the first task to arrive
 * builds the [[IterationWork]] of all local partitions, which every local task then takes chunks from.
 * Keys start with the segment attempt's block prefix, so a retried stage never meets a failed attempt's work.
 */
private[ember] object LocalShare {
  private val data = new ConcurrentHashMap[String, LocalDataSet]()
  private val ready = new ConcurrentHashMap[String, java.lang.Boolean]() // registered partitions (data may be null)
  private val work = new ConcurrentHashMap[String, (IterationWork, AtomicInteger)]()

  def register(prefix: String, p: Int, d: LocalDataSet): Unit = {
    if (d != null) data.put(s"$prefix/$p", d)
    ready.put(s"$prefix/$p", java.lang.Boolean.TRUE)
    Signal.bump()
  }

  /** Waits until every partition of `local` has registered (their tasks run at once: a barrier stage). */
  def awaitRegistered(prefix: String, local: Array[Int], timeoutMs: Long): Unit = {
    val deadline = System.nanoTime() + timeoutMs * 1000000L
    while (!local.forall(q => ready.containsKey(s"$prefix/$q"))) {
      val seen = Signal.version
      if (local.forall(q => ready.containsKey(s"$prefix/$q"))) return
      if (System.nanoTime() > deadline) throw new java.util.concurrent.TimeoutException(
        s"DistriOptimizer: the tasks of partitions ${local.mkString(", ")} did not all start within ${timeoutMs / 1000} s")
      Signal.await(seen, 5L)
    }
  }

  /** The data of local partition `q` (null when it is empty). */
  def partition(prefix: String, q: Int): LocalDataSet = data.get(s"$prefix/$q")

  /**
   * The work of iteration `t`, built by the first of the `tasks` local tasks to ask (`build`) and dropped
   * from the registry when the last one has it.
   */
  def iteration(prefix: String, t: Long, tasks: Int, build: => IterationWork): IterationWork = {
    val key = s"$prefix/it/$t"
    val entry = work.computeIfAbsent(key, _ => (build, new AtomicInteger(0)))
    if (entry._2.incrementAndGet() >= tasks) work.remove(key)
    entry._1
  }

  /** Forgets everything registered under `prefix` (end of a task's segment, or a failed attempt). */
  def drop(prefix: String): Unit = dropMatching(_.startsWith(prefix + "/"))

  /** Forgets every attempt of segment `segmentPrefix` (the driver, after the segment). */
  def dropSegment(segmentPrefix: String): Unit = dropMatching(_.startsWith(segmentPrefix + "_"))

  private def dropMatching(f: String => Boolean): Unit = {
    data.keySet().removeIf(k => f(k))
    ready.keySet().removeIf(k => f(k))
    work.keySet().removeIf(k => f(k))
  }
}

/** Wakes the tasks of this JVM waiting in [[LocalShare.awaitRegistered]] (a version counter avoids lost wake-ups). */
private object Signal {
  @volatile private var counter = 0L
  def version: Long = counter
  def bump(): Unit = synchronized { counter += 1; notifyAll() }
  def await(seen: Long, maxMs: Long): Unit = synchronized { if (counter == seen) wait(maxMs) }
}
