package ember.parallel

import java.nio.{ByteBuffer, ByteOrder}


/**
 * How a flat parameter vector of `total` values is cut into `parts` contiguous slices, one per training
 * partition: the first `total % parts` slices are one value longer (BigDL's layout).
 */
final case class SliceLayout(total: Int, parts: Int) {
  require(total >= 0 && parts > 0, s"SliceLayout: need total >= 0 and parts > 0, got total=$total parts=$parts")

  def length(i: Int): Int = total / parts + (if (i < total % parts) 1 else 0)
  def offset(i: Int): Int = i * (total / parts) + math.min(i, total % parts)
}

/** What the gradient blocks of one iteration carry besides the gradient: summed over partitions by the owners. */
final case class GradientHeader(lossSum: Double, samples: Int)

/**
 * The AllReduce of one training task (BigDL's `AllReduceParameter`, without its driver job and without the
 * driver in the loop): the parameter vector is cut into one slice per task ([[SliceLayout]]), task `p` owns
 * slice `p` (its float32 master weights and its optim-method state) and every task holds a full copy of the
 * weights for its model replicas. Messages go straight from producer to reader through [[Peers]] (pushed,
 * the reader woken by the arrival; see Peers.scala). One iteration `t`, a reduce-scatter then an all-gather:
 *  1. [[putGradients]]: task p sends slice q of its local gradient (`g_t_p`) to task q, for every q != p,
 *     all at once (each send returns as soon as the bytes are handed to the transport), or piece by piece while
 *     backward still runs ([[putFinal]], see below);
 *  2. [[aggregate]]: owner p sums slice p over all tasks in task order, piece by piece (its own slice straight
 *     from memory, the others' as they arrive, waited for about 1 MB at a time: one wake-up per group of pieces, not
 *     per piece), and the headers (loss, samples) likewise; with L2-norm
 *     clipping, [[allSum]] then sums the slices' sums of squares (the global gradient norm);
 *  3. the caller updates the owned weight slice with its optim method and [[publish]]es it (`w_t_p`) to
 *     every other task (and into its own replicas' weights); or, pipelined, it steps and publishes each piece
 *     ([[publishPiece]]) as [[aggregate]] hands it out summed (an [[AllReduceParameter.Pieces]]), while later
 *     pieces are still on the wire; the last piece carries the slice's gradient sum of squares;
 *  4. [[fetchWeights]]: every task reads `w_t_q` of every other q into its replicas' weights, and sums the
 *     slices' gradient sums of squares from the headers: every task learns at once whether the global
 *     gradient was finite. From another JVM the pieces of `w_t_q` land in the replicas' weights as they arrive
 *     (decoded by the transport thread as it reads them, [[Peers.land]]: from the second [[fetchWeights]] on, which
 *     names the weights array), and the task reads only their headers: the bytes are copied once out of the socket's
 *     buffers, not into a buffer and then again by the task. They cannot arrive before the task is done with the
 *     weights of `t - 1`: task q publishes `w_t_q` after it has read this task's `g_t`, sent after its forward/backward
 *     of `t`, and the task's own slice, which it writes meanwhile, is another range of the array.
 * Bytes sent per task and iteration: (N - 1) gradient slices and N - 1 copies of its weight slice, i.e.
 * 2 x S x (N - 1) / N values of `codec.bytesPerValue` bytes (plus 12 + 8 header bytes per message): the
 * bandwidth-optimal AllReduce. A message has one reader, which removes it as it reads it.
 *
 * Buffers are reused every iteration, off the heap: the socket writes them as they are (a heap buffer is first copied
 * into a direct one by the JDK, on the transport thread, for every byte sent). A message inside one JVM is a view of its producer's buffer: a
 * buffer is rewritten only once its readers are provably done with it: `g_t` (to all q) is rewritten at
 * t + 1 after p has read all of `w_t` (each owner publishes the last piece of `w_t` only after reading all of
 * `g_t`), and piece c of `w_t_p` after owner p has read piece c of `g_(t+1)` from every other task (each task
 * sends `g_(t+1)` only after reading all of `w_t`), which is when the pipelined step rewrites it. With float32 on
 * the wire the weight messages alternate between two sets of buffers by iteration parity ([[keepsWeights]]):
 * `w_(t-1)_p` is then the exact slice before step t, rewritten only at t + 1, so a step refused after it was
 * taken is undone from it ([[restoreWeights]]) without a copy of the slice every iteration. A send to
 * another JVM hands the buffer itself to the transport, which writes it after the send returns: the same rule
 * covers it, since a reader has the message only once it was written. The encode into a message's buffer is the one
 * copy a send makes, and it is needed even with float32 on the wire: the gradient array and the master slice are
 * Float arrays on the heap, which have no byte view a socket could write (the JDK would copy a heap buffer into a
 * direct one itself); sending straight from them would need them off the heap.
 *
 * Two tasks (`replicated`): one round instead of two. Each task sends its whole gradient to the other (S values,
 * the bytes of the reduce-scatter plus the all-gather at N = 2), both sum the two gradients as sent (through the
 * codec, the same values on both) and each steps every slice with a copy of that slice's optim method: the
 * weights stay identical on both tasks, an iteration waits once for the other task instead of twice (the
 * latency of a message and a wake-up of the waiting thread, per iteration), and the global gradient norm is
 * known before the step without [[allSum]]. The price is stepping S values instead of S / 2. The buffers of
 * `g_t` alternate with `g_(t+1)`'s: task p rewrites `g_t`'s at t + 2, after reading `g_(t+1)` of the other task,
 * which that task sent after it had read all of `g_t`.
 *
 * Size: a slice travels in pieces of at most `maxMessageBytes` (the header in the first), each its own message
 * (`g_t_p`, then `g_t_p.1`, ...), all sent at once: the reader sums or copies one piece while the next is on the
 * wire, and no buffer reaches 2 GB whatever the model's size; a slice under the limit (64K float32 values at the
 * 256 KB default: LeNet-5's) is one message.
 *
 * Overlap with backward ([[putFinal]]): a task may send the pieces of its gradient whose values are final before its
 * backward ends (the last layers' parameters, at the end of the flat vector, are done first), and [[putGradients]]
 * then sends the rest; piece 0, which carries the header, always goes last, with the rest. The replicated exchange's
 * whole vector is also cut at `cuts` (flat offsets, the same on both tasks: where a model's layers end), so that its
 * last layers can leave as their own piece though the vector fits one message; the sliced exchange keeps its pieces.
 * Pieces are summed value by value, so where they are cut does not change any sum. The buffer rules above hold as
 * they are: a task computes iteration t + 1 (and sends early pieces of `g_(t+1)`) only after step 4 of iteration t.
 */
