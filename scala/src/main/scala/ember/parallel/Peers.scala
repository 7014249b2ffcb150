package ember.parallel

import java.nio.{ByteBuffer, ByteOrder}
import java.util.concurrent.{ConcurrentHashMap, TimeUnit, TimeoutException}
import java.util.concurrent.locks.ReentrantLock

import org.apache.spark.{SparkEnv, TaskContext, TaskKilledException}
import org.apache.spark.ember.SparkShim

/*
 * How the training tasks of a segment reach each other (the transport under AllReduceParameter).
 *
 * At the start of a segment each task learns, once, where every other task runs ([[Peers.rendezvous]]: one
 * round trip per task to the driver, see [[Rendezvous]]). From then on the driver hears
 * nothing until the segment ends: a producer pushes each slice straight to the task that needs it
 * ([[Peers.send]]): into the [[Mailbox]] of its own JVM when the reader runs there (no copy: the reader gets
 * a view of the producer's buffer), else as a one-way frame to the reader's executor over Spark's transport
 * layer ([[Transport]]: authenticated and encrypted as Spark's own connections are; the
 * producer's buffer goes to Netty without a copy), whose transport thread copies it once into that JVM's
 * mailbox, into a buffer the reader hands back once it has decoded it ([[Peers.release]]: no garbage per message,
 * which cost a 5M-parameter model dozens of young collections per hundred iterations). A reader may instead name,
 * for some of its messages, the place their values are for ([[Peers.land]], a [[Mailbox.Lander]]: the weight slices
 * of the other tasks, decoded into the replicas' weights): the transport thread then decodes the bytes there as they
 * are read from the socket, and the message delivered holds only its header (one pass over the bytes instead of a
 * copy into a buffer and the reader's decode of it). A reader blocks on its mailbox ([[Peers.receive]]) and is woken by the arrival, not by a poll.
 *
 * Why not the block transfer service's upload (what block replication uses): an uploaded block lands in the
 * receiver's block manager with no hook to wake the task waiting for it, so the reader would have to poll
 * its block manager again; a server of our own delivers straight to the waiting task. Why not Spark's RpcEnv
 * (an earlier version): its messages are Java-serialized (two more copies of every slice) and handed to a
 * dispatcher thread before the endpoint sees them (one more thread to wake per message); and an executor's own
 * RpcEnv only connects out to the driver, it does not listen.
 *
 * Keys name the segment attempt, the reader and the slice (`<run>_<segment>_<attempt>|<reader>|<name>`), and
 * a task closes its mailbox at the end of its attempt ([[Mailbox.close]]): a message of a failed attempt that
 * arrives late is dropped, and a retried attempt can never read it. Every message has exactly one reader,
 * which removes it as it reads it, so the mailbox holds at most the slices of the iteration in flight.
 */

/** Where the task of one partition runs: its executor, that executor's host and its Ember endpoint ("host:port"). */
final case class Peer(executorId: String, host: String, endpoint: String)

/**
 * The tasks of one segment attempt (`prefix`) as seen from task `me`: sends to and receives from each of
 * them, and counts the bytes this task sent to tasks in other JVMs.
 */
final class Peers(val prefix: String, val me: Int, val all: Array[Peer], timeoutMs: Long) {
  /** Bytes sent to tasks in other JVMs (what crosses the network). */
  var remoteBytes: Long = 0L
  /** Nanoseconds spent waiting for messages of other tasks. */
  var waitNanos: Long = 0L

  def size: Int = all.length

  /** Whether task `q` runs in this JVM. */
  def isLocal(q: Int): Boolean = all(q).executorId == all(me).executorId

  /** Whether some task runs in another JVM. */
  def remote: Boolean = all.indices.exists(q => !isLocal(q))

