package ember.nn

import scala.collection.mutable.ArrayBuffer

import ember.tensor.Activity
import ember.tensor.dnn.{ChainedActivation, Dnn}

/**
 * Inference with the layers after a convolution folded into it, for [[Graph]] and [[Sequential]] in evaluation
 * mode on oneDNN (BigDL's and PyTorch's inference fusions): a [[SpatialConvolution]] whose output only a
 * [[SpatialBatchNormalization]] reads has the batch norm folded into its weights and bias; then a [[CAddTable]]
 * of that result and one other node (a ResNet block's residual addition) and/or a [[ReLU]] that alone read it
 * become oneDNN post-ops (sum, eltwise ReLU) of the same primitive ([[SpatialConvolution.inferenceChained]]):
 * one primitive instead of up to four passes over the activations, none of them on the JVM. A group's result
 * stays in oneDNN's memory, in the primitive's (blocked) layout, for the groups that read it (the next
 * convolution, a residual addition), and reaches the JVM only when another layer or the container's output reads
 * it: a ResNet runs from its first convolution to its pooling without its activations crossing to the JVM. Each
 * group runs when the container reaches its last member (every input is ready then) and its result becomes that
 * member's output; the members before it are skipped and their outputs are stale.
 *
 * Training is untouched: a forward in training mode first gives the members their own output buffers back, and a
 * backward after a fused forward (evaluation-mode gradients) re-runs the forward unfused first. One instance per
 * container, rebuilt when the container's modules change (e.g. wrapped by [[LayerTimes]]).
 */
private[nn] final class InferenceFusion {
  import InferenceFusion._

  private var planned: Array[Module] = null
  private var plan: Plan = null
  private var replaced: Array[Activity] = null
  private var anyReplaced = false
  // per group, this pass: its result in oneDNN's memory (null: ran unfused), and whether the JVM has it too
  private var results: Array[ChainedActivation] = null
  private var stored: Array[Boolean] = null

  /** Whether the last forward pass fused a group (so the members' outputs are stale). */
  var fused = false

  /** The plan for these modules (`prev`: each node's input nodes; `isOutput`: read from outside), null when
   * there is nothing to fuse or fusion is off (JVM kernels); starts a pass. */
  def planFor(modules: IndexedSeq[Module], prev: Int => IndexedSeq[Int], isOutput: Int => Boolean): Plan = {
    if (!Dnn.enabled || !enabled) return null
    if (planned == null || planned.length != modules.length || !planned.indices.forall(i => planned(i) eq modules(i))) {
      restore()
      planned = modules.toArray
      plan = InferenceFusion.plan(modules, prev, isOutput)
      replaced = new Array[Activity](modules.length)
      if (plan != null) { results = new Array(plan.groups.length); stored = new Array(plan.groups.length) }
    }
    if (plan != null) {
      java.util.Arrays.fill(results.asInstanceOf[Array[AnyRef]], null)
      java.util.Arrays.fill(stored, false)
    }
    fused = false
    plan
  }

  /**
   * Runs group `g` at its last member: fused on oneDNN when it can (reading its input and addend from the
   * groups that produced them, in oneDNN's memory, when they ran fused), else `unfused` runs its members
   * in turn, after the JVM got the outputs it reads.
   */
  def run(g: Group, x: => Activity, unfused: () => Unit): Unit = {
    val conv = planned(g.conv).asInstanceOf[SpatialConvolution]
    val bn = if (g.bn >= 0) planned(g.bn).asInstanceOf[SpatialBatchNormalization] else null
    val xNative = if (g.srcGroup >= 0) results(g.srcGroup) else null
    val addNative = if (g.addGroup >= 0) results(g.addGroup) else null
    val xJvm = if (xNative == null) x else null
    val addJvm = if (g.addend >= 0 && addNative == null) planned(g.addend).output else null
    val r =
      if ((bn != null && bn.isTraining) || (xJvm != null && !xJvm.isTensor) || (addJvm != null && !addJvm.isTensor)) null
      else conv.inferenceChained(if (xJvm == null) null else xJvm.toTensor, xNative, bn,
        if (addJvm == null) null else addJvm.toTensor, addNative, g.relu)
    if (r == null) {
      Seq(g.srcGroup, g.addGroup).filter(_ >= 0).foreach(store)
      unfused()
    } else {
      results(g.index) = r
      fused = true
      if (!g.nativeOnly) store(g.index)
    }
  }

  /** Gives the JVM group `i`'s result, if it ran fused: in its convolution's output buffer, as its last member's output. */
  private def store(i: Int): Unit = if (results(i) != null && !stored(i)) {
    val g = plan.groups(i)
    val t = planned(g.conv).asInstanceOf[SpatialConvolution].outputBuffer(results(i).shape)
    results(i).store(t)
    val last = planned(g.last)
    if (replaced(g.last) == null) { replaced(g.last) = last.output; anyReplaced = true }
    last.output = t
    stored(i) = true
  }

  /** Gives the last members their own outputs back (before training or an unfused pass). */
  def restore(): Unit = {
    if (anyReplaced) {
      for (i <- replaced.indices if replaced(i) != null) { planned(i).output = replaced(i); replaced(i) = null }
      anyReplaced = false
    }
    fused = false
  }
}

