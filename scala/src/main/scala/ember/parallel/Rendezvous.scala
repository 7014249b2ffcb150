package ember.parallel

import java.nio.ByteBuffer
import java.nio.charset.StandardCharsets.UTF_8
import java.util.concurrent.{ConcurrentHashMap, TimeUnit, TimeoutException}

import scala.concurrent.{Await, Future}
import scala.concurrent.duration.Duration

import org.apache.spark.{TaskContext, TaskKilledException}

/**
 * What the tasks of a segment and the driver tell each other, once per segment and never while iterating: where
 * the tasks run, and the exception that failed a task.
 *
 * Where they run: each task of a segment attempt asks the driver's endpoint once ([[join]]: its partition, the
 * number of tasks and its [[Peer]]); the driver holds every answer until all the attempt's tasks have asked,
 * then answers each with the whole list. One round trip per task and segment, no polling (a barrier
 * stage runs all its tasks at once, so they all ask within moments). The driver keeps a segment [[open]] while
 * its job runs; a task of a segment already [[close]]d (a late task of a failed attempt) is told so and stops.
 *
 * Why a task failed: a barrier stage's failure reaches the driver without the task's exception, so a failing
 * task first hands it (Java-serialized) to the driver ([[reportError]]), which reads it with [[error]].
 *
 * Keys: "join|<segment>|<attempt>|<task>|<tasks>" and "error|<segment>|<attempt>|<task>". In local mode (the
 * driver's endpoint given as "") the tasks run in the driver's JVM: nothing is joined, errors are kept directly.
 */
object Rendezvous {
  /** The joined tasks of one segment attempt: their peers, and the replies waiting for the last one. */
  private final class Attempt(parts: Int) {
    val peers = new Array[String](parts)
    val replies = new Array[Array[Byte] => Unit](parts)
    def complete: Boolean = peers.forall(_ != null)
  }

  private val segments = new ConcurrentHashMap[String, ConcurrentHashMap[String, Attempt]]()
  private val errors = new ConcurrentHashMap[String, Array[Byte]]()

  /** This JVM's endpoint ("host:port"; started when needed): tasks' messages, reports, joins and errors. */
  def endpoint(): String = Transport.start(Mailbox.deliverFrame, Mailbox.landing, Mailbox.deliver, answer)

  /** Driver side: accepts the joins of `segment`'s tasks until [[close]]. */
  def open(segment: String): Unit = segments.putIfAbsent(segment, new ConcurrentHashMap[String, Attempt]())

  /** Driver side: forgets `segment` (its errors too); tasks still waiting to join are told it is closed. */
  def close(segment: String): Unit = {
    val attempts = segments.remove(segment)
    if (attempts != null) attempts.values.forEach(a => a.synchronized(a.replies.filter(_ != null).foreach(_(Closed))))
    errors.keySet.removeIf(_.startsWith(s"$segment|"))
  }

  /** Segments open on this driver (for tests: none once training ended). */
  def openSegments: Int = segments.size + errors.size

  /** Driver side: the exception bytes of the first failed task of `segment` (by attempt, then task), if any reported. */
  def error(segment: String, parts: Int): Option[Array[Byte]] =
    (for (a <- (0 until 8).iterator; p <- (0 until parts).iterator) yield Option(errors.get(s"$segment|$a|$p"))).collectFirst {
      case Some(b) => b
    }

  /**
   * Task side: registers task `me` of `parts` of `segment`'s attempt `attempt` as running at `self` with the
   * driver at `driver`, and returns every task's peer once all have registered. Stops when Spark kills the task;
   * a TimeoutException after `timeoutMs`.
   */
  def join(driver: String, segment: String, attempt: Int, me: Int, parts: Int, self: Peer, timeoutMs: Long): Array[Peer] = {
    val text = s"${self.executorId}\n${self.host}\n${self.endpoint}"
    val reply = Transport.ask(driver, "join", s"join|$segment|$attempt|$me|$parts", text.getBytes(UTF_8))
    val answer = ByteBuffer.wrap(await(reply, timeoutMs,
      s"DistriOptimizer: task $me waited ${timeoutMs / 1000} s for the other ${parts - 1} task(s) of segment $segment to " +
        "start; an executor may have died or the cluster lacks free cores for all tasks at once (see the executor logs)"))
    val n = answer.getInt()
    if (n < 0) throw new IllegalStateException(s"DistriOptimizer: segment $segment already ended on the driver")
    new String(answer.array(), 4, n, UTF_8).split("\n\n", -1).map { p => val f = p.split("\n", 3); Peer(f(0), f(1), f(2)) }
  }

  /** Task side: hands the exception bytes of failed task `p` to the driver (waits up to 10 s for it to arrive). */
  def reportError(driver: String, segment: String, attempt: Int, p: Int, bytes: Array[Byte]): Unit = {
    val key = s"error|$segment|$attempt|$p"
    if (driver.isEmpty) errors.putIfAbsent(key.substring(6), bytes)
    else Await.ready(Transport.ask(driver, "error", key, bytes), Duration(10, TimeUnit.SECONDS))
  }

  private val Closed = ByteBuffer.allocate(4).putInt(-1).array()

  /** Driver side: a join or an error report arriving at this JVM's endpoint. */
  private def answer(key: String, bytes: Array[Byte], reply: Array[Byte] => Unit): Unit = key.split("\\|") match {
    case Array("join", segment, attempt, me, parts) =>
      val attempts = segments.get(segment)
      if (attempts == null) reply(Closed)
      else {
        val a = attempts.computeIfAbsent(attempt, _ => new Attempt(parts.toInt))
        a.synchronized {
          a.peers(me.toInt) = new String(bytes, UTF_8); a.replies(me.toInt) = reply
          if (a.complete) {
            val all = a.peers.mkString("\n\n").getBytes(UTF_8)
            for (q <- a.replies.indices) {
              a.replies(q)(ByteBuffer.allocate(4 + all.length).putInt(all.length).put(all).array())
              a.replies(q) = null // answered: not told again at close
            }
          }
        }
      }
    case Array("error", segment, attempt, p) =>
      if (segments.containsKey(segment)) errors.putIfAbsent(s"$segment|$attempt|$p", bytes)
      reply(Array.emptyByteArray)
    case _ => throw new IllegalArgumentException(s"Ember endpoint: unknown request $key")
  }

  /** The value of `f`, waiting up to `timeoutMs` and checking every 100 ms whether Spark killed the calling task. */
  private def await[T](f: Future[T], timeoutMs: Long, timeoutMessage: => String): T = {
    val deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs)
    while (!f.isCompleted) {
      val ctx = TaskContext.get()
      if (ctx != null && ctx.isInterrupted()) throw new TaskKilledException("killed while joining its segment")
      if (System.nanoTime() > deadline) throw new TimeoutException(timeoutMessage)
      try Await.ready(f, Duration(100, TimeUnit.MILLISECONDS))
      catch {
        case _: TimeoutException =>
        case _: InterruptedException => throw new TaskKilledException("interrupted while joining its segment")
      }
    }
    f.value.get.get
  }
}