final class AllReduceParameter(val partition: Int, val layout: SliceLayout, val codec: WireCodec, val peers: Peers,
    maxMessageBytes: Int = AllReduceParameter.DefaultMessageBytes, val replicated: Boolean = false,
    cuts: Array[Int] = Array.emptyIntArray) {
  require(maxMessageBytes >= 64, s"AllReduceParameter: maxMessageBytes must be >= 64, got $maxMessageBytes")
  require(!replicated || layout.parts == 2, s"AllReduceParameter: the replicated exchange is for 2 tasks, not ${layout.parts}")
  private val parts = layout.parts
  /** The values this task updates: its slice, or with `replicated` the whole vector. */
  val ownOffset: Int = if (replicated) 0 else layout.offset(partition)
  val ownLength: Int = if (replicated) layout.total else layout.length(partition)
  /** The slices this task steps (each with its own optim method). */
  val ownSlices: Seq[Int] = if (replicated) 0 until parts else Seq(partition)
  private val other = 1 - partition // the other task, with `replicated`
  /** Values per message (piece of a slice). */
  private val pieceValues = AllReduceParameter.valuesPerMessage(maxMessageBytes, codec)

  /** Nanoseconds spent waiting for messages of other tasks (included in the sync time of the caller). */
  def waitNanos: Long = peers.waitNanos

  private def piece(name: String, c: Int): String = if (c == 0) name else s"$name.$c"
  private def gradientName(t: Long, from: Int, c: Int): String = piece(s"g_${t}_$from", c)
  private def weightName(t: Long, owner: Int, c: Int): String = piece(s"w_${t}_$owner", c)
  private def normName(t: Long, owner: Int): String = s"n_${t}_$owner"

  /** Pieces of a message of n values (at least one: the first carries the header). */
  private def piecesOf(n: Int, per: Int = pieceValues): Int = math.max(1, (n + per - 1) / per)
  private def pieces(q: Int): Int = piecesOf(layout.length(q))
  /** Values of piece c of a message of n values (offsets within it: c * pieceValues). */
  private def pieceLengthOf(n: Int, c: Int, per: Int = pieceValues): Int = math.min(per, n - c * per)
  private def pieceLength(q: Int, c: Int): Int = pieceLengthOf(layout.length(q), c)

  /** The buffers of a message of n values in pieces, `header` bytes in piece `headed(pieces)`. */
  private def buffersOf(n: Int, header: Int, headed: Int => Int): Array[ByteBuffer] = {
    val h = headed(piecesOf(n))
    Array.tabulate(piecesOf(n))(c => ByteBuffer.allocateDirect((if (c == h) header else 0) + pieceLengthOf(n, c) * codec.bytesPerValue)
      .order(ByteOrder.LITTLE_ENDIAN))
  }

  /** Replicated: the flat offsets where the whole vector's pieces start (every `pieceValues` and at `cuts`), then its end. */
  private val wholeStarts: Array[Int] = if (!replicated) null
    else ((0 until piecesOf(layout.total)).map(_ * pieceValues) ++ cuts.filter(k => k > 0 && k < layout.total))
      .distinct.sorted.toArray :+ layout.total
  /** The tasks this task sends its gradient to, and the flat offsets where the pieces it sends task q start, then the end. */
  private val gradTargets: Array[Int] = if (replicated) Array(other) else (0 until parts).filter(_ != partition).toArray
  private val gradStarts: Array[Array[Int]] = Array.tabulate(parts) { q =>
    if (replicated) wholeStarts
    else Array.tabulate(pieces(q) + 1)(c => layout.offset(q) + math.min(c * pieceValues, layout.length(q)))
  }

  // gradients: the header (loss, samples) in the first piece; weights: the norm in the last (known once all is summed)
  private val gradBuffers =
    if (replicated) Array.fill(2)(Array.tabulate(wholeStarts.length - 1) { c => // by iteration parity
      ByteBuffer.allocateDirect((if (c == 0) 12 else 0) + (wholeStarts(c + 1) - wholeStarts(c)) * codec.bytesPerValue)
        .order(ByteOrder.LITTLE_ENDIAN)
    })
    else Array.tabulate(parts)(q => if (q == partition) null else buffersOf(layout.length(q), 12, _ => 0))
  /** The iteration whose gradient is being sent, and per target the pieces c < unsent(q) of it not sent yet. */
  private var sending = -1L
  private val unsent = new Array[Int](parts)
  // one task, or two replicated, send no weights
  private val sendsWeights = parts > 1 && !replicated
  /**
   * Whether the weight messages of iteration t - 1 stay intact through iteration t (two sets of buffers, by iteration
   * parity) and hold the slice exactly: with float32 on the wire, [[restoreWeights]] then gives back the slice before a
   * refused step, and the caller needs no copy of its own.
   */
  val keepsWeights: Boolean = sendsWeights && codec == NoCompression
  private val weightSets =
    if (!sendsWeights) Array.empty[Array[ByteBuffer]] else Array.fill(if (keepsWeights) 2 else 1)(buffersOf(ownLength, 8, _ - 1))
  private def weightBuffers(t: Long): Array[ByteBuffer] = weightSets((t % weightSets.length).toInt)
  private val squares = new AllReduceParameter.Squares(ownLength)

  /**
   * Step 1: slices q != p of the full local gradient `grads`, each with `header`, to their owners (replicated: the
   * whole gradient to the other task): the pieces [[putFinal]] did not send yet, in piece order.
   */
  def putGradients(t: Long, grads: Array[Float], header: GradientHeader): Unit = {
    begin(t)
    for (q <- gradTargets) {
      var c = 0
      while (c < unsent(q)) { sendPiece(t, q, c, grads, header); c += 1 }
    }
    sending = -1L
  }

  /**
   * Step 1 while backward runs: the values [from, total) of `grads` are final for iteration t; every piece within them
   * not sent yet goes now (last pieces first), except piece 0 (it carries the header): [[putGradients]] sends the rest.
   */
  def putFinal(t: Long, grads: Array[Float], from: Int): Unit = {
    begin(t)
    for (q <- gradTargets) {
      while (unsent(q) > 1 && gradStarts(q)(unsent(q) - 1) >= from) { unsent(q) -= 1; sendPiece(t, q, unsent(q), grads, null) }
    }
  }

  /** Starts sending iteration t's gradient, unless it is started: no piece sent yet. */
  private def begin(t: Long): Unit = if (sending != t) {
    sending = t
    for (q <- gradTargets) unsent(q) = gradStarts(q).length - 1
  }

  /** Piece c of the gradient to task q (headed by `header` if c is 0), encoded into its buffer of iteration t's set. */
  private def sendPiece(t: Long, q: Int, c: Int, grads: Array[Float], header: GradientHeader): Unit = {
    val buf = if (replicated) gradBuffers((t & 1).toInt)(c) else gradBuffers(q)(c)
    buf.clear()
    if (c == 0) buf.putDouble(header.lossSum).putInt(header.samples)
    val from = gradStarts(q)(c)
    codec.encode(grads, from, gradStarts(q)(c + 1) - from, buf)
    buf.flip()
    peers.send(q, gradientName(t, partition, c), buf)
  }

  /**
   * Step 2: `out` ([[ownLength]]) = sum over tasks of slice p of their gradients, where this task's own is
   * `grads` (full length); returns the summed header. Replicated: the whole vector, both gradients as sent.
   * Piece by piece: each piece is summed over all tasks (in task order), then its squares are added, then, when a
   * `sink` is given, the piece is handed to it while it is in the cache and later pieces may still be on the wire
   * (the header is complete from the first piece on).
   */
  def aggregate(t: Long, grads: Array[Float], ownHeader: GradientHeader, out: Array[Float],
      sink: AllReduceParameter.Pieces = null): GradientHeader = {
    require(out.length == ownLength, s"aggregate: output of ${out.length} values for a slice of $ownLength")
    squares.reset()
    if (replicated) return aggregateWhole(t, ownHeader, out)
    var header: GradientHeader = null
    var c = 0
    while (c < piecesOf(ownLength)) {
      if (c % groupPieces == 0) awaitGroup(t, c)
      val (to, n) = (c * pieceValues, pieceLength(partition, c))
      val (loss, samples) = sumPiece(t, c, grads, ownHeader, out, to, n) // and the squares of out's piece
      if (c == 0) header = GradientHeader(loss, samples)
      if (sink != null) sink.piece(c, to, n, header)
      c += 1
    }
    header
  }

  /** Pieces of the owned slice's gradient waited for at once ([[awaitGroup]]): about [[AllReduceParameter.GroupBytes]]. */
  private val groupPieces = math.max(1, AllReduceParameter.GroupBytes / maxMessageBytes)

  /**
   * Waits until pieces c to c + [[groupPieces]] - 1 of slice p's gradient are here from every other task (see
   * [[Peers.await]]): the task then wakes once per group instead of once per piece, which it would when it sums
   * faster than the pieces arrive (a 5M-parameter model's 40 pieces of 256 KB per slice and iteration).
   */
  private def awaitGroup(t: Long, c: Int): Unit = {
    val last = math.min(c + groupPieces, piecesOf(ownLength)) - 1
    var q = 0
    while (q < parts) { if (q != partition) peers.await(q, gradientName(t, q, last)); q += 1 }
  }

  /**
   * Piece c of `out` (values [to, to + n) of the slice) summed over the tasks in task order, and its squares added to
   * [[squares]]; returns the summed header (loss, samples) with the first piece, else zeros. Tasks 0 and 1 in one pass
   * when this task is one of them: its slice plus the other's message (one write of `out` instead of a copy, then an
   * add; the same sums). When the last task's term is a message, its decode adds the squares of the final values in
   * the loop that sums them ([[AllReduceParameter.Squares.sum]]: no second pass); [[AllReduceParameter.Squares]] gives the
   * same Double whatever the blocks, as it visits the values in index order.
   */
  private def sumPiece(t: Long, c: Int, grads: Array[Float], ownHeader: GradientHeader, out: Array[Float], to: Int,
      n: Int): (Double, Int) = {
    var loss = 0.0
    var samples = 0
    val fused = parts > 1 && partition < 2
    if (fused) {
      val o = 1 - partition
      val buf = peers.receive(o, gradientName(t, o, c))
      if (c == 0) {
        val l = buf.getDouble()
        if (o == 0) { loss += l; loss += ownHeader.lossSum } else { loss += ownHeader.lossSum; loss += l } // task order
        samples += buf.getInt() + ownHeader.samples
      }
      codec.decodeSum(buf, grads, ownOffset + to, out, to, n, if (parts == 2) squares else null)
      peers.release(buf)
    }
    var q = if (fused) 2 else 0
    while (q < parts) {
      val last = q == parts - 1
      if (q == partition) {
        if (q > 0) AllReduceParameter.addInto(out, to, grads, ownOffset + to, n) // q >= 2
        else System.arraycopy(grads, ownOffset + to, out, to, n) // one task
        if (c == 0) { loss += ownHeader.lossSum; samples += ownHeader.samples }
        if (last) squares.add(out, to, n) // out's values are final: their squares while in the cache
      } else {
        val buf = peers.receive(q, gradientName(t, q, c))
        if (c == 0) { loss += buf.getDouble(); samples += buf.getInt() }
        if (q == 0) codec.decode(buf, out, to, n) else codec.decodeAdd(buf, out, to, n, if (last) squares else null)
        peers.release(buf)
      }
      q += 1
    }
    (loss, samples)
  }

  /** Replicated step 2: task 0's gradient, plus task 1's, each decoded from its message (own: from the sent buffers). */
  private def aggregateWhole(t: Long, ownHeader: GradientHeader, out: Array[Float]): GradientHeader = {
    var (loss, samples) = (ownHeader.lossSum, ownHeader.samples)
    for (q <- 0 until 2; c <- 0 until wholeStarts.length - 1) {
      val buf =
        if (q == partition) gradBuffers((t & 1).toInt)(c).duplicate().order(ByteOrder.LITTLE_ENDIAN).position(if (c == 0) 12 else 0)
        else peers.receive(q, gradientName(t, q, c))
      if (q != partition && c == 0) { loss += buf.getDouble(); samples += buf.getInt() }
      val (to, n) = (wholeStarts(c), wholeStarts(c + 1) - wholeStarts(c)) // the pieces of putGradients
      if (q == 0) codec.decode(buf, out, to, n)
      else codec.decodeAdd(buf, out, to, n, squares)
      if (q != partition) peers.release(buf)
    }
    GradientHeader(loss, samples)
  }

  /** The sum of squares of the slice the last [[aggregate]] summed: [[AllReduceParameter.sumSquares]] of it, bit for bit. */
  def ownSquares: Double = squares.result

  /**
   * Step 2b, with L2-norm clipping only (which needs the global norm before the update): the sum over owners
   * of `value` (each slice's sum of squares: the squared global gradient norm). Without it, the norms travel
   * in the weight messages' headers ([[publish]], [[fetchWeights]]): one synchronisation point less.
   */
  def allSum(t: Long, value: Double): Double = {
    if (parts == 1 || replicated) return value
    var q = 0
    while (q < parts) {
      if (q != partition) { val buf = allocate(8).putDouble(value); buf.flip(); peers.send(q, normName(t, partition), buf) }
      q += 1
    }
    var total = 0.0
    q = 0
    while (q < parts) {
      if (q == partition) total += value
      else { val b = peers.receive(q, normName(t, q)); total += b.getDouble(); peers.release(b) }
      q += 1
    }
    total
  }

  /**
   * Step 3: the owned weight slice after iteration `t`, for the other tasks (headed by `norm`: this slice's
   * gradient sum of squares) and for this task's replicas (`weights`, full length; through the codec, so
   * that every task computes with the same weights).
   */
  def publish(t: Long, slice: Array[Float], weights: Array[Float], norm: Double): Unit = {
    require(slice.length == ownLength, s"publish: ${slice.length} values for a slice of $ownLength")
    if (sendsWeights) {
      var c = 0
      while (c < piecesOf(ownLength)) { publishPiece(t, c, slice, weights, norm); c += 1 }
    } else codec match { // one task, or two replicated: nothing to send
      case NoCompression => System.arraycopy(slice, 0, weights, ownOffset, ownLength)
      case _ => var i = 0; while (i < ownLength) { weights(ownOffset + i) = BFloat16.widen(BFloat16.round(slice(i))); i += 1 }
    }
  }

  /** Whether [[publishPiece]] applies: this task sends its weight slice (over one task, not replicated). */
  def publishesPieces: Boolean = sendsWeights

  /**
   * Step 3 for piece c of the owned slice alone (the values [[aggregate]] handed out as piece c): sent to every
   * other task and kept in this task's replicas' `weights`. The last piece carries `norm` (read with it only): publish
   * it once the whole slice is summed.
   */
  def publishPiece(t: Long, c: Int, slice: Array[Float], weights: Array[Float], norm: Double): Unit = {
    require(publishesPieces && slice.length == ownLength, s"publishPiece: ${slice.length} values for a slice of $ownLength")
    val bufs = weightBuffers(t)
    val buf = bufs(c)
    buf.clear()
    if (c == bufs.length - 1) buf.putDouble(norm)
    // the replicas' weights get the values as the other tasks decode them, in the same pass
    codec.encodeKeeping(slice, c * pieceValues, pieceLength(partition, c), buf, weights, ownOffset + c * pieceValues)
    buf.flip()
    var q = 0
    while (q < parts) { if (q != partition) peers.send(q, weightName(t, partition, c), buf); q += 1 }
  }

  /**
   * With [[keepsWeights]], before the first iteration after `t`: the owned slice at `t` into the buffers of `t`'s
   * weight messages (not sent), so that [[restoreWeights]] has it.
   */
  def keepWeights(t: Long, slice: Array[Float]): Unit = {
    require(keepsWeights && slice.length == ownLength, s"keepWeights: ${slice.length} values for a slice of $ownLength")
    var c = 0
    while (c < piecesOf(ownLength)) {
      val buf = weightBuffers(t)(c)
      buf.clear()
      if (c == piecesOf(ownLength) - 1) buf.putDouble(0.0)
      codec.encode(slice, c * pieceValues, pieceLength(partition, c), buf)
      buf.flip()
      c += 1
    }
  }

  /**
   * With [[keepsWeights]]: the owned slice as published at `t - 1` (or kept by [[keepWeights]]) back into `slice`,
   * for a step of `t` refused after it was taken. The buffers of `t - 1` are rewritten only at `t + 1`.
   */
  def restoreWeights(t: Long, slice: Array[Float]): Unit = {
    require(keepsWeights && slice.length == ownLength, s"restoreWeights: ${slice.length} values for a slice of $ownLength")
    val bufs = weightBuffers(t - 1)
    var c = 0
    while (c < bufs.length) {
      val view = bufs(c).duplicate().order(ByteOrder.LITTLE_ENDIAN).position(if (c == bufs.length - 1) 8 else 0)
      codec.decode(view, slice, c * pieceValues, pieceLength(partition, c))
      c += 1
    }
  }

  /**
   * Step 4: the other tasks' slices of the weights after iteration `t` into `weights`. Returns the sum over
   * slices (in slice order, so the same on every task) of the `norm` headers, this task's own being
   * `ownNorm`: the squared norm of the global gradient.
   */
  def fetchWeights(t: Long, weights: Array[Float], ownNorm: Double): Double = {
    if (replicated) return ownNorm
    var total = 0.0
    var q = 0
    while (q < parts) {
      if (q == partition) total += ownNorm
      else {
        // from another JVM the pieces land as they come: wait for the last (then all are here), one wake-up
        if (!peers.isLocal(q)) peers.await(q, weightName(t, q, pieces(q) - 1))
        var c = 0
        while (c < pieces(q)) {
          val buf = peers.receive(q, weightName(t, q, c))
          if (c == pieces(q) - 1) total += buf.getDouble() // the last piece carries the norm
          // a piece that landed (see the notes above) holds only its header: its values are in `weights` already
          if (buf.hasRemaining) codec.decode(buf, weights, layout.offset(q) + c * pieceValues, pieceLength(q, c))
          peers.release(buf)
          c += 1
        }
      }
      q += 1
    }
    landWeightsIn(weights)
    total
  }

  /**
   * Whether the replicas' weights may differ from the float32 master slices after an iteration: a lossy codec puts
   * every slice in the replicas through it (see [[publish]]), the replicated exchange excepted (each task keeps the
   * whole master).
   */
  val roundsWeights: Boolean = sendsWeights && codec != NoCompression

  /**
   * After iteration `t`, the last of a segment whose tasks keep their state, when [[roundsWeights]]: this task's float32
   * master slice (`slice`) to every other task (`x_t_p`, in pieces), and every slice exactly into `weights` (full
   * length), so that the replicas hold the weights the driver holds, as if built from its broadcast (a kept state is
   * resumed only then, see the DistriOptimizer's notes). Every task calls it; 2 x S x (N - 1) / N float32 values once
   * per segment.
   */
  def shareExact(t: Long, slice: Array[Float], weights: Array[Float]): Unit = if (roundsWeights) {
    val per = AllReduceParameter.valuesPerMessage(maxMessageBytes, NoCompression)
    val n = layout.length(partition)
    for (c <- 0 until piecesOf(n, per)) {
      val k = pieceLengthOf(n, c, per)
      val buf = allocate(4 * k) // a fresh buffer per piece: nothing rewrites it
      buf.asFloatBuffer().put(slice, c * per, k)
      for (q <- 0 until parts if q != partition) peers.send(q, piece(s"x_${t}_$partition", c), buf)
    }
    System.arraycopy(slice, 0, weights, layout.offset(partition), n)
    for (q <- 0 until parts if q != partition; c <- 0 until piecesOf(layout.length(q), per)) {
      val b = peers.receive(q, piece(s"x_${t}_$q", c))
      val k = pieceLengthOf(layout.length(q), c, per)
      require(b.remaining() == 4 * k, s"exact weights x_${t}_$q piece $c: ${b.remaining()} bytes for $k values")
      b.asFloatBuffer().get(weights, layout.offset(q) + c * per, k)
      peers.release(b)
    }
  }

  private var weightLander: WeightLander = null

  /** The next iterations' weight pieces from other JVMs land in `weights` (see the notes above). */
  private def landWeightsIn(weights: Array[Float]): Unit =
    if (sendsWeights && peers.remote && (weightLander == null || (weightLander.weights ne weights))) {
      weightLander = new WeightLander(weights)
      peers.land(weightLander)
    }

  /** Lands every piece `w_t_q[.c]` of another task q in its place in `weights`, decoded (in the transport thread). */
  private final class WeightLander(val weights: Array[Float]) extends Mailbox.Lander {
    override def landing(name: String, bytes: Int): Transport.Landing = {
      if (!name.startsWith("w_")) return null
      val owner = name.indexOf('_', 2) + 1
      val dot = name.indexOf('.', owner)
      val q = name.substring(owner, if (dot < 0) name.length else dot).toInt
      val c = if (dot < 0) 0 else name.substring(dot + 1).toInt
      val (header, n) = (if (c == pieces(q) - 1) 8 else 0, pieceLength(q, c))
      require(bytes == header + n * codec.bytesPerValue, s"weight message $name: $bytes bytes for $n values")
      new Decoding(codec, weights, layout.offset(q) + c * pieceValues, n, header)
    }
  }

  private def allocate(n: Int): ByteBuffer = ByteBuffer.allocate(n).order(ByteOrder.LITTLE_ENDIAN)
}

