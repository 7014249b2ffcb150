package ember.tensor.dnn

/**
 * Which of the oneDNN kernels for pooling ([[DnnPool]]), elementwise activations ([[DnnEltwise]]) and softmax
 * ([[DnnSoftmax]]) the layers use when the oneDNN kernel set is on ([[Dnn.enabled]]).
 *
 * These layers are memory-bound: on Ember's NCHW tensors in JVM arrays every oneDNN call copies its inputs
 * into native buffers and its results out again, which costs about as much as a vectorised JVM loop. So each
 * kernel is on by default only where it measured faster than, or equal to, the JVM loop it replaces (thread CPU
 * time of forward + backward at LeNet-5 and ResNet-20 shapes, batch 128, `ember.nn.DnnOpsBench`; figures in
 * bench/NOTES.md):
 *
 *  - oneDNN by default: max and average pooling, Sigmoid, ELU, SoftPlus, ReLU6, LeakyReLU, SoftMax and
 *    LogSoftMax over features (their JVM loops call `exp` per element, walk windows element by element, or call
 *    `f`/`df` through [[ember.nn.Pointwise]]'s virtual methods; softmax over image channels stays on the JVM,
 *    see [[DnnSoftmax]]);
 *  - the JVM by default: ReLU and Tanh, whose loops are vectorised branch-free passes (one pass against
 *    oneDNN's copy in, compute, copy out: ReLU 3x and Tanh 2-3x faster on the JVM).
 *
 * `EMBER_DNN_OPS` overrides the set at start-up: `all`, `none`, `default`, or a comma-separated list of the
 * names below (e.g. `maxpool,avgpool,tanh`); [[withOps]] switches at run time (tests run every registry check
 * with all of them on). With the JVM kernel set (`EMBER_KERNELS=jvm`) none is used, whatever the set says.
 */
object DnnOps {
  /** A layer family with a oneDNN kernel here, by the name `EMBER_DNN_OPS` uses. */
  sealed abstract class Op(val name: String)
  case object MaxPool extends Op("maxpool")
  case object AvgPool extends Op("avgpool")
  case object Relu extends Op("relu")
  case object Relu6 extends Op("relu6")
  case object LeakyRelu extends Op("leakyrelu")
  case object Tanh extends Op("tanh")
  case object Sigmoid extends Op("sigmoid")
  case object Elu extends Op("elu")
  case object SoftPlus extends Op("softplus")
  case object SoftMax extends Op("softmax")
  case object LogSoftMax extends Op("logsoftmax")

  val all: Set[Op] = Set(MaxPool, AvgPool, Relu, Relu6, LeakyRelu, Tanh, Sigmoid, Elu, SoftPlus, SoftMax, LogSoftMax)

  /** The measured default (see the header). */
  val defaults: Set[Op] = Set(MaxPool, AvgPool, Sigmoid, Elu, SoftPlus, Relu6, LeakyRelu, SoftMax, LogSoftMax)

  /** The set an `EMBER_DNN_OPS` value names. */
  def parse(value: String): Set[Op] = value.trim.toLowerCase match {
    case "" | "default" => defaults
    case "all" => all
    case "none" => Set.empty
    case list =>
      list.split(",").map(_.trim).filter(_.nonEmpty).map { n =>
        all.find(_.name == n).getOrElse(throw new IllegalArgumentException(
          s"EMBER_DNN_OPS: unknown kernel '$n', expected all, none, default or a list of ${all.map(_.name).toSeq.sorted.mkString(", ")}"))
      }.toSet
  }

  @volatile private var chosen: Set[Op] = sys.env.get("EMBER_DNN_OPS").map(parse).getOrElse(defaults)

  /** The oneDNN kernels of this family that the layers use (when the oneDNN kernel set is on). */
  def selected: Set[Op] = chosen

  /** Whether a layer of family `op` runs on oneDNN now. */
  def use(op: Op): Boolean = chosen.contains(op) && Dnn.enabled

  /**
   * Whether a[off, off + n) holds a NaN. First a fast pass: the sums of x * 0 in four independent accumulators
   * stay 0 unless some x is NaN or infinite (floating-point adds pipeline; a running Math.max, or one running
   * sum, is a chain of dependent instructions that the JIT does not vectorise); only then an exact look.
   */
  def hasNaN(a: Array[Float], off: Int, n: Int): Boolean = {
    var s0, s1, s2, s3 = 0f
    var i = off
    val end = off + n
    val end4 = off + (n & ~3)
    while (i < end4) { s0 += a(i) * 0f; s1 += a(i + 1) * 0f; s2 += a(i + 2) * 0f; s3 += a(i + 3) * 0f; i += 4 }
    while (i < end) { s0 += a(i) * 0f; i += 1 }
    java.lang.Float.isNaN(s0 + s1 + s2 + s3) && {
      i = off
      while (i < end && !java.lang.Float.isNaN(a(i))) i += 1
      i < end
    }
  }

  /** Selects the given set (tests, benchmarks). */
  def select(ops: Set[Op]): Unit = chosen = ops

  /** Runs `body` with the given set selected, restoring the previous one after (tests, benchmarks). */
  def withOps[T](ops: Set[Op])(body: => T): T = {
    val before = chosen
    chosen = ops
    try body finally chosen = before
  }
}
