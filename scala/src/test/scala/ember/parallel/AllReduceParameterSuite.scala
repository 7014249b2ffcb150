package ember.parallel

import java.util.Random

import org.scalatest.funsuite.AnyFunSuite

/**
 * [[AllReduceParameter]]'s own pieces, in one JVM through the local mailbox (no Spark): the slice layout, the
 * norm sum [[AllReduceParameter.allSum]] and [[AllReduceParameter.sumSquares]] against a plain Double loop,
 * the single-task case (nothing sent, the slice is the whole vector), and the argument checks. The full
 * exchange of iterations over RPC and the mailbox, with its byte counts, is PeersSuite's.
 */
class AllReduceParameterSuite extends AnyFunSuite {

  /** Task `p` of `n` tasks that all run in this JVM (the mailbox carries their messages; no Spark involved). */
  private def inThisJvm(prefix: String, p: Int, n: Int, timeoutMs: Long = 20000): Peers =
    new Peers(prefix, p, Array.fill(n)(Peer("this-jvm", "localhost", "")), timeoutMs)

  /** Runs `body(p)` for every p at once (one thread per task); rethrows the first failure. */
  private def together[T](n: Int)(body: Int => T): Seq[T] = {
    val out = new Array[Any](n)
    val errors = new Array[Throwable](n)
    val threads = Array.tabulate(n)(p => new Thread(() => try out(p) = body(p) catch { case e: Throwable => errors(p) = e }))
    threads.foreach(_.start()); threads.foreach(_.join())
    errors.find(_ != null).foreach(e => throw e)
    out.toSeq.map(_.asInstanceOf[T])
  }

  test("the slice layout cuts any vector into contiguous slices that cover it exactly, longer ones first") {
    for (total <- Seq(0, 1, 7, 1000, 1001); parts <- Seq(1, 2, 3, 8)) {
      val l = SliceLayout(total, parts)
      val lengths = (0 until parts).map(l.length)
      assert(lengths.sum == total && lengths.max - lengths.min <= 1 && lengths == lengths.sorted.reverse, s"$total / $parts")
      (0 until parts).foreach(i => assert(l.offset(i) == lengths.take(i).sum, s"$total / $parts slice $i"))
    }
    assert(intercept[IllegalArgumentException](SliceLayout(10, 0)).getMessage.contains("parts > 0"))
  }

  test("sumSquares is the Double sum of squares for every tail length") {
    val rng = new Random(5)
    for (n <- Seq(0, 1, 3, 4, 5, 1027)) {
      val a = Array.fill(n)(rng.nextFloat() * 20 - 10)
      val want = a.map(x => x.toDouble * x).sum
      assert(math.abs(AllReduceParameter.sumSquares(a) - want) <= 1e-12 * (1 + want), s"n=$n")
    }
  }

  /** The sum of squares in one pass with four accumulators (value i into i % 4, the tail past n & ~3 into the first). */
  private def onePass(a: Array[Float]): Double = {
    val s = new Array[Double](4)
    val n4 = a.length & ~3
    for (i <- a.indices) s(if (i < n4) i & 3 else 0) += a(i).toDouble * a(i).toDouble
    (s(0) + s(1)) + (s(2) + s(3))
  }

  test("sums of squares in pieces of any length are the one-pass sum, bit for bit") {
    val rng = new Random(7)
    for (n <- Seq(0, 1, 5, 1027, 5000); _ <- 0 until 5) {
      val a = Array.fill(n)(rng.nextFloat() * 20 - 10)
      val squares = new AllReduceParameter.Squares(n)
      var from = 0
      while (from < n) { val k = math.min(n - from, 1 + rng.nextInt(37)); squares.add(a, from, k); from += k }
      assert(squares.result == onePass(a) && AllReduceParameter.sumSquares(a) == onePass(a), s"n=$n")
    }
  }

