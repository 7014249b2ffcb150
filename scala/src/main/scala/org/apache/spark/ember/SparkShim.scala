package org.apache.spark.ember

import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong

import scala.concurrent.Future
import scala.reflect.ClassTag

import org.apache.spark.SparkEnv
import org.apache.spark.network.client.TransportClientBootstrap
import org.apache.spark.network.crypto.{AuthClientBootstrap, AuthServerBootstrap}
import org.apache.spark.network.netty.SparkTransportConf
import org.apache.spark.network.server.TransportServerBootstrap
import org.apache.spark.network.util.TransportConf
import org.apache.spark.rpc.{RpcAddress, RpcEndpointRef, RpcTimeout}
import org.apache.spark.storage.BlockManagerMessages.UpdateBlockInfo

/**
 * Ember's only use of Spark-private API: how Spark configures its transport layer (for the exchange's server,
 * `ember.parallel.Transport`), where this executor runs and a count of the messages this JVM sends to the driver's
 * block-manager master (named blocks: BlockStore).
 */
object SparkShim {
  /** Spark's "rpc" transport settings and the bootstraps that authenticate (and, if set, encrypt) a connection. */
  final case class TransportSetup(conf: TransportConf, server: List[TransportServerBootstrap], client: List[TransportClientBootstrap])

  def transport(spark: SparkEnv): TransportSetup = {
    val security = spark.securityManager
    val conf = SparkTransportConf.fromSparkConf(spark.conf, "rpc", 1, None, Some(security.getRpcSSLOptions()))
    if (!security.isAuthenticationEnabled()) TransportSetup(conf, Nil, Nil)
    else TransportSetup(conf, List(new AuthServerBootstrap(conf, security)), List(new AuthClientBootstrap(conf, security.getSaslUser(), security)))
  }

  /** This executor's host, as its block manager advertises it. */
  def host: String = SparkEnv.get.blockManager.blockManagerId.host

  private val kinds = new ConcurrentHashMap[String, AtomicLong]()

  /** Messages this JVM sent to the driver since [[countDriverMessages]], by "<class>[(<block>)] from <thread>" (digits: N). */
  def driverMessages: Map[String, Long] = { val m = Map.newBuilder[String, Long]; kinds.forEach((k, n) => m += k -> n.get); m.result() }

  /** Counts from now on every message this JVM sends to the driver's block-manager master (installed once). */
  def countDriverMessages(): Unit = synchronized {
    val master = SparkEnv.get.blockManager.master
    if (!master.driverEndpoint.isInstanceOf[Counting]) master.driverEndpoint = new Counting(master.driverEndpoint)
  }

  /** Counts one message to the driver of kind `what` (Ember's own go through this too). */
  def count(what: String): Unit =
    kinds.computeIfAbsent(s"$what from ${Thread.currentThread().getName}".replaceAll("[0-9]+", "N"), _ => new AtomicLong())
      .incrementAndGet()

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