object InferenceFusion extends EnvSwitch("EMBER_FUSE_INFERENCE") { // disabled: evaluation mode runs unfused

  /**
   * A convolution and what folds into it (node indices; -1 for none), in execution order `members`; `index` in
   * the plan; `srcGroup`/`addGroup`: the group whose result is the convolution's input / the addend (or -1);
   * `nativeOnly`: only other groups read the result (so it need not reach the JVM).
   */
  private[nn] final class Group(val index: Int, val members: Array[Int], val conv: Int, val bn: Int, val addend: Int,
      val relu: Boolean) {
    def last: Int = members(members.length - 1)
    var srcGroup, addGroup = -1
    var nativeOnly = false
  }

  /** The groups; per node, the group that ends there (or null) and whether the node belongs to a group. */
  private[nn] final class Plan(val groups: IndexedSeq[Group], val at: Array[Group], val member: Array[Boolean])

  private def plan(modules: IndexedSeq[Module], prev: Int => IndexedSeq[Int], isOutput: Int => Boolean): Plan = {
    val n = modules.length
    val readers = Array.fill(n)(ArrayBuffer.empty[Int])
    for (j <- 0 until n; p <- prev(j)) readers(p) += j
    // the one node that reads i's output, once, when nothing outside does
    def sole(i: Int): Int =
      if (!isOutput(i) && readers(i).length == 1 && prev(readers(i).head).count(_ == i) == 1) readers(i).head else -1
    val at = new Array[Group](n)
    val member = new Array[Boolean](n)
    val groups = ArrayBuffer.empty[Group]
    for (i <- 0 until n) modules(i) match {
      case c: SpatialConvolution if c.getClass == classOf[SpatialConvolution] && !member(i) && prev(i).length <= 1 =>
        val ms = ArrayBuffer(i)
        var (cur, bn, addend, relu) = (i, -1, -1, false)
        // the next member: the sole reader of `cur`, unless an earlier group took it (two branches into one addition)
        def free(j: Int): Int = if (j >= 0 && !member(j)) j else -1
        var next = free(sole(cur))
        modules.lift(next) match {
          case Some(b: SpatialBatchNormalization) if b.getClass == classOf[SpatialBatchNormalization] &&
              b.nOutput == c.nOutputPlane && prev(next).length == 1 =>
            bn = next; ms += next; cur = next; next = free(sole(cur))
          case _ =>
        }
        modules.lift(next) match {
          case Some(a: CAddTable) if a.getClass == classOf[CAddTable] && prev(next).length == 2 =>
            addend = prev(next).find(_ != cur).get; ms += next; cur = next; next = free(sole(cur))
          case _ =>
        }
        modules.lift(next) match {
          case Some(r: ReLU) if r.getClass == classOf[ReLU] && prev(next).length == 1 => relu = true; ms += next
          case _ =>
        }
        if (ms.length > 1) {
          val g = new Group(groups.length, ms.toArray, i, bn, addend, relu)
          groups += g
          ms.foreach(m => member(m) = true)
          at(g.last) = g
        }
      case _ =>
    }
    if (groups.isEmpty) return null
    // which groups read which groups' results, and which results only groups read
    for (g <- groups) {
      prev(g.conv).headOption.foreach(p => if (at(p) != null) g.srcGroup = at(p).index)
      if (g.addend >= 0 && at(g.addend) != null) g.addGroup = at(g.addend).index
    }
    for (g <- groups) g.nativeOnly = !isOutput(g.last) && readers(g.last).nonEmpty && readers(g.last).forall { r =>
      val h = at.find(h => h != null && (h.conv == r || (h.addend == g.last && h.members.contains(r)))).orNull
      h != null && (h.conv == r && h.srcGroup == g.index || h.addGroup == g.index)
    }
    new Plan(groups.toIndexedSeq, at, member)
  }
}