  test("Squares.sum writes a + b and adds its squares: the separate sum and the one-pass squares, bit for bit") {
    val rng = new Random(5)
    for (n <- Seq(1, 7, 1027, 5003); inPlace <- Seq(false, true); _ <- 0 until 3) {
      val (a, b) = (Array.fill(n + 3)(rng.nextFloat() * 20 - 10), Array.fill(n)(rng.nextFloat() * 2 - 1))
      val from = if (inPlace) 0 else 3 // in place: a is dst itself (dst += b)
      val want = Array.tabulate(n)(i => a(from + i) + b(i))
      val dst = if (inPlace) a else Array.fill(n)(Float.NaN)
      val squares = new AllReduceParameter.Squares(n)
      var to = 0
      while (to < n) {
        val k = math.min(n - to, 1 + rng.nextInt(41))
        val piece = java.util.Arrays.copyOfRange(b, to, to + k)
        squares.sum(a, from + to, piece, dst, to, k)
        to += k
      }
      val got = dst.take(n)
      assert(got.map(java.lang.Float.floatToRawIntBits).sameElements(want.map(java.lang.Float.floatToRawIntBits)), s"n=$n")
      assert(squares.result == onePass(want), s"n=$n inPlace=$inPlace")
    }
  }

  test("aggregate sums the squares of the summed slice as it goes: the one-pass sum of it, bit for bit") {
    // 5003 values: slices longer than the codecs' block (2,048 values), whose decode adds the squares block by block;
    // four tasks: the last term of a piece is the owner's own slice for task 3, a message for the others
    for ((n, total) <- Seq((2, 1001), (3, 1001), (2, 5003), (4, 5003)); replicated <- Seq(false, true) if !replicated || n == 2;
         codec <- Seq(NoCompression, BFloat16); messageBytes <- Seq(64, 100, AllReduceParameter.DefaultMessageBytes)) {
      val prefix = s"squares-$n-$total-$replicated-${codec.name}-$messageBytes-${System.nanoTime()}"
      val layout = SliceLayout(total, n)
      val grads = Array.tabulate(n)(p => Array.tabulate(layout.total)(i => ((i * 7 + p * 13) % 17 - 8) / 3f))
      together(n) { p =>
        val peers = inThisJvm(prefix, p, n)
        try {
          val ar = new AllReduceParameter(p, layout, codec, peers, messageBytes, replicated)
          val out = new Array[Float](ar.ownLength)
          ar.putGradients(1L, grads(p), GradientHeader(1.0, 1))
          ar.aggregate(1L, grads(p), GradientHeader(1.0, 1), out)
          assert(ar.ownSquares == onePass(out), s"n=$n total=$total replicated=$replicated ${codec.name} $messageBytes task $p")
        } finally peers.close()
      }
    }
  }

  test("pieces sent as they become final (putFinal) and cut at layer ends: the same sums and headers, bit for bit") {
    // 1001 values; backward makes [from, total) final for falling values of from, then putGradients sends the rest
    val froms = Seq(1001, 900, 777, 640, 333, 250, 3, 0)
    val runs = for ((n, replicated) <- Seq((2, true), (2, false), (3, false)); codec <- Seq(NoCompression, BFloat16);
         messageBytes <- Seq(100, 1000, AllReduceParameter.DefaultMessageBytes); overlap <- Seq(false, true)) yield {
      val prefix = s"final-$n-$replicated-${codec.name}-$messageBytes-$overlap-${System.nanoTime()}"
      val layout = SliceLayout(1001, n)
      val cuts = if (overlap && replicated) Array(3, 250, 640, 900) else Array.emptyIntArray
      val sums = together(n) { p =>
        val peers = inThisJvm(prefix, p, n)
        try {
          val ar = new AllReduceParameter(p, layout, codec, peers, messageBytes, replicated, cuts)
          val weights = new Array[Float](layout.total)
          (1L to 3L).map { t =>
            val grads = Array.tabulate(layout.total)(i => ((i * 7 + p * 13 + t.toInt * 5) % 17 - 8) / 3f)
            val header = GradientHeader(p + 0.5 * t, 10 + p)
            if (overlap) froms.foreach(from => ar.putFinal(t, grads, from))
            ar.putGradients(t, grads, header)
            val out = new Array[Float](ar.ownLength)
            val sum = ar.aggregate(t, grads, header, out)
            val squares = ar.ownSquares
            ar.publish(t, out, weights, squares) // the weight round, after which a gradient buffer may be rewritten
            ar.fetchWeights(t, weights, squares)
            (sum, out.map(java.lang.Float.floatToRawIntBits).toSeq, squares)
          }
        } finally peers.close()
      }
      ((n, replicated, codec.name, messageBytes), sums)
    }
    runs.grouped(2).foreach { case Seq((setting, off), (_, on)) =>
      assert(on == off, s"$setting: overlap changed the sums")
      val n = setting._1
      assert(off.head.head._1 == GradientHeader((0 until n).map(_ + 0.5).sum, (0 until n).map(10 + _).sum), setting)
    }
  }