  /** Pushes `buf` (position to limit) to task `q` under `name`; `buf` may be rewritten once `q` has read it. */
  def send(q: Int, name: String, buf: ByteBuffer): Unit = {
    val key = Mailbox.key(prefix, q, name)
    if (isLocal(q)) Mailbox.deliver(key, buf.duplicate().order(ByteOrder.LITTLE_ENDIAN))
    else { remoteBytes += buf.remaining(); Transport.send(all(q).endpoint, key, buf) }
  }

  /** Waits for message `name` from task `q` (little-endian, at its start). */
  def receive(q: Int, name: String): ByteBuffer = {
    val start = System.nanoTime()
    val b = Mailbox.take(Mailbox.key(prefix, me, name), timeoutMs, timedOut(q, name))
    waitNanos += System.nanoTime() - start
    b
  }

  /**
   * Waits until message `name` from task `q` is here, leaving it for [[receive]]. A task's messages to another arrive
   * in the order it sent them (one connection, or this JVM's mailbox), so waiting for the last of several pieces
   * first wakes the reader once for all of them instead of once per piece.
   */
  def await(q: Int, name: String): Unit = {
    val start = System.nanoTime()
    Mailbox.await(Mailbox.key(prefix, me, name), timeoutMs, timedOut(q, name))
    waitNanos += System.nanoTime() - start
  }

  private def timedOut(q: Int, name: String): String =
    s"DistriOptimizer: task $me waited ${timeoutMs / 1000} s for $name from ${describe(q)}; that task or its executor " +
      "may have died or stalled (see its executor's log); DistriOptimizer.setSyncTimeout sets the limit"

  /**
   * From now on, the messages to this task from other JVMs that `lander` takes land where it says, as they arrive
   * (see the notes above); until [[close]].
   */
  def land(lander: Mailbox.Lander): Unit = Mailbox.land(prefix, me, lander)

  /** Hands back a message [[receive]]d once its bytes are read (a buffer of its JVM's pool, reused). */
  def release(b: ByteBuffer): Unit = Mailbox.release(b)

  /** "task q on executor E (host H)", for error messages. */
  def describe(q: Int): String = s"task $q on executor ${all(q).executorId} (host ${all(q).host})"

  /** Ends this task's part of the attempt: later messages to it are dropped, unread ones released. */
  def close(): Unit = Mailbox.close(prefix, me)
}

object Peers {
  /** All `parts` tasks in this JVM (local mode): no rendezvous, no network. */
  def local(prefix: String, me: Int, parts: Int, timeoutMs: Long): Peers =
    new Peers(prefix, me, Array.fill(parts)(Peer(SparkEnv.get.executorId, "localhost", "")), timeoutMs)

  /**
   * Once per segment attempt on a cluster: task `me` starts its JVM's endpoint and learns from the driver (at
   * `driver`) where every task of attempt `attempt` of `segment` runs (the only driver traffic of a segment
   * besides Spark's own, see [[Rendezvous]]). Messages are then keyed by `<segment>_<attempt>`.
   */
  def rendezvous(driver: String, segment: String, attempt: Int, me: Int, parts: Int, timeoutMs: Long): Peers = {
    SparkShim.countDriverMessages()
    val self = Peer(SparkEnv.get.executorId, Transport.host, Rendezvous.endpoint())
    new Peers(s"${segment}_$attempt", me, Rendezvous.join(driver, segment, attempt, me, parts, self, timeoutMs), timeoutMs)
  }
}

/**
 * The messages waiting for the training tasks of this JVM, keyed by segment attempt, reader and name (see
 * the notes above). A reader blocks on a condition signalled by each arrival; it wakes at least every 100 ms
 * to see whether Spark killed its task (a kill does not always interrupt the thread).
 */
object Mailbox {
  private val boxes = new ConcurrentHashMap[String, ByteBuffer]()
  private val closed = ConcurrentHashMap.newKeySet[String]()
  private val lock = new ReentrantLock()
  private val arrived = lock.newCondition()
  private val KillCheckNanos = TimeUnit.MILLISECONDS.toNanos(100)