object AllReduceParameter {

  /** What the owner does with each piece of its slice as [[AllReduceParameter.aggregate]] finishes summing it. */
  trait Pieces {
    /** Values [from, from + n) of the summed slice, piece c, are final; `header` is the summed one (loss, samples). */
    def piece(c: Int, from: Int, n: Int, header: GradientHeader): Unit
  }

  /** Values per message (piece) of at most `maxMessageBytes` with `codec`, room left for a header. */
  def valuesPerMessage(maxMessageBytes: Int, codec: WireCodec): Int = (maxMessageBytes - 16) / codec.bytesPerValue

  /** The largest message of the exchange by default: a slice beyond it travels in pieces (see DistriOptimizer.messageBytes). */
  val DefaultMessageBytes: Int = 256 << 10

  /** The gradient pieces an owner waits for at once: this many bytes of them (4 pieces of the default size). */
  val GroupBytes: Int = 1 << 20

  /** The sum of squares of `a` in Double, with four independent accumulators (several times faster than one). */
  def sumSquares(a: Array[Float]): Double = { val s = new Squares(a.length); s.add(a, 0, a.length); s.result }

  /**
   * [[sumSquares]] of a vector of `total` values visited in index order in pieces of any length (the same Double): value
   * i goes to accumulator i % 4, and the values past the last multiple of 4 to the first one, as in one pass.
   */
  private[parallel] final class Squares(total: Int) {
    private val n4 = total & ~3
    private var s0, s1, s2, s3 = 0.0

    def reset(): Unit = { s0 = 0.0; s1 = 0.0; s2 = 0.0; s3 = 0.0 }
    def result: Double = (s0 + s1) + (s2 + s3)

    /** Adds the squares of `a(from until from + n)`, the values at indices `from until from + n` of the vector. */
    def add(a: Array[Float], from: Int, n: Int): Unit = {
      val end = from + n
      var i = from
      while (i < end && ((i & 3) != 0 || i >= n4)) { one(i, a(i)); i += 1 }
      val stop = math.min(end, n4) & ~3
      var t0 = s0; var t1 = s1; var t2 = s2; var t3 = s3
      while (i < stop) {
        val x0 = a(i).toDouble; val x1 = a(i + 1).toDouble; val x2 = a(i + 2).toDouble; val x3 = a(i + 3).toDouble
        t0 += x0 * x0; t1 += x1 * x1; t2 += x2 * x2; t3 += x3 * x3
        i += 4
      }
      s0 = t0; s1 = t1; s2 = t2; s3 = t3
      while (i < end) { one(i, a(i)); i += 1 }
    }

    /**
     * `dst(to + i) = a(from + i) + b(i)` for i < n (`dst(to + i)` being value `to + i` of the vector), and the squares
     * of those sums added as [[add]] adds them, in one loop: the four Double chains of the squares are bound by the
     * latency of their adds, and in the same loop the loads, adds and stores of the sums run in their shadow (a
     * vectorised sum, then [[add]], took longer: bench/NOTES.md). `a` may be `dst` itself (`from == to`: `dst += b`).
     */
    def sum(a: Array[Float], from: Int, b: Array[Float], dst: Array[Float], to: Int, n: Int): Unit = {
      val end = to + n
      val fromA = from - to // the index in a of dst(i): i + fromA; in b: i - to
      var i = to
      while (i < end && ((i & 3) != 0 || i >= n4)) { val x = a(i + fromA) + b(i - to); dst(i) = x; one(i, x); i += 1 }
      val stop = math.min(end, n4) & ~3
      var t0 = s0; var t1 = s1; var t2 = s2; var t3 = s3
      while (i < stop) {
        val ia = i + fromA; val ib = i - to
        val y0 = a(ia) + b(ib); val y1 = a(ia + 1) + b(ib + 1); val y2 = a(ia + 2) + b(ib + 2); val y3 = a(ia + 3) + b(ib + 3)
        dst(i) = y0; dst(i + 1) = y1; dst(i + 2) = y2; dst(i + 3) = y3
        val x0 = y0.toDouble; val x1 = y1.toDouble; val x2 = y2.toDouble; val x3 = y3.toDouble
        t0 += x0 * x0; t1 += x1 * x1; t2 += x2 * x2; t3 += x3 * x3
        i += 4
      }
      s0 = t0; s1 = t1; s2 = t2; s3 = t3
      while (i < end) { val x = a(i + fromA) + b(i - to); dst(i) = x; one(i, x); i += 1 }
    }

    private def one(i: Int, v: Float): Unit = {
      val x = v.toDouble * v.toDouble
      if (i >= n4) s0 += x else (i & 3) match { case 0 => s0 += x; case 1 => s1 += x; case 2 => s2 += x; case _ => s3 += x }
    }
  }

  /** `dst(dstOff + i) += src(srcOff + i)` for i < n, in one loop of locals (which the JIT vectorises). */
  private[parallel] def addInto(dst: Array[Float], dstOff: Int, src: Array[Float], srcOff: Int, n: Int): Unit = {
    var i = 0
    while (i < n) { dst(dstOff + i) += src(srcOff + i); i += 1 }
  }
}