  /**
   * Three iterations of the exchange of `n` tasks, each owner stepping its slice with SGD (momentum, weight decay):
   * piece by piece as [[AllReduceParameter.aggregate]] hands the pieces out, each published at once, or the whole
   * slice once summed. Returns every task's weights and gradient norms after each iteration.
   */
  private def train(n: Int, codec: WireCodec, messageBytes: Int, pieces: Boolean): Seq[Seq[(Seq[Float], Double)]] = {
    val prefix = s"pipeline-$n-${codec.name}-$messageBytes-$pieces-${System.nanoTime()}"
    val layout = SliceLayout(1001, n)
    together(n) { p =>
      val peers = inThisJvm(prefix, p, n)
      try {
        val ar = new AllReduceParameter(p, layout, codec, peers, messageBytes)
        val weights = Array.tabulate(layout.total)(i => (i % 13 - 6) / 7f)
        val master = weights.slice(ar.ownOffset, ar.ownOffset + ar.ownLength)
        val method = new ember.optim.SGD(0.1, 0.0, 0.01, 0.9)
        val slice = new Array[Float](ar.ownLength)
        (1L to 3L).map { t =>
          val grads = Array.tabulate(layout.total)(i => ((i * 7 + p * 13 + t.toInt * 5) % 17 - 8) / 3f)
          ar.putGradients(t, grads, GradientHeader(1.0, 1))
          val at = ember.optim.TrainingPosition.at(t - 1, 1)
          if (pieces) {
            var published = 0
            ar.aggregate(t, grads, GradientHeader(1.0, 1), slice, new AllReduceParameter.Pieces {
              def piece(c: Int, from: Int, k: Int, header: GradientHeader): Unit = {
                assert(header == GradientHeader(n.toDouble, n) && from == published)
                if (c == 0) assert(method.beginRanges(ar.ownLength, at))
                method.stepRange(master, slice, from, from + k)
                ar.publishPiece(t, c, master, weights, ar.ownSquares)
                published += k
              }
            })
            assert(published == ar.ownLength)
          } else {
            ar.aggregate(t, grads, GradientHeader(1.0, 1), slice)
            method.step(ember.tensor.Tensor.fromArray(master, master.length), ember.tensor.Tensor.fromArray(slice, slice.length), at)
            ar.publish(t, master, weights, ar.ownSquares)
          }
          val norm = ar.fetchWeights(t, weights, ar.ownSquares)
          (weights.toSeq, norm)
        }
      } finally peers.close()
    }
  }

  test("the owner's slice stepped and published piece by piece gives every task the whole step's weights, bit for bit") {
    for (n <- Seq(2, 3); codec <- Seq(NoCompression, BFloat16); messageBytes <- Seq(64, 100, AllReduceParameter.DefaultMessageBytes)) {
      val (pieces, whole) = (train(n, codec, messageBytes, pieces = true), train(n, codec, messageBytes, pieces = false))
      assert(pieces == whole, s"n=$n ${codec.name} $messageBytes")
      assert(whole.flatten.map(_._1).distinct.size == 3, s"every task the same weights each iteration, which move: n=$n")
    }
    assert(Mailbox.pending == 0)
  }

