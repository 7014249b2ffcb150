package ember.nn

import scala.collection.mutable.ArrayBuffer

import ember.tensor.{Activity, Tensor}
import ember.tensor.dnn.DnnConvBn

/**
 * Training with a convolution, its batch normalisation and a ReLU chained on oneDNN, for [[Graph]] and
 * [[Sequential]] in training mode ([[ember.tensor.dnn.DnnConvBn]]): a [[SpatialConvolution]] whose output only
 * a [[SpatialBatchNormalization]] (in training mode) reads, and the [[ReLU]] that alone reads the batch norm's
 * output, if there is one, run as one group whose intermediate activations stay in oneDNN's blocked layout,
 * forward and backward; only the group's input, result and their gradients cross to the JVM. Every ResNet
 * convolution is such a group (with the ReLU after the first of each block). The group runs when the container
 * reaches its last member and its result is that member's output (with an in-place ReLU also the batch norm's,
 * as unfused); the convolution's output (and with a ReLU that is not in place the batch norm's) is stale. Its
 * backward runs at the last member too, with the member modules' own propagateBack and frozen flags, and gives
 * the convolution's gradInput. A group whose batch does not fit (not a 4-d batch of the convolution's planes,
 * one value per channel, JVM kernels) runs its members one by one, as does everything when
 * [[TrainingFusion.enabled]] is off (`EMBER_FUSE_TRAINING=0`). One instance per container, rebuilt when the
 * container's modules change.
 *
 * Two groups in a row, the second reading only the first's result (a ResNet block's conv-BN-ReLU and its second
 * convolution), are linked: the first's result stays in oneDNN's memory for the second (its ReLU's output is not
 * written to the JVM), and in a backward pass the second hands the first its gradient there too. Only the block
 * boundaries cross to the JVM then.
 */
