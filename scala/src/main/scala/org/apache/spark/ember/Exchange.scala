package org.apache.spark.ember

import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong

import scala.concurrent.Future
import scala.concurrent.duration._
import scala.reflect.ClassTag

import org.apache.spark.SparkEnv
import org.apache.spark.rpc.{RpcAddress, RpcCallContext, RpcEndpoint, RpcEndpointRef, RpcEnv, RpcTimeout}
import org.apache.spark.storage.BlockManagerMessages.UpdateBlockInfo

/**
 * Ember's only use of Spark-private API (how it is used: ember/parallel/Peers.scala). A listening RpcEnv per
 * JVM ("ember": an executor's own RpcEnv only connects out), built from Spark's conf and SecurityManager, so
 * that it authenticates and encrypts as Spark does; its endpoint hands each message, a (key, bytes) pair of
 * JDK types (RPC threads do not see the application jar), to `deliver`, and each ask to `answer` with a
 * function that replies (at once or later). And a count, by kind, of the messages this JVM sends to the
 * driver's block-manager master, through a wrapper around this JVM's reference to it.
 */
object Exchange {
  final val EndpointName = "ember-exchange"
  private var owner: SparkEnv = null // the SparkEnv the RpcEnv belongs to (a new context gets a new one)
  private var env: RpcEnv = null
  private val refs = new ConcurrentHashMap[String, RpcEndpointRef]()
  private val kinds = new ConcurrentHashMap[String, AtomicLong]()

  /** Starts this JVM's endpoint (once per SparkEnv); returns its "host:port". */
  def start(deliver: (String, Array[Byte]) => Unit, answer: (String, Array[Byte], Array[Byte] => Unit) => Unit): String = synchronized {
    val spark = SparkEnv.get
    if (owner ne spark) {
      if (env != null) env.shutdown()
      refs.clear()
      env = RpcEnv.create("ember", host, host, 0, spark.conf, spark.securityManager, 1, clientMode = false)
      env.setupEndpoint(EndpointName, new Receiver(env, deliver, answer))
      owner = spark
    }
    env.address.hostPort
  }

  /** Sends `bytes` under `key` to the endpoint at `hostPort` (one-way; the bytes may be reused on return). */
  def send(hostPort: String, key: String, bytes: Array[Byte]): Unit = ref(hostPort).send((key, bytes))

  /** Asks the endpoint at `hostPort` (counted as a driver message of kind `kind`); the future fails after `timeoutMs`. */
  def ask(hostPort: String, kind: String, key: String, bytes: Array[Byte], timeoutMs: Long): Future[Array[Byte]] = {
    count(s"Ember $kind")
    ref(hostPort).ask[Array[Byte]]((key, bytes), new RpcTimeout(timeoutMs.millis, "ember.rendezvous.timeout"))
  }

  private def ref(hostPort: String): RpcEndpointRef =
    refs.computeIfAbsent(hostPort, a => env.setupEndpointRef(RpcAddress.fromUrlString(s"spark://$a"), EndpointName))

  /** This executor's host, as its block manager advertises it. */
  def host: String = SparkEnv.get.blockManager.blockManagerId.host

  /** Messages this JVM sent to the driver since [[countDriverMessages]], by "<class>[(<block>)] from <thread>" (digits: N). */
  def driverMessages: Map[String, Long] = { val m = Map.newBuilder[String, Long]; kinds.forEach((k, n) => m += k -> n.get); m.result() }

  /** Counts from now on every message this JVM sends to the driver's block-manager master (installed once). */
  def countDriverMessages(): Unit = synchronized {
    val master = SparkEnv.get.blockManager.master
    if (!master.driverEndpoint.isInstanceOf[Counting]) master.driverEndpoint = new Counting(master.driverEndpoint)
  }

  private def count(what: String): Unit =
    kinds.computeIfAbsent(s"$what from ${Thread.currentThread().getName}".replaceAll("[0-9]+", "N"), _ => new AtomicLong())
      .incrementAndGet()

  private final class Receiver(override val rpcEnv: RpcEnv, deliver: (String, Array[Byte]) => Unit,
      answer: (String, Array[Byte], Array[Byte] => Unit) => Unit) extends RpcEndpoint {
    override def receive: PartialFunction[Any, Unit] = { case (key: String, bytes: Array[Byte]) => deliver(key, bytes) }
    override def receiveAndReply(c: RpcCallContext): PartialFunction[Any, Unit] = {
      case (key: String, bytes: Array[Byte]) => answer(key, bytes, r => c.reply(r))
    }
  }

  private final class Counting(ref: RpcEndpointRef) extends RpcEndpointRef(SparkEnv.get.conf) {
    override def address: RpcAddress = ref.address
    override def name: String = ref.name
    override def send(message: Any): Unit = { count(describe(message)); ref.send(message) }
    override def ask[T: ClassTag](message: Any, timeout: RpcTimeout): Future[T] = { count(describe(message)); ref.ask[T](message, timeout) }
    private def describe(m: Any): String = m match {
      case u: UpdateBlockInfo => s"UpdateBlockInfo(${u.blockId.name}${if (u.storageLevel.isValid) "" else " removed"})"
      case _ => m.getClass.getSimpleName
    }
  }
}