  test("float32 weight messages keep the slice before a step: restoreWeights gives back the last published or kept one") {
    for (messageBytes <- Seq(64, 100, AllReduceParameter.DefaultMessageBytes)) {
      val prefix = s"restore-$messageBytes-${System.nanoTime()}"
      val layout = SliceLayout(1001, 2)
      together(2) { p =>
        val peers = inThisJvm(prefix, p, 2)
        try {
          val ar = new AllReduceParameter(p, layout, NoCompression, peers, messageBytes)
          assert(ar.keepsWeights && !new AllReduceParameter(p, layout, BFloat16, peers, messageBytes).keepsWeights)
          val weights = new Array[Float](layout.total)
          val kept = Array.tabulate(ar.ownLength)(i => i / 7f - p)
          ar.keepWeights(4L, kept)
          val slice = kept.map(_ * 3)
          ar.restoreWeights(5L, slice)
          assert(slice.sameElements(kept), s"$messageBytes: the kept slice")
          for (t <- 5L to 7L) {
            val published = kept.map(_ + t.toFloat)
            ar.publish(t, published, weights, 1.0)
            assert(ar.fetchWeights(t, weights, 1.0) == 2.0)
            val stepped = published.map(_ * -2) // a step of t + 1, refused
            ar.restoreWeights(t + 1, stepped)
            assert(stepped.sameElements(published), s"$messageBytes: the slice published at $t")
          }
        } finally peers.close()
      }
    }
    assert(Mailbox.pending == 0)
  }

  test("allSum gives every task the same total, summed in task order") {
    val n = 3
    val prefix = s"allsum-${System.nanoTime()}"
    val layout = SliceLayout(10, n)
    val values = Seq(0.1, 1e10, -1e10)
    val totals = together(n) { p =>
      val peers = inThisJvm(prefix, p, n)
      try new AllReduceParameter(p, layout, NoCompression, peers).allSum(1L, values(p)) finally peers.close()
    }
    // (0.1 + 1e10) - 1e10 in task order on every task, bitwise the same
    assert(totals.distinct == Seq((values(0) + values(1)) + values(2)))
    assert(Mailbox.pending == 0)
  }

  test("one task alone sends nothing: its slice is the whole vector and the weights are its own update") {
    val peers = inThisJvm(s"alone-${System.nanoTime()}", 0, 1)
    val ar = new AllReduceParameter(0, SliceLayout(5, 1), NoCompression, peers)
    val g = Array(1f, -2f, 3f, -4f, 5f)
    ar.putGradients(1L, g, GradientHeader(2.5, 5))
    val slice = new Array[Float](5)
    assert(ar.aggregate(1L, g, GradientHeader(2.5, 5), slice) == GradientHeader(2.5, 5))
    assert(slice.sameElements(g))
    assert(ar.allSum(1L, 4.0) == 4.0)
    val w = new Array[Float](5)
    ar.publish(1L, slice.map(_ * 2), w, norm = 7.0)
    assert(w.sameElements(g.map(_ * 2)))
    assert(ar.fetchWeights(1L, w, 7.0) == 7.0)
    assert(peers.remoteBytes == 0L && Mailbox.pending == 0)

    // bf16 on the wire: a single task still computes with the rounded weights every task would see
    val bf = new AllReduceParameter(0, SliceLayout(2, 1), WireCodec("bf16"), peers)
    val w2 = new Array[Float](2)
    bf.publish(1L, Array(1.00390625f, 3.1415927f), w2, 0.0)
    assert(w2.sameElements(Array(1f, 3.140625f))) // 1 + 2^-8 rounds to even (1.0); pi to 8 significant bits
    peers.close()
  }

  test("slices of the wrong length are refused with both lengths") {
    val peers = inThisJvm(s"lengths-${System.nanoTime()}", 0, 1)
    val ar = new AllReduceParameter(0, SliceLayout(4, 1), NoCompression, peers)
    val e1 = intercept[IllegalArgumentException](ar.aggregate(1L, new Array[Float](4), GradientHeader(0, 0), new Array[Float](3)))
    assert(e1.getMessage.contains("output of 3 values for a slice of 4"), e1.getMessage)
    val e2 = intercept[IllegalArgumentException](ar.publish(1L, new Array[Float](5), new Array[Float](4), 0.0))
    assert(e2.getMessage.contains("5 values for a slice of 4"), e2.getMessage)
    peers.close()
  }
}
