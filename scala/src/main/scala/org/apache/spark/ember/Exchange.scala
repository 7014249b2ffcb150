package org.apache.spark.ember

import java.nio.ByteBuffer
import java.nio.charset.StandardCharsets.UTF_8
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicLong

import scala.concurrent.{Future, Promise}
import scala.jdk.CollectionConverters._
import scala.reflect.ClassTag

import io.netty.buffer.Unpooled
import org.apache.spark.SparkEnv
import org.apache.spark.network.TransportContext
import org.apache.spark.network.client.{RpcResponseCallback, TransportClient, TransportClientBootstrap, TransportClientFactory}
import org.apache.spark.network.crypto.{AuthClientBootstrap, AuthServerBootstrap}
import org.apache.spark.network.netty.SparkTransportConf
import org.apache.spark.network.server.{OneForOneStreamManager, RpcHandler, StreamManager, TransportServer, TransportServerBootstrap}
import org.apache.spark.rpc.{RpcAddress, RpcEndpointRef, RpcTimeout}
import org.apache.spark.storage.BlockManagerMessages.UpdateBlockInfo

/**
 * Ember's only use of Spark-private API (how it is used: ember/parallel/Peers.scala). A listening server per JVM
 * on Spark's transport layer (network-common's TransportServer, what the block transfer service runs on: an
 * executor's own RpcEnv only connects out), configured from Spark's conf and SecurityManager as Spark configures
 * its own (AuthServerBootstrap / AuthClientBootstrap: `spark.authenticate`, AES with `spark.network.crypto.enabled`).
 * Messages are raw frames, [key length][key][bytes], not Java-serialized RPC messages: a send hands the caller's
 * buffer to Netty without a copy, a receive copies the bytes once out of the frame, in the transport thread, and
 * no dispatcher thread sits between the socket and the waiting task. One-way messages go to `deliver`, asks to
 * `answer` with a function that replies (at once or later). And a count, by kind, of the messages this JVM sends
 * to the driver's block-manager master, through a wrapper around this JVM's reference to it.
 */
object Exchange {
  private var owner: SparkEnv = null // the SparkEnv the server belongs to (a new context gets a new one)
  private var context: TransportContext = null
  private var server: TransportServer = null
  private var clients: TransportClientFactory = null
  private val kinds = new ConcurrentHashMap[String, AtomicLong]()

  /** Starts this JVM's server (once per SparkEnv); returns its "host:port". */
  def start(deliver: (String, Array[Byte]) => Unit, answer: (String, Array[Byte], Array[Byte] => Unit) => Unit): String = synchronized {
    val spark = SparkEnv.get
    if (owner ne spark) {
      if (server != null) { clients.close(); server.close(); context.close() }
      val security = spark.securityManager
      val conf = SparkTransportConf.fromSparkConf(spark.conf, "rpc", 1, None, Some(security.getRpcSSLOptions()))
      context = new TransportContext(conf, new Handler(deliver, answer))
      val auth = security.isAuthenticationEnabled()
      server = context.createServer(host, 0,
        (if (auth) List[TransportServerBootstrap](new AuthServerBootstrap(conf, security)) else Nil).asJava)
      clients = context.createClientFactory(
        (if (auth) List[TransportClientBootstrap](new AuthClientBootstrap(conf, security.getSaslUser(), security)) else Nil).asJava)
      owner = spark
    }
    s"$host:${server.getPort}"
  }

  /** Sends `bytes` (position to limit) under `key` to the server at `hostPort`, one-way. Netty writes the buffer after
   * this returns: the caller must not rewrite it before the reader has it. */
  def send(hostPort: String, key: String, bytes: ByteBuffer): Unit =
    client(hostPort).send(Unpooled.wrappedBuffer(header(key), bytes.duplicate()))

  /** Asks the server at `hostPort` (counted as a driver message of kind `kind`); the answer's bytes. */
  def ask(hostPort: String, kind: String, key: String, bytes: Array[Byte]): Future[Array[Byte]] = {
    count(s"Ember $kind")
    val answer = Promise[Array[Byte]]()
    val h = header(key)
    val message = ByteBuffer.allocate(h.remaining() + bytes.length).put(h).put(bytes).flip()
    client(hostPort).sendRpc(message, new RpcResponseCallback {
      override def onSuccess(r: ByteBuffer): Unit = { val b = new Array[Byte](r.remaining()); r.get(b); answer.success(b) }
      override def onFailure(e: Throwable): Unit = answer.failure(e)
    })
    answer.future
  }

  private def header(key: String): ByteBuffer = {
    val k = key.getBytes(UTF_8)
    ByteBuffer.allocate(4 + k.length).putInt(k.length).put(k).flip()
  }

  private def client(hostPort: String): TransportClient = {
    val colon = hostPort.lastIndexOf(':')
    clients.createClient(hostPort.substring(0, colon), hostPort.substring(colon + 1).toInt) // pooled, connected once
  }

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

  /** A frame's key and a copy of its bytes (the frame is released when the handler returns). */
  private def split(m: ByteBuffer): (String, Array[Byte]) = {
    val n = if (m.remaining() >= 4) m.getInt() else -1
    require(n >= 0 && n <= m.remaining(), s"Ember exchange: malformed message")
    val key = new Array[Byte](n); m.get(key)
    val bytes = new Array[Byte](m.remaining()); m.get(bytes)
    (new String(key, UTF_8), bytes)
  }

  private final class Handler(deliver: (String, Array[Byte]) => Unit, answer: (String, Array[Byte], Array[Byte] => Unit) => Unit)
      extends RpcHandler {
    private val streams = new OneForOneStreamManager()
    override def getStreamManager: StreamManager = streams
    override def receive(client: TransportClient, m: ByteBuffer): Unit = { val (k, b) = split(m); deliver(k, b) }
    override def receive(client: TransportClient, m: ByteBuffer, reply: RpcResponseCallback): Unit = {
      val (k, b) = split(m); answer(k, b, r => reply.onSuccess(ByteBuffer.wrap(r)))
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