  def key(prefix: String, reader: Int, name: String): String = s"$prefix|$reader|$name"

  private def owner(key: String): String = key.substring(0, key.indexOf('|', key.indexOf('|') + 1) + 1)

  /**
   * Where a reader wants some of its messages from other JVMs to land ([[Peers.land]]): for the message `name` of
   * `bytes` bytes, a [[Transport.Landing]] that puts them where they are used (called in a transport thread, as the
   * message starts to arrive), or null for the default (a pooled buffer).
   */
  trait Lander {
    def landing(name: String, bytes: Int): Transport.Landing
  }
  private val landers = new ConcurrentHashMap[String, Lander]()

  /** [[Lander]] of task `reader` of attempt `prefix`, until [[close]]. */
  def land(prefix: String, reader: Int, lander: Lander): Unit = {
    val o = s"$prefix|$reader|"
    landers.put(o, lander)
    if (closed.contains(o)) landers.remove(o) // closed meanwhile
  }

  /** Where the bytes of message `key` (`n` of them) from another JVM go: its reader's [[Lander]]'s place, or a pooled buffer. */
  def landing(key: String, n: Int): Transport.Landing = {
    val o = owner(key)
    val lander = landers.get(o)
    val placed = if (lander == null) null else lander.landing(key.substring(o.length), n)
    if (placed != null) placed else new Pooled(Pool.take(n))
  }

  /** The default landing: the bytes copied into a buffer of the pool, which the reader decodes and hands back. */
  private final class Pooled(buf: ByteBuffer) extends Transport.Landing {
    override def write(bytes: ByteBuffer): Unit = buf.put(bytes)
    override def result(): ByteBuffer = buf.flip()
  }

  /**
   * A message from another JVM in one frame (the endpoint's callback; `bytes` is valid only during the call): through
   * its [[landing]]; keys starting with '@' are [[Reports]], read at once.
   */
  def deliverFrame(key: String, bytes: ByteBuffer): Unit =
    if (key.startsWith("@")) Reports.deliver(key.substring(1), bytes.order(ByteOrder.LITTLE_ENDIAN))
    else { val into = landing(key, bytes.remaining()); into.write(bytes); deliver(key, into.result()) }

  /** Back to the pool once read: a pooled buffer of [[landing]] (a message from this JVM is not pooled, see Pool). */
  def release(b: ByteBuffer): Unit = Pool.release(b)

  /**
   * Buffers for messages from other JVMs, by size (a slice's pieces have few sizes), reused once their reader
   * released them; at most `MaxBytes` of them are kept (beyond it a buffer is left to the collector).
   */
  private object Pool {
    private val MaxBytes = 64L << 20
    private val free = new ConcurrentHashMap[Int, java.util.concurrent.ConcurrentLinkedQueue[ByteBuffer]]()
    private val owned = java.util.Collections.synchronizedSet(
      java.util.Collections.newSetFromMap(new java.util.IdentityHashMap[Array[Byte], java.lang.Boolean]()))
    private val ownedBytes = new java.util.concurrent.atomic.AtomicLong()

    def take(n: Int): ByteBuffer = {
      val q = free.get(n)
      val b = if (q == null) null else q.poll()
      if (b != null) return b.clear().order(ByteOrder.LITTLE_ENDIAN)
      val a = new Array[Byte](n)
      if (ownedBytes.addAndGet(n) <= MaxBytes) owned.add(a) else ownedBytes.addAndGet(-n)
      ByteBuffer.wrap(a).order(ByteOrder.LITTLE_ENDIAN)
    }

    def release(b: ByteBuffer): Unit =
      if (b.hasArray && b.arrayOffset() == 0 && owned.contains(b.array())) {
        free.computeIfAbsent(b.capacity(), _ => new java.util.concurrent.ConcurrentLinkedQueue[ByteBuffer]()).offer(b)
      }
  }

