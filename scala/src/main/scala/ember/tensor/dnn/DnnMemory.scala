package ember.tensor.dnn

import org.bytedeco.javacpp.{BytePointer, FloatPointer, LongPointer, Pointer}
import org.bytedeco.dnnl.{memory, primitive_attr, primitive_desc_base, reorder, stream, IntMemoryMap}
import org.bytedeco.dnnl.global.{dnnl => api}

/**
 * Memory of one primitive argument. Ember's tensors live in JVM float arrays, oneDNN's in native buffers, so
 * every argument has a plain ("user") buffer in Ember's layout that arrays are copied into and out of, and, when
 * the primitive prefers a blocked layout (e.g. nChw8c on AVX2), a second buffer in that layout with the two
 * reorders between them. The copies are linear memory traffic; the blocked layouts are what make oneDNN's
 * convolutions fast, so they pay for themselves on every layer where the primitive chose one.
 *
 * With a `slot` (>= 0), the two buffers are not this memory's own but slot `slot` of the calling thread's
 * [[DnnMemory.Arena]] (with `ownPrim`, only the plain one: the primitive-layout buffer is this memory's own, for
 * data that lives on between calls, see [[DnnConv.chainOutput]]), shared by every primitive plan of the thread: a plan's batch-sized buffers only carry
 * data within one call (every call copies its inputs in and its results out), and one thread runs one plan at
 * a time, so the thread needs each slot once, at the largest size any plan asks, instead of one set per
 * layer geometry. [[bind]] must run before each call that uses the memory.
 */
private[tensor] final class DnnMemory(val user: memory.desc, val prim: memory.desc, slot: Int = -1, ownPrim: Boolean = false) {
  private val eng = Dnn.engine
  private val shared = slot >= 0
  val userMem: memory = if (shared) new memory(user, eng, null.asInstanceOf[Pointer]) else new memory(user, eng)
  val primMem: memory =
    if (prim.equals(user) && !ownPrim) userMem
    else if (shared && !ownPrim) new memory(prim, eng, null.asInstanceOf[Pointer]) else new memory(prim, eng)
  private val toPrim = if (primMem eq userMem) null else DnnMemory.Reorder(userMem, primMem)
  private val fromPrim = if (primMem eq userMem) null else DnnMemory.Reorder(primMem, userMem)
  val elements: Int = (user.get_size() / 4).toInt
  private var data: FloatPointer = if (shared) null else new FloatPointer(userMem.get_data_handle()).capacity(elements.toLong)
  private var boundUser, boundPrim = 0L

  /** Points an arena-backed memory at this thread's slot buffers (grown when too small); no-op for own buffers. */
  def bind(): Unit = if (shared) {
    val arena = DnnMemory.arena.get()
    val u = arena.buffer(2 * slot, user.get_size())
    if (u.address + u.position != boundUser) {
      userMem.set_data_handle(u)
      boundUser = u.address + u.position
      data = new FloatPointer(userMem.get_data_handle()).capacity(elements.toLong)
    }
    if ((primMem ne userMem) && !ownPrim) {
      val p = arena.buffer(2 * slot + 1, prim.get_size())
      if (p.address + p.position != boundPrim) { primMem.set_data_handle(p); boundPrim = p.address + p.position }
    }
  }

  /** Copies `elements` floats from the array into the user buffer and reorders them to the primitive's layout. */
  def load(s: stream, arr: Array[Float], off: Int): Unit = {
    require(off >= 0 && off + elements <= arr.length, s"DnnMemory.load: $elements floats at $off exceed ${arr.length}")
    data.position(0).put(arr, off, elements)
    if (toPrim != null) toPrim.run(s)
  }

  /** Copies the user buffer (already holding the data in Ember's layout) into the array. */
  def copyOut(arr: Array[Float], off: Int): Unit = {
    require(off >= 0 && off + elements <= arr.length, s"DnnMemory.copyOut: $elements floats at $off exceed ${arr.length}")
    data.position(0).get(arr, off, elements)
  }

  /** Reorders the primitive's result to the user layout and copies it into the array. */
  def store(s: stream, arr: Array[Float], off: Int): Unit = {
    require(off >= 0 && off + elements <= arr.length, s"DnnMemory.store: $elements floats at $off exceed ${arr.length}")
    if (fromPrim != null) fromPrim.run(s)
    data.position(0).get(arr, off, elements)
  }
}