private[nn] final class TrainingFusion {
  import TrainingFusion._

  private var planned: Array[Module] = null
  private var plan: Plan = null
  private var states: Array[DnnConvBn.State] = null
  private var keys: Array[DnnConvBn.Key] = null
  // per group: whether it ran fused in this pass; whether the linked group after it handed it its gradient
  private var ran: Array[Boolean] = null
  private var handed: Array[Boolean] = null

  /** Whether the last forward pass ran a group fused. */
  var fused = false

  /** The plan for these modules (`prev`: each node's input nodes; `isOutput`: read from outside; `sourceConv`:
   * whether a convolution reading the container's input may start a group), null when there is nothing to fuse
   * or fusion is off; starts a forward pass. */
  def planFor(modules: IndexedSeq[Module], prev: Int => IndexedSeq[Int], isOutput: Int => Boolean,
      sourceConv: Boolean): Plan = {
    fused = false
    if (!enabled || !DnnConvBn.available) return null
    if (planned == null || planned.length != modules.length || !planned.indices.forall(i => planned(i) eq modules(i))) {
      planned = modules.toArray
      plan = TrainingFusion.plan(modules, prev, isOutput, sourceConv)
      if (plan != null) {
        states = Array.fill(plan.groups.length)(new DnnConvBn.State)
        keys = new Array(plan.groups.length)
        ran = new Array(plan.groups.length)
        handed = new Array(plan.groups.length)
      }
    }
    if (plan != null) java.util.Arrays.fill(ran, false)
    plan
  }

  /** Runs group `g` on input `x` at its last member: chained when it can, else `unfused` runs the members. */
  def run(g: Group, x: Activity, unfused: () => Unit): Unit = {
    val conv = planned(g.conv).asInstanceOf[SpatialConvolution]
    val bn = planned(g.bn).asInstanceOf[SpatialBatchNormalization]
    val relu = if (g.relu >= 0) planned(g.relu).asInstanceOf[ReLU] else null
    // the input: kept in oneDNN's memory by the group before (linked), or the JVM tensor
    val from = if (g.from >= 0 && ran(g.from) && states(g.from).kept) states(g.from) else null
    val shape = if (from != null) { val c = keys(g.from).conv; Array(c.n, c.outC, c.outH, c.outW) }
      else if (x.isTensor) x.toTensor.shape else null
    val s = if (shape != null) specIfChainable(conv, bn, shape) else null
    if (s == null) {
      if (from != null) DnnConvBn.store(from, planned(plan.groups(g.from).last).output.toTensor)
      unfused()
      return
    }
    val key = DnnConvBn.Key(s, bn.eps.toFloat, bn.affine, relu != null)
    // keep the result in oneDNN's memory when the linked group after this one will take it from there
    val keep = g.to >= 0 && {
      val next = plan.groups(g.to)
      specIfChainable(planned(next.conv).asInstanceOf[SpatialConvolution], planned(next.bn).asInstanceOf[SpatialBatchNormalization],
        Array(s.n, s.outC, s.outH, s.outW)) != null
    }
    // the result: the batch norm's output buffer (an in-place ReLU's output is its input), else the ReLU's own
    val out = if (keep) null
      else (if (relu != null && !relu.ip) relu.output else bn.output).toTensor.resize(s.n, s.outC, s.outH, s.outW)
    DnnConvBn.forward(key, states(g.index), if (from == null) x.toTensor.contiguous() else null, from, conv.weight,
      if (conv.withBias) conv.bias else null, bn.weight, bn.bias, bn.runningMean, bn.runningVar, bn.momentum, out, keep)
    if (relu != null && out != null) relu.output = out
    keys(g.index) = key
    ran(g.index) = true
    handed(g.index) = false
    fused = true
  }

  /** The convolution's geometry for an input of `shape` when the group can run chained on it, else null. */
  private def specIfChainable(conv: SpatialConvolution, bn: SpatialBatchNormalization, shape: Array[Int]) =
    if (!bn.isTraining || shape.length != 4 || shape(0) == 0 || shape(1) != conv.nInputPlane) null
    else {
      val s = try conv.convSpecFor(shape(0), shape(2), shape(3)) catch { case _: IllegalArgumentException => null }
      if (s == null || s.n.toLong * s.outH * s.outW <= 1) null else s
    }

  /** Forward passes that plan nothing (evaluation mode) call this: no group ran chained. */
  def skipPass(): Unit = fused = false

  /** The group node `i` belongs to if that group ran chained in the last forward pass (then its backward must
   * run here, at its last member, and its other members are skipped), else null. */
  def fusedGroup(i: Int): Group =
    if (!fused || plan == null) null else { val g = plan.groupOf(i); if (g != null && ran(g.index)) g else null }

  /**
   * The backward of group `g` (a [[fusedGroup]]) from the gradient of its result: the convolution's input
   * gradient into its gradInput when `wantInput`, the members' parameter gradients (unless frozen) when
   * `wantParams`. Returns the convolution's gradInput (undefined without `wantInput`). With `handOff` (a whole
   * backward pass, from the last group to the first), a linked group's input gradient goes to the group before
   * it in oneDNN's memory, and that group's `gradOutput` is then ignored (the convolution's gradInput, not
   * written, is what the container passes on).
   */
  def backward(g: Group, x: Activity, gradOutput: Activity, wantInput: Boolean, wantParams: Boolean,
      handOff: Boolean): Activity = {
    val conv = planned(g.conv).asInstanceOf[SpatialConvolution]
    val bn = planned(g.bn).asInstanceOf[SpatialBatchNormalization]
    val st = states(g.index)
    val k = keys(g.index)
    val from = if (g.from >= 0 && ran(g.from) && states(g.from).kept) states(g.from) else null
    val handedIn = handed(g.index)
    handed(g.index) = false
    // a kept result never reached the JVM: its gradient comes from the linked group, in oneDNN's memory or as a tensor
    if (!st.kept && !handedIn) planned(g.last).checkGradOutput(gradOutput)
    val go = if (handedIn) null else gradOutput.toTensor.contiguous()
    val to = if (wantInput && handOff && from != null) from else null
    val gi = if (wantInput && to == null) {
      val c = k.conv
      conv.gradInput.toTensor.resize(c.n, c.inC, c.inH, c.inW)
    } else null
    val convParams = wantParams && !conv.isFrozen
    val bnParams = wantParams && !bn.isFrozen && bn.affine
    DnnConvBn.backward(k, st, if (from == null) x.toTensor.contiguous() else null, from, go, conv.weight, bn.weight,
      gi, to, if (convParams) conv.gradWeight else null, if (convParams && conv.withBias) conv.gradBias else null,
      if (bnParams) bn.gradWeight else null, if (bnParams) bn.gradBias else null)
    if (to != null) handed(g.from) = true
    conv.gradInput
  }
}

