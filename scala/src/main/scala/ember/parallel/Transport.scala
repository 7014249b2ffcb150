package ember.parallel

import java.nio.ByteBuffer
import java.nio.charset.StandardCharsets.UTF_8

import scala.concurrent.{Future, Promise}
import scala.jdk.CollectionConverters._

import io.netty.buffer.Unpooled
import org.apache.spark.SparkEnv
import org.apache.spark.ember.SparkShim
import org.apache.spark.network.TransportContext
import org.apache.spark.network.buffer.NioManagedBuffer
import org.apache.spark.network.client.{RpcResponseCallback, StreamCallbackWithID, TransportClient, TransportClientBootstrap,
  TransportClientFactory}
import org.apache.spark.network.crypto.{AuthClientBootstrap, AuthServerBootstrap}
import org.apache.spark.network.server.{OneForOneStreamManager, RpcHandler, StreamManager, TransportServer, TransportServerBootstrap}

/**
 * A listening server per JVM on Spark's transport layer (network-common's TransportServer, what the block transfer
 * service runs on: an executor's own RpcEnv only connects out), configured as Spark configures its own connections
 * ([[SparkShim.transport]]'s settings and secrets: `spark.authenticate`, AES with `spark.network.crypto.enabled`). How it is used:
 * Peers.scala. Messages are raw frames, [key length][key][bytes], not Java-serialized RPC messages: a send hands the
 * caller's buffer to Netty without a copy, a receive copies the bytes once out of the frame, in the transport thread,
 * and no dispatcher thread sits between the socket and the waiting task. One-way messages go to `frame` (with the
 * frame's bytes, valid only during the call), asks to `answer` with a function that replies (at once or later).
 * A message over [[StreamBytes]] travels as an upload stream instead: the transport hands its bytes over as they
 * are read from the socket to the message's [[Landing]] (`landing(key, n)`: where the receiver wants them, e.g.
 * decoded straight into the array they are for, or a buffer), and delivers the landing's result (`landed`); a frame that long would
 * arrive in several socket reads, which Spark merges into a fresh array before the handler sees it (a second
 * copy, and garbage for every message). A stream costs more messages than a frame, though (its request and the
 * receiver's acknowledgement, each a wake-up of a transport thread on both sides), which for a message of a small
 * model's whole gradient (tens of kB, one per iteration) costs more than the copy: so only messages over 128 kB
 * (the 256 kB pieces of a large slice) are streams.
 */
object Transport {
  private var owner: SparkEnv = null // the SparkEnv the server belongs to (a new context gets a new one)
  private var context: TransportContext = null
  private var server: TransportServer = null
  private var clients: TransportClientFactory = null

  /** Starts this JVM's server (once per SparkEnv); returns its "host:port". */
  def start(frame: (String, ByteBuffer) => Unit, landing: (String, Int) => Landing, landed: (String, ByteBuffer) => Unit,
      answer: (String, Array[Byte], Array[Byte] => Unit) => Unit): String = synchronized {
    val spark = SparkEnv.get
    if (owner ne spark) {
      if (server != null) { connected.clear(); clients.close(); server.close(); context.close() }
      val (conf, auth) = SparkShim.transport(spark)
      context = new TransportContext(conf, new Handler(frame, landing, landed, answer))
      server = context.createServer(host, 0, auth.map(a => new AuthServerBootstrap(conf, a._2): TransportServerBootstrap).toList.asJava)
      clients = context.createClientFactory(auth.map(a => new AuthClientBootstrap(conf, a._1, a._2): TransportClientBootstrap).toList.asJava)
      owner = spark
    }
    s"$host:${server.getPort}"
  }

  /** Sends `bytes` (position to limit) under `key` to the server at `hostPort`, one-way. Netty writes the buffer after
   * this returns: the caller must not rewrite it before the reader has it. */
  def send(hostPort: String, key: String, bytes: ByteBuffer): Unit =
    if (bytes.remaining() <= StreamBytes) client(hostPort).send(Unpooled.wrappedBuffer(header(key), bytes.duplicate()))
    else {
      val h = header(key)
      val meta = ByteBuffer.allocate(h.remaining() + 4).put(h).putInt(bytes.remaining()).flip()
      client(hostPort).uploadStream(new NioManagedBuffer(meta), new NioManagedBuffer(bytes.duplicate()), Ignored)
    }