  /** Leaves `buf` for the reader of `key` and wakes the waiting readers; dropped when that reader has closed. */
  def deliver(key: String, buf: ByteBuffer): Unit = {
    val o = owner(key)
    if (closed.contains(o)) return
    boxes.put(key, buf.order(ByteOrder.LITTLE_ENDIAN))
    if (closed.contains(o)) boxes.remove(key) // closed meanwhile: nobody will read it
    lock.lock()
    try arrived.signalAll() finally lock.unlock()
  }

  /**
   * Removes and returns the message `key`, waiting for it up to `timeoutMs` (then a TimeoutException with
   * `timeoutMessage`); a TaskKilledException when Spark kills the calling task meanwhile.
   */
  def take(key: String, timeoutMs: Long, timeoutMessage: => String): ByteBuffer = {
    val deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs)
    var b = boxes.remove(key)
    while (b == null) {
      waitOnce(key, deadline, timeoutMessage)
      b = boxes.remove(key)
    }
    b
  }

  /** Waits as [[take]] does until message `key` is here, and leaves it there. */
  def await(key: String, timeoutMs: Long, timeoutMessage: => String): Unit = {
    val deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs)
    while (!boxes.containsKey(key)) waitOnce(key, deadline, timeoutMessage)
  }

  /** One wait for an arrival (any), at most until `deadline` and [[KillCheckNanos]]; fails past the deadline or when killed. */
  private def waitOnce(key: String, deadline: Long, timeoutMessage: => String): Unit = {
    val ctx = TaskContext.get()
    if (ctx != null && ctx.isInterrupted()) throw new TaskKilledException(s"killed while waiting for $key")
    val left = deadline - System.nanoTime()
    if (left <= 0) throw new TimeoutException(timeoutMessage)
    lock.lock()
    try { if (!boxes.containsKey(key)) arrived.awaitNanos(math.min(left, KillCheckNanos)) }
    catch { case _: InterruptedException => throw new TaskKilledException(s"interrupted while waiting for $key") }
    finally lock.unlock()
  }

  /** Closes the mailbox of task `reader` of attempt `prefix`: drops what waits there and whatever comes later. */
  def close(prefix: String, reader: Int): Unit = {
    val o = s"$prefix|$reader|"
    closed.add(o)
    landers.remove(o)
    boxes.keySet().removeIf(_.startsWith(o))
  }

  /** Messages waiting in this JVM (for tests: flat over a segment, zero after it). */
  def pending: Int = boxes.size
}

/**
 * Small reports a task sends now and then to a listener in another JVM (the driver's progress display), one-way
 * and off the training's critical path: the send returns once the bytes are handed to the transport, and a
 * report nobody listens to any more is dropped. Topics are chosen by the caller (e.g. a segment's name).
 */
object Reports {
  private val listeners = new ConcurrentHashMap[String, ByteBuffer => Unit]()

  /** This JVM's endpoint for reports from other JVMs ("host:port"; starts it when needed). */
  def endpoint(): String = Rendezvous.endpoint()

  /** Calls `f` with every report on `topic` (in a transport thread) until [[stop]]. */
  def listen(topic: String, f: ByteBuffer => Unit): Unit = listeners.put(topic, f)

  def stop(topic: String): Unit = listeners.remove(topic)

  /** Sends `buf` (position to limit) to the listener of `topic` at `endpoint`, or in this JVM when it is "". */
  def post(endpoint: String, topic: String, buf: ByteBuffer): Unit =
    if (endpoint.isEmpty) deliver(topic, buf.duplicate().order(ByteOrder.LITTLE_ENDIAN))
    else Transport.send(endpoint, "@" + topic, ByteBuffer.allocate(buf.remaining()).put(buf.duplicate()).flip()) // a copy: sent later

  private[parallel] def deliver(topic: String, buf: ByteBuffer): Unit = {
    val f = listeners.get(topic)
    if (f != null) f(buf)
  }
}