object TrainingFusion extends EnvSwitch("EMBER_FUSE_TRAINING") { // disabled: training runs unchained

  /** A convolution, its batch norm and ReLU (-1: none), node indices; `members` in execution order; `from` / `to`:
   * the group whose result is this one's input, linked in oneDNN's memory / the group linked to this one's result
   * (-1: none). */
  private[nn] final class Group(val index: Int, val conv: Int, val bn: Int, val relu: Int) {
    val members: Array[Int] = if (relu >= 0) Array(conv, bn, relu) else Array(conv, bn)
    def last: Int = members(members.length - 1)
    var from, to = -1
  }

  /** The groups; per node, the group that ends there (or null) and whether the node belongs to a group. */
  private[nn] final class Plan(val groups: IndexedSeq[Group], val at: Array[Group], val member: Array[Boolean]) {
    /** Per node, the group it belongs to (or null). */
    val groupOf: Array[Group] = {
      val a = new Array[Group](at.length)
      for (g <- groups; m <- g.members) a(m) = g
      a
    }
  }

  /** `sourceConv`: whether a convolution without an input node (the container's input) may start a group. */
  private def plan(modules: IndexedSeq[Module], prev: Int => IndexedSeq[Int], isOutput: Int => Boolean,
      sourceConv: Boolean): Plan = {
    val n = modules.length
    val readers = Array.fill(n)(ArrayBuffer.empty[Int])
    for (j <- 0 until n; p <- prev(j)) readers(p) += j
    def sole(i: Int): Int =
      if (!isOutput(i) && readers(i).length == 1 && prev(readers(i).head) == IndexedSeq(i)) readers(i).head else -1
    val at = new Array[Group](n)
    val member = new Array[Boolean](n)
    val groups = ArrayBuffer.empty[Group]
    for (i <- 0 until n) modules(i) match {
      case c: SpatialConvolution if c.getClass == classOf[SpatialConvolution] &&
          (prev(i).length == 1 || (sourceConv && prev(i).isEmpty)) =>
        val b = sole(i)
        modules.lift(b) match {
          case Some(bn: SpatialBatchNormalization) if bn.getClass == classOf[SpatialBatchNormalization] &&
              bn.nOutput == c.nOutputPlane =>
            val r = sole(b)
            val relu = modules.lift(r) match {
              case Some(m: ReLU) if m.getClass == classOf[ReLU] => r
              case _ => -1
            }
            val g = new Group(groups.length, i, b, relu)
            groups += g
            g.members.foreach(m => member(m) = true)
            at(g.last) = g
          case _ =>
        }
      case _ =>
    }
    if (groups.isEmpty) return null
    // links: group b reads group a's result alone, and no other group's backward runs between b's and a's (the
    // hand-off buffer is the thread's)
    for (b <- groups; p <- prev(b.conv).headOption; a = at(p) if a != null && sole(p) == b.conv &&
        modules(b.conv).asInstanceOf[SpatialConvolution].nInputPlane == modules(a.conv).asInstanceOf[SpatialConvolution].nOutputPlane &&
        (a.last + 1 until b.last).forall(j => !member(j) || b.members.contains(j))) {
      a.to = b.index
      b.from = a.index
    }
    new Plan(groups.toIndexedSeq, at, member)
  }
}
