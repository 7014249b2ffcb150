package org.apache.spark.ember

import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong

import scala.concurrent.Future
import scala.reflect.ClassTag

import org.apache.spark.SparkEnv
import org.apache.spark.rpc.{RpcAddress, RpcEndpoint, RpcEndpointRef, RpcEnv, RpcTimeout}

/**
 * Ember's executor-to-executor messages over Spark's own RPC layer (Spark-private API). An executor's own
 * RpcEnv only connects out to the driver (it runs in client mode), so the first task of a JVM that trains
 * with peers in other JVMs starts one more, listening RpcEnv named "ember", built from the executor's
 * SparkConf and SecurityManager: its connections are authenticated (`spark.authenticate`) and encrypted
 * (`spark.network.crypto.enabled`) exactly like Spark's. Its one endpoint hands every message (a key and
 * its bytes; a Tuple2 of JDK types, because the RPC threads do not see the application's jar) to the
 * function given at start. `send` is one-way and asynchronous: the bytes are serialized in the caller's
 * thread, then Netty writes them while the caller goes on (several sends run concurrently).
 *
 * [[driverMessages]] counts the messages this JVM sends to the driver's block-manager master (the channel of
 * block registrations and location lookups), through a counting wrapper installed by [[countDriverMessages]].
 */
object Exchange {
  final val EndpointName = "ember-exchange"
  private var owner: SparkEnv = null // the SparkEnv the listening RpcEnv belongs to (a new context gets a new one)
  private var env: RpcEnv = null
  private val refs = new ConcurrentHashMap[String, RpcEndpointRef]()
  private val driverCount = new AtomicLong()

  /** Starts this JVM's endpoint (once per SparkEnv) delivering messages to `deliver`; returns its "host:port". */
  def start(deliver: (String, Array[Byte]) => Unit): String = synchronized {
    val spark = SparkEnv.get
    if (owner ne spark) {
      if (env != null) env.shutdown()
      refs.clear()
      val host = spark.blockManager.blockManagerId.host
      env = RpcEnv.create("ember", host, host, 0, spark.conf, spark.securityManager, 1, clientMode = false)
      env.setupEndpoint(EndpointName, new Receiver(env, deliver))
      owner = spark
    }
    env.address.hostPort
  }

  /** Sends `bytes` under `key` to the endpoint at `hostPort` (one-way; the bytes may be reused on return). */
  def send(hostPort: String, key: String, bytes: Array[Byte]): Unit =
    refs.computeIfAbsent(hostPort, a => {
      val colon = a.lastIndexOf(':')
      env.setupEndpointRef(RpcAddress(a.substring(0, colon), a.substring(colon + 1).toInt), EndpointName)
    }).send((key, bytes))

  /** This executor's host, as its block manager advertises it. */
  def host: String = SparkEnv.get.blockManager.blockManagerId.host

  /** Messages sent by this JVM to the driver's block-manager master since [[countDriverMessages]]. */
  def driverMessages: Long = driverCount.get()

  /** Counts from now on every message this JVM sends to the driver's block-manager master (installed once). */
  def countDriverMessages(): Unit = synchronized {
    val master = SparkEnv.get.blockManager.master
    master.driverEndpoint match {
      case _: Counting =>
      case ref => master.driverEndpoint = new Counting(ref)
    }
  }

  private final class Receiver(override val rpcEnv: RpcEnv, deliver: (String, Array[Byte]) => Unit) extends RpcEndpoint {
    override def receive: PartialFunction[Any, Unit] = { case (key: String, bytes: Array[Byte]) => deliver(key, bytes) }
  }

  private final class Counting(ref: RpcEndpointRef) extends RpcEndpointRef(SparkEnv.get.conf) {
    override def address: RpcAddress = ref.address
    override def name: String = ref.name
    override def send(message: Any): Unit = { driverCount.incrementAndGet(); ref.send(message) }
    override def ask[T: ClassTag](message: Any, timeout: RpcTimeout): Future[T] = {
      driverCount.incrementAndGet(); ref.ask[T](message, timeout)
    }
  }
}