  /**
   * Where the bytes of one message go as the transport reads them (in its thread): [[write]] with each run of them, in
   * order and of any length (a socket read's), then [[result]] once all came: what is delivered to the reader.
   */
  trait Landing {
    def write(bytes: ByteBuffer): Unit
    def result(): ByteBuffer
  }

  /** Messages longer than this go as upload streams (see the notes above). */
  val StreamBytes: Int = 128 << 10

  private object Ignored extends RpcResponseCallback { // a stream's acknowledgement
    override def onSuccess(r: ByteBuffer): Unit = ()
    override def onFailure(e: Throwable): Unit = ()
  }

  /** Asks the server at `hostPort` (counted as a driver message of kind `kind`); the answer's bytes. */
  def ask(hostPort: String, kind: String, key: String, bytes: Array[Byte]): Future[Array[Byte]] = {
    SparkShim.count(s"Ember $kind")
    val answer = Promise[Array[Byte]]()
    val h = header(key)
    val message = ByteBuffer.allocate(h.remaining() + bytes.length).put(h).put(bytes).flip()
    client(hostPort).sendRpc(message, new RpcResponseCallback {
      override def onSuccess(r: ByteBuffer): Unit = { val b = new Array[Byte](r.remaining()); r.get(b); answer.success(b) }
      override def onFailure(e: Throwable): Unit = answer.failure(e)
    })
    answer.future
  }

  /** This executor's host, as its block manager advertises it. */
  def host: String = SparkShim.host

  private def header(key: String): ByteBuffer = {
    val k = key.getBytes(UTF_8)
    ByteBuffer.allocate(4 + k.length).putInt(k.length).put(k).flip()
  }

  // the client of each endpoint, kept while its connection is alive: the factory's pool costs an address object, a
  // random pick, a lock and a trace log check per call, on the task thread once per message (JFR, 1 ms samples of
  // LeNet-5's task thread: 15 of the exchange's ~220 samples were createClient)
  private val connected = new java.util.concurrent.ConcurrentHashMap[String, TransportClient]()

  private def client(hostPort: String): TransportClient = {
    val known = connected.get(hostPort)
    if (known != null && known.isActive) return known
    val colon = hostPort.lastIndexOf(':')
    val fresh = clients.createClient(hostPort.substring(0, colon), hostPort.substring(colon + 1).toInt) // pooled, connected once
    connected.put(hostPort, fresh)
    fresh
  }

  /** A frame's key; the frame is left at its bytes (released when the handler returns). */
  private def key(m: ByteBuffer): String = {
    val n = if (m.remaining() >= 4) m.getInt() else -1
    require(n >= 0 && n <= m.remaining(), s"Ember transport: malformed message")
    val key = new Array[Byte](n); m.get(key)
    new String(key, UTF_8)
  }

  private final class Handler(frame: (String, ByteBuffer) => Unit, landing: (String, Int) => Landing,
      landed: (String, ByteBuffer) => Unit, answer: (String, Array[Byte], Array[Byte] => Unit) => Unit) extends RpcHandler {
    private val streams = new OneForOneStreamManager()
    override def getStreamManager: StreamManager = streams
    override def receive(client: TransportClient, m: ByteBuffer): Unit = { val k = key(m); frame(k, m) }
    override def receiveStream(client: TransportClient, meta: ByteBuffer, ack: RpcResponseCallback): StreamCallbackWithID = {
      val k = key(meta)
      val into = landing(k, meta.getInt())
      new StreamCallbackWithID {
        override def getID: String = k
        override def onData(id: String, b: ByteBuffer): Unit = into.write(b)
        override def onComplete(id: String): Unit = landed(k, into.result())
        override def onFailure(id: String, cause: Throwable): Unit = ()
      }
    }
    override def receive(client: TransportClient, m: ByteBuffer, reply: RpcResponseCallback): Unit = {
      val k = key(m)
      val bytes = new Array[Byte](m.remaining()); m.get(bytes)
      answer(k, bytes, r => reply.onSuccess(ByteBuffer.wrap(r)))
    }
  }
}