private[tensor] object DnnMemory {
  val f32: memory.data_type = memory.data_type.f32

  /** One thread's shared native buffers, by slot, each as large as the largest request so far, 64-byte aligned. */
  final class Arena {
    private var buffers = new Array[BytePointer](0)

    /** Slot `i`'s buffer, at least `bytes` long (a larger one replaces it; memories re-bind to the new one). */
    def buffer(i: Int, bytes: Long): BytePointer = {
      if (i >= buffers.length) buffers = java.util.Arrays.copyOf(buffers, i + 1)
      val b = buffers(i)
      if (b != null && b.capacity - b.position >= bytes) b
      else {
        if (b != null) b.deallocate()
        val fresh = new BytePointer(bytes + 64)
        fresh.position((64 - fresh.address % 64) % 64)
        buffers(i) = fresh
        fresh
      }
    }
  }

  /** The calling thread's arena (see [[DnnMemory]]'s `slot`). */
  val arena: ThreadLocal[Arena] = ThreadLocal.withInitial(() => new Arena)

  /** A plain descriptor with the given dimensions and format tag (nchw, oihw, x, ...). */
  def desc(dims: Seq[Int], tag: memory.format_tag): memory.desc = new memory.desc(dims.map(_.toLong).toArray, f32, tag)

  /** The same dimensions, layout left to the primitive. */
  def any(dims: Seq[Int]): memory.desc = any(dims, f32)

  /** Layout left to the primitive, in data type `dt` (bf16 in mixed precision: [[DnnMemory]] then converts
   * between Ember's float32 arrays and the primitive's bf16 buffer in the reorders it already has). */
  def any(dims: Seq[Int], dt: memory.data_type): memory.desc =
    new memory.desc(dims.map(_.toLong).toArray, dt, memory.format_tag.any)

  def longs(values: Int*): LongPointer = new LongPointer(values.map(_.toLong): _*)

  /**
   * Primitive attributes with a user-managed scratchpad: oneDNN's default library-managed scratchpad is one
   * buffer shared by all primitives, which two model replicas running at once would both write (the recurrent
   * kernels crashed so). Each primitive gets its own scratchpad memory, passed with [[scratchpad]].
   */
  def attr(): primitive_attr = { val a = new primitive_attr(); a.set_scratchpad_mode(api.scratchpad_mode.user); a }

  /** The scratchpad argument a primitive built with [[attr]] needs. */
  def scratchpad(pd: primitive_desc_base): (Int, memory) = api.DNNL_ARG_SCRATCHPAD -> new memory(pd.scratchpad_desc(), Dnn.engine)

  /** A reorder between two memories, with its own scratchpad. */
  final case class Reorder(from: memory, to: memory) {
    private val pd = new reorder.primitive_desc(from, to, attr(), false)
    private val prim = new reorder(pd)
    private val map = args(api.DNNL_ARG_FROM -> from, api.DNNL_ARG_TO -> to, scratchpad(pd))
    def run(s: stream): Unit = prim.execute(s, map)
  }

  /** Adds the first `n` floats of `from` into the contiguous tensor `into` (gradients accumulate). */
  def addInto(from: Array[Float], n: Int, into: ember.tensor.Tensor): Unit = {
    val (a, off) = (into.storage, into.offset)
    var i = 0
    while (i < n) { a(off + i) += from(i); i += 1 }
  }

  /** An argument map for `primitive.execute`. */
  def args(pairs: (Int, memory)*): IntMemoryMap = {
    val m = new IntMemoryMap()
    pairs.foreach { case (k, v) => m.put(k, v) }
    m
  }
}
