package ember.nn

import ember.tensor.Activity

/**
 * The placeholder module of a graph input: passes its input through unchanged. `Input()` (the companion)
 * gives the node to start a [[Graph]] from, as BigDL's `Input()` does.
 */
class Input extends Module {
  override def updateOutput(input: Activity): Activity = { output = input; output }
  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = { gradInput = gradOutput; gradInput }
}

object Input {

  /** A new graph input node. */
  def apply(): Node = new Input().inputs()

  /** A new graph input node whose module is named `name`. */
  def apply(name: String): Node = new Input().setName(name).inputs()
}

/**
 * A node of a [[Graph]]: a module and the nodes whose outputs feed it, in order. Built by
 * `module.inputs(nodes: _*)` or [[Input]]; immutable.
 */
final class Node(val module: Module, val prev: IndexedSeq[Node]) {
  require(module != null, "a graph node needs a module")
  require(!prev.contains(null), s"a null input node given to ${module.getName}")

  /** The module's name. */
  def name: String = module.getName

  /** The input nodes as an array (for Python). */
  def prevNodes: Array[Node] = prev.toArray

  override def toString: String = s"Node(${module.getName} <- ${prev.map(_.module.getName).mkString("[", ", ", "]")})"
}
