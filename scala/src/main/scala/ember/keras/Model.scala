package ember.keras

import scala.collection.mutable

import ember.nn.{Graph, Module}

/**
 * A functional Keras model (Keras' `Model(input, output)`) over nodes made by [[Input]] and `layer(node)`:
 * an [[ember.nn.Graph]] of the layers' modules ([[module]]). Inputs and outputs follow the Graph's rules: one
 * array for one input, a list for several.
 *
 * {{{
 * val x = Input(Array(8))
 * val h = new Dense(16, "relu").apply(x)
 * val model = new Model(Array(x), Array(new Dense(1, "sigmoid").apply(new Concatenate().apply(h, x))))
 * }}}
 */
class Model(val inputs: Array[KerasNode], val outputs: Array[KerasNode]) extends KerasModel {
  require(inputs != null && inputs.nonEmpty && !inputs.contains(null), "Model: inputs must be one or more nodes")
  require(outputs != null && outputs.nonEmpty && !outputs.contains(null), "Model: outputs must be one or more nodes")
  require(inputs.forall(_.layer.isInstanceOf[InputLayer]), "Model: every input must be a node made by Input(shape)")

  def this(input: KerasNode, output: KerasNode) = this(Array(input), Array(output))

  private val graph = new Graph(inputs.map(_.node).toSeq, outputs.map(_.node).toSeq)

  override def module: Module = graph

  /** The nodes in topological order (each after the nodes it reads). */
  private lazy val ordered: Seq[KerasNode] = {
    val seen = mutable.LinkedHashSet.empty[KerasNode]
    def visit(n: KerasNode): Unit = if (!seen.contains(n)) { n.prev.foreach(visit); seen += n }
    outputs.foreach(visit)
    seen.toSeq
  }

  override def layers: Seq[LayerSummary] =
    ordered.map(n => LayerSummary(n.layer.layerName, n.layer.kind, n.shape, n.module.parameterCount, n.prev.map(_.layer.layerName)))

  /** The output shapes (without the batch), one per output. */
  def getOutputShapes: Array[Array[Int]] = outputs.map(_.getShape)
}
