package ember.parallel

import java.util.concurrent.TimeoutException

import org.apache.spark.{SparkConf, SparkContext}
import org.scalatest.BeforeAndAfterAll
import org.scalatest.funsuite.AnyFunSuite

/**
 * The exchange under the AllReduce, in one JVM: tasks given distinct executor ids send each other's slices
 * over Spark's transport layer (the path tasks on different executors take), the others through the mailbox.
 */
class PeersSuite extends AnyFunSuite with BeforeAndAfterAll {
  private var sc: SparkContext = _

  override def beforeAll(): Unit = {
    sc = new SparkContext(new SparkConf().setMaster("local[2]").setAppName("PeersSuite")
      .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"))
  }

  override def afterAll(): Unit = if (sc != null) sc.stop()

  /** Peers of `n` tasks of attempt `prefix`, each on its own "executor" reached through the RPC endpoint. */
  private def overRpc(prefix: String, n: Int, timeoutMs: Long = 20000): Array[Peers] = {
    val endpoint = Rendezvous.endpoint()
    val all = Array.tabulate(n)(q => Peer(s"exec-$q", "127.0.0.1", endpoint))
    Array.tabulate(n)(p => new Peers(prefix, p, all, timeoutMs))
  }

  /** Runs `body(p)` for every p at once (one thread per task); rethrows the first failure. */
  private def together[T: scala.reflect.ClassTag](n: Int)(body: Int => T): Array[T] = {
    val out = new Array[Any](n)
    val errors = new Array[Throwable](n)
    val threads = Array.tabulate(n)(p => new Thread(() => try out(p) = body(p) catch { case e: Throwable => errors(p) = e }))
    threads.foreach(_.start()); threads.foreach(_.join())
    errors.find(_ != null).foreach(e => throw e)
    out.map(_.asInstanceOf[T])
  }

  private def allReduce(codec: WireCodec, remote: Boolean, messageBytes: Int = AllReduceParameter.DefaultMessageBytes,
      total: Int = 1001): Array[Float] = {
    val (n, iterations) = (3, 4)
    val layout = SliceLayout(total, n)
    val prefix = s"peers-${codec.name}-$remote-$messageBytes-$total"
    val peers = if (remote) overRpc(prefix, n) else Array.tabulate(n)(p => Peers.local(prefix, p, n, 20000))
    def grad(p: Int, t: Int): Array[Float] = Array.tabulate(total)(i => ((i * 7 + p * 13 + t) % 17 - 8) / 8f)
    val exact = new Array[Array[Float]](n) // each task's last slice, float32
    val iterationBytes = new Array[Long](n) // sent by the iterations (before shareExact)
    val weights = together(n) { p =>
      val ar = new AllReduceParameter(p, layout, codec, peers(p), messageBytes)
      val w = new Array[Float](total)
      val (off, len) = (layout.offset(p), layout.length(p))
      for (t <- 1 to iterations) {
        val g = grad(p, t)
        ar.putGradients(t, g, GradientHeader(p + 1.0, 10 + p))
        val slice = new Array[Float](len)
        val header = ar.aggregate(t, g, GradientHeader(p + 1.0, 10 + p), slice)
        assert(header == GradientHeader(6.0, 33))
        // the summed slice, against the sum of the (codec-rounded) slices computed here
        val all = Array.tabulate(n)(grad(_, t))
        for (i <- 0 until len) {
          val expected = (0 until n).map(q => if (q == p || codec == NoCompression) all(q)(off + i)
            else BFloat16.widen(BFloat16.round(all(q)(off + i)))).sum
          assert(math.abs(slice(i) - expected) <= 1e-5f, s"task $p, t $t, value $i: ${slice(i)} vs $expected")
        }
        val newSlice = slice.map(_ * 0.5f)
        ar.publish(t, newSlice, w, norm = p.toDouble)
        assert(ar.fetchWeights(t, w, p.toDouble) == 3.0)
        exact(p) = newSlice
      }
      val rounded = w.clone()
      iterationBytes(p) = peers(p).remoteBytes
      ar.shareExact(iterations, exact(p), w) // at a segment's end: the float32 slices (nothing to do without rounding)
      assert(ar.roundsWeights == (codec != NoCompression) && (ar.roundsWeights || w.sameElements(rounded)))
      peers(p).close()
      w
    }
    // after shareExact every task holds every slice exactly as its owner does
    for (w <- weights; q <- 0 until n) assert(w.slice(layout.offset(q), layout.offset(q) + layout.length(q)).sameElements(exact(q)))
    // every task ends with the same weights: half the last iteration's summed gradient
    weights.foreach(w => assert(w.sameElements(weights(0))))
    val last = Array.tabulate(n)(grad(_, iterations))
    val expected = Array.tabulate(total)(i => (0 until n).map(q => last(q)(i)).sum * 0.5f)
    val tol = if (codec == NoCompression) 1e-5f else 0.05f
    assert(expected.indices.forall(i => math.abs(weights(0)(i) - expected(i)) <= tol))
    // bytes each task sent: its gradient slices for the other owners (12-byte headers) and its weight slice to
    // the other tasks (8-byte header): 2 x S x (N - 1) / N values plus headers
    for (p <- 0 until n) {
      val values = (0 until n).filter(_ != p).map(layout.length).sum + (n - 1) * layout.length(p)
      val bytes = iterations.toLong * (values * codec.bytesPerValue + 12 * (n - 1) + 8 * (n - 1))
      assert(iterationBytes(p) == (if (remote) bytes else 0L), s"task $p sent ${iterationBytes(p)}")
      val exactBytes = if (remote && codec != NoCompression) 4L * layout.length(p) * (n - 1) else 0L // shareExact's
      assert(peers(p).remoteBytes - iterationBytes(p) == exactBytes)
    }
    assert(Mailbox.pending == 0)
    weights(0)
  }

  test("AllReduce over Spark's transport (distinct executors) and through the local mailbox: the same sums, 2S(N-1)/N values sent") {
    allReduce(NoCompression, remote = true)
    allReduce(NoCompression, remote = false)
  }

  test("slices over the message limit travel in pieces: the same sums and bytes (headers once per slice)") {
    allReduce(NoCompression, remote = true, messageBytes = 100) // 21 values a piece: 16 pieces of a 334-value slice
    allReduce(NoCompression, remote = false, messageBytes = 100)
    allReduce(WireCodec("bf16"), remote = true, messageBytes = 64)
  }

  test("bf16 on the wire halves the bytes and rounds only the other tasks' slices") {
    allReduce(WireCodec("bf16"), remote = true)
  }

  /** Two tasks, replicated: each sends its whole gradient, both sum the same values and update the whole vector. */
  private def replicatedAllReduce(codec: WireCodec, remote: Boolean, messageBytes: Int, total: Int = 1001): Unit = {
    val (n, iterations) = (2, 5)
    val layout = SliceLayout(total, n)
    val prefix = s"peers-replicated-${codec.name}-$remote-$messageBytes-$total"
    val peers = if (remote) overRpc(prefix, n) else Array.tabulate(n)(p => Peers.local(prefix, p, n, 20000))
    def grad(p: Int, t: Int): Array[Float] = Array.tabulate(total)(i => ((i * 7 + p * 13 + t) % 17 - 8) / 8f)
    def sent(x: Float): Float = if (codec == NoCompression) x else BFloat16.widen(BFloat16.round(x))
    val weights = together(n) { p =>
      val ar = new AllReduceParameter(p, layout, codec, peers(p), messageBytes, replicated = true)
      assert(ar.ownOffset == 0 && ar.ownLength == total && ar.ownSlices == Seq(0, 1))
      val w = new Array[Float](total)
      for (t <- 1 to iterations) {
        val g = grad(p, t)
        ar.putGradients(t, g, GradientHeader(p + 1.0, 10 + p))
        val sum = new Array[Float](total)
        assert(ar.aggregate(t, g, GradientHeader(p + 1.0, 10 + p), sum) == GradientHeader(3.0, 21))
        // both tasks sum the gradients as sent (their own through the codec too): the same values on both
        val (g0, g1) = (grad(0, t), grad(1, t))
        for (i <- 0 until total) assert(sum(i) == sent(g0(i)) + sent(g1(i)), s"task $p, t $t, value $i")
        assert(ar.allSum(t, 2.5) == 2.5) // the norm of the whole sum is known: nothing to exchange
        ar.publish(t, sum.map(_ * 0.5f), w, norm = 2.5)
        assert(ar.fetchWeights(t, w, 2.5) == 2.5)
      }
      peers(p).close()
      w
    }
    assert(weights(0).sameElements(weights(1)))
    // bytes each task sent: its whole gradient (one 12-byte header): S values, 2 x S x (N - 1) / N at N = 2
    for (p <- 0 until n)
      assert(peers(p).remoteBytes == (if (remote) iterations.toLong * (total * codec.bytesPerValue + 12) else 0L))
    assert(Mailbox.pending == 0)
  }

  test("two tasks replicated: one round, the same sums on both, S values sent, in pieces too") {
    replicatedAllReduce(NoCompression, remote = true, AllReduceParameter.DefaultMessageBytes)
    replicatedAllReduce(NoCompression, remote = false, messageBytes = 100)
    replicatedAllReduce(WireCodec("bf16"), remote = true, messageBytes = 64)
    replicatedAllReduce(WireCodec("bf16"), remote = false, AllReduceParameter.DefaultMessageBytes)
  }

  test("slices of 40-400 KB (several socket reads per message): the same sums and bytes") {
    allReduce(NoCompression, remote = true, total = 30011) // 40 KB slices
    allReduce(WireCodec("bf16"), remote = true, messageBytes = 50000, total = 90001) // 60 KB in pieces of 25K values
    replicatedAllReduce(NoCompression, remote = true, AllReduceParameter.DefaultMessageBytes, total = 100001) // 2 pieces
  }

  test("weight slices from other JVMs land in the replicas' weights as they arrive, bit for bit the mailbox's") {
    // slices of 100K values: 400 KB of float32 in two pieces (streams), 200 KB of bf16 in one (a stream) or, at 48 KB
    // messages, five frames; from the second iteration on they land (decoded by the transport thread)
    for ((codec, messageBytes) <- Seq((NoCompression, AllReduceParameter.DefaultMessageBytes),
        (WireCodec("bf16"), AllReduceParameter.DefaultMessageBytes), (WireCodec("bf16"), 48 << 10))) {
      val landed = allReduce(codec, remote = true, messageBytes, total = 300007)
      val local = allReduce(codec, remote = false, messageBytes, total = 300007)
      assert(landed.indices.forall(i => java.lang.Float.floatToRawIntBits(landed(i)) == java.lang.Float.floatToRawIntBits(local(i))),
        s"${codec.name}, $messageBytes-byte messages")
    }
  }

  test("a Lander's messages land where it says, over frames and streams; the reader gets their headers") {
    val peers = overRpc("peers-land", 2)
    val into = new Array[Float](100000)
    peers(1).land(new Mailbox.Lander {
      override def landing(name: String, bytes: Int): Transport.Landing =
        if (name.startsWith("x")) new Decoding(NoCompression, into, name.drop(1).toInt, (bytes - 8) / 4, 8) else null
    })
    def message(head: Double, values: Array[Float]) = {
      val b = java.nio.ByteBuffer.allocateDirect(8 + 4 * values.length).order(java.nio.ByteOrder.LITTLE_ENDIAN).putDouble(head)
      NoCompression.encode(values, 0, values.length, b)
      b.flip()
    }
    val (small, large) = (Array.tabulate(1000)(_ * 0.25f), Array.tabulate(60000)(i => -i * 0.5f)) // a frame, a stream
    peers(0).send(1, "x10", message(1.5, small))
    peers(0).send(1, s"x${10 + small.length}", message(2.5, large))
    peers(0).send(1, "y", message(3.5, small)) // not the lander's: copied, the reader decodes it
    val (a, b, c) = (peers(1).receive(0, "x10"), peers(1).receive(0, s"x${10 + small.length}"), peers(1).receive(0, "y"))
    assert(a.getDouble() == 1.5 && !a.hasRemaining && b.getDouble() == 2.5 && !b.hasRemaining)
    assert(c.getDouble() == 3.5 && c.remaining() == 4 * small.length)
    Seq(a, b, c).foreach(peers(1).release)
    assert(into.slice(10, 10 + small.length).sameElements(small) && into.slice(1010, 1010 + large.length).sameElements(large))
    assert(into.take(10).forall(_ == 0f) && into.drop(1010 + large.length).forall(_ == 0f))
    peers.foreach(_.close())
  }

  test("a wait ends with a timeout naming the missing peer's executor and host") {
    val peers = overRpc("peers-timeout", 2, timeoutMs = 300)
    val e = intercept[TimeoutException](peers(0).receive(1, "g_1_1"))
    assert(e.getMessage.contains("task 1 on executor exec-1 (host 127.0.0.1)"), e.getMessage)
    peers.foreach(_.close())
  }

  test("a closed attempt's messages are dropped; a retried attempt never reads them") {
    val old = overRpc("peers-stale_0", 2)
    def message(v: Double) = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putDouble(v).flip()
    val buf = message(1.0)
    old(1).close()
    old(0).send(1, "w_1_0", buf) // arrives after the reader's attempt ended
    val fresh = overRpc("peers-stale_1", 2, timeoutMs = 500)
    intercept[TimeoutException](fresh(1).receive(0, "w_1_0"))
    fresh(0).send(1, "w_1_0", message(2.0))
    assert(fresh(1).receive(0, "w_1_0").getDouble() == 2.0)
    (old ++ fresh).foreach(_.close())
    assert(Mailbox.pending == 0)
  }

  test("reports reach their listener over RPC and in this JVM; a stopped topic drops them") {
    val got = new java.util.concurrent.LinkedBlockingQueue[Double]()
    Reports.listen("peers-report", b => got.put(b.getDouble()))
    def report(v: Double) = java.nio.ByteBuffer.allocate(8).order(java.nio.ByteOrder.LITTLE_ENDIAN).putDouble(v).flip()
    Reports.post(Reports.endpoint(), "peers-report", report(1.5))
    Reports.post("", "peers-report", report(2.5))
    val received = Set(got.poll(20, java.util.concurrent.TimeUnit.SECONDS), got.poll(20, java.util.concurrent.TimeUnit.SECONDS))
    assert(received == Set(1.5, 2.5))
    Reports.stop("peers-report")
    Reports.post("", "peers-report", report(3.5))
    assert(got.isEmpty)
  }
}
