package ember.keras

import java.util.concurrent.atomic.AtomicInteger

import scala.collection.concurrent.TrieMap

import ember.nn.{Module, Node, Sequential => NnSequential}

/**
 * The Keras-style front end (BigDL's `bigdl.nn.keras`): a Keras layer is a shape function plus a factory of
 * ordinary [[ember.nn]] modules. Shapes here never include the batch dimension. [[Sequential.add]] and a
 * functional call `layer(node)` ask the layer for its output shape given its input shapes (checking them, so a
 * mismatch is reported where the model is written, naming the layer), then build the modules, named after the
 * layer. The finished model is a plain `ember.nn` module in the usual model file format; nothing of this
 * package is needed to load or run it.
 *
 * A layer object builds new modules each time it is applied: applying one layer to two nodes gives two
 * modules with their own weights (no weight sharing).
 */
abstract class KerasLayer(val inputShape: Array[Int], name: String) {
  require(inputShape == null || (inputShape.nonEmpty && inputShape.forall(_ > 0)),
    s"$kind: inputShape must hold positive sizes (without the batch dimension), got ${Shapes.show(inputShape)}")

  /** This layer's name: the one given, else the kind with a counter ("dense_1"). */
  val layerName: String = if (name != null && name.nonEmpty) name else KerasLayer.freshName(kind)

  /** The Keras class name of this layer (used in names, messages and the summary). */
  def kind: String = getClass.getSimpleName

  /** How many inputs this layer takes (merges take two or more). */
  def inputCount: Range = 1 to 1

  /** The output shape for inputs of shapes `in`; fails with a message naming this layer if they do not fit. */
  def outputShape(in: Seq[Array[Int]]): Array[Int]

  /** The modules computing this layer for inputs of shapes `in` (already checked by [[outputShape]]). */
  protected def module(in: Seq[Array[Int]]): Module

  /** The modules and output shape for inputs of shapes `in`. */
  final def build(in: Seq[Array[Int]]): (Module, Array[Int]) = {
    require(inputCount.contains(in.length), s"$layerName ($kind): expected ${Shapes.count(inputCount)} inputs, got ${in.length}")
    val out = outputShape(in)
    (module(in).setName(layerName), out)
  }

  /** Applies this layer to graph nodes (the functional API): `Dense(10)(Dense(20)(Input(Array(4))))`. */
  def apply(nodes: KerasNode*): KerasNode = {
    val (m, out) = build(nodes.map(_.shape))
    new KerasNode(m.inputs(nodes.map(_.node): _*), out, this, m, nodes.toIndexedSeq)
  }

  /** [[apply]] for Java and Python callers. */
  def inputs(nodes: Array[KerasNode]): KerasNode = apply(nodes.toIndexedSeq: _*)

  protected def fail(message: String): Nothing = throw new IllegalArgumentException(s"$layerName ($kind): $message")
  protected def check(cond: Boolean, message: => String): Unit = if (!cond) fail(message)
}

/** A layer with one input: [[outputShape]] and [[module]] of that input's shape. */
abstract class SingleInputLayer(inputShape: Array[Int], name: String) extends KerasLayer(inputShape, name) {
  def outputShape(in: Array[Int]): Array[Int]
  protected def module(in: Array[Int]): Module

  final override def outputShape(in: Seq[Array[Int]]): Array[Int] = outputShape(in.head)
  final override protected def module(in: Seq[Array[Int]]): Module = module(in.head)

  protected def checkRank(in: Array[Int], rank: Int, what: String): Unit =
    check(in.length == rank, s"expected inputs of shape $what (without the batch), got ${Shapes.show(in)}")
}

/** A layer followed by an optional activation given by its Keras name ("relu", "softmax", ...; null = none). */
abstract class ActivatedLayer(activation: String, inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  private val activationModule: () => Option[Module] = Activations.factory(activation)

  /** The modules before the activation. */
  protected def core(in: Array[Int]): Module

  final override protected def module(in: Array[Int]): Module = activationModule() match {
    case None => core(in)
    case Some(a) => new NnSequential().add(core(in)).add(a)
  }
}

/** A node of a functional Keras model: an ember.nn graph node plus its output shape and the layer that made it. */
final class KerasNode(val node: Node, val shape: Array[Int], val layer: KerasLayer, val module: Module,
    val prev: IndexedSeq[KerasNode]) {

  /** The output shape without the batch dimension. */
  def getShape: Array[Int] = shape.clone()

  override def toString: String = s"KerasNode(${layer.layerName}, ${Shapes.show(shape)})"
}

/** The input of a functional model: `new InputLayer(Array(1, 28, 28)).node` (or [[Input]]). */
class InputLayer(shape: Array[Int], name: String) extends SingleInputLayer(shape, name) {
  require(shape != null, "InputLayer: a shape (without the batch dimension) is required")
  def this(shape: Array[Int]) = this(shape, null)

  override def outputShape(in: Array[Int]): Array[Int] = in
  override protected def module(in: Array[Int]): Module = new ember.nn.Input()

  /** The node of this input. */
  lazy val node: KerasNode = {
    val (m, out) = build(Seq(shape))
    new KerasNode(m.inputs(), out, this, m, IndexedSeq.empty)
  }
}

/** `Input(shape)`: a new functional-model input node of that shape (without the batch dimension). */
object Input {
  def apply(shape: Array[Int], name: String = null): KerasNode = new InputLayer(shape, name).node
}

private[keras] object KerasLayer {
  private val counters = TrieMap.empty[String, AtomicInteger]

  def freshName(kind: String): String = {
    val snake = kind.replaceAll("([a-z])([A-Z])", "$1_$2").toLowerCase
    s"${snake}_${counters.getOrElseUpdate(snake, new AtomicInteger()).incrementAndGet()}"
  }
}

/** Shape arithmetic and messages shared by the layers. */
private[keras] object Shapes {
  def show(s: Array[Int]): String = if (s == null) "null" else s.mkString("(", ", ", if (s.length == 1) ",)" else ")")
  def count(r: Range): String = if (r.length == 1) s"${r.start}" else if (r.end == Int.MaxValue) s"${r.start} or more" else s"${r.start} to ${r.last}"

  /** Output length of a window of `k` with stride `s` over `n`: "valid" (no padding) or "same" (ceil(n / s)). */
  def windowed(n: Int, k: Int, s: Int, borderMode: String): Int = borderMode match {
    case "valid" => if (n < k) -1 else (n - k) / s + 1
    case "same" => (n + s - 1) / s
  }

  /** The total padding "same" needs along one axis. */
  def samePadding(n: Int, k: Int, s: Int): Int = math.max((windowed(n, k, s, "same") - 1) * s + k - n, 0)

  def checkBorderMode(layer: String, mode: String): String = {
    require(mode == "valid" || mode == "same", s"$layer: borderMode must be 'valid' or 'same', got '$mode'")
    mode
  }
}
