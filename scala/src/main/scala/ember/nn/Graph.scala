package ember.nn

import scala.collection.mutable

import ember.tensor.{Activity, Table, Tensor}

/**
 * A network of modules wired by the functional API (BigDL's `Graph(inputs, outputs)`; Python's
 * `Model(inputs, outputs)`): multi-input, multi-output and branching models such as ResNet shortcuts or
 * two-tower recommenders.
 *
 * {{{
 *   val x = Input(); val y = Input()
 *   val h = new CAddTable().inputs(new Linear(4, 3).inputs(x), new Linear(5, 3).inputs(y))
 *   val g = new Graph(Seq(x, y), Seq(new Tanh().inputs(h)))   // input Table(x, y) -> output tensor
 * }}}
 * A node with one input node gets that node's output, one with several gets the table of their outputs.
 * The graph's input is a tensor for one input node, else a table with one item per input node; likewise
 * its output. Nodes run in a topological order (the children, in that order, are what the model file
 * stores, with each node's input indices); backward visits them in reverse and sums the gradients a
 * node receives from several consumers. Every node must lead to an output and come from the inputs.
 * A module can appear in one node only (weight sharing between nodes is not supported).
 */
class Graph private (inputIds: Array[Int], outputIds: Array[Int], wiring: IndexedSeq[IndexedSeq[Int]],
    ) extends Container {

  /** Builds the graph of the nodes between `inputs` and `outputs`. */
  def this(inputs: Seq[Node], outputs: Seq[Node]) = {
    this(Array.emptyIntArray, Array.emptyIntArray, Vector.empty)
    wire(inputs, outputs)
  }

  /** For Python: the same with arrays. */
  def this(inputs: Array[Node], outputs: Array[Node]) = this(inputs.toSeq, outputs.toSeq)

  /** For the model file: each node's input indices, the input and output node indices; modules come by `add`. */
  def this(predecessors: Seq[Any], inputNodes: Array[Int], outputNodes: Array[Int]) =
    this(inputNodes, outputNodes, predecessors.map(Graph.intList).toIndexedSeq)

  private var prevIds: IndexedSeq[IndexedSeq[Int]] = wiring
  private var inIds: Array[Int] = inputIds
  private var outIds: Array[Int] = outputIds
  private var sealed_ = false

  // per-pass state, indexed like `modules`
  private var nodeInput: Array[Activity] = Array.empty
  private var nodeGrad: Array[Activity] = Array.empty
  // a node's gradient sum when several consumers send it one, reused across iterations
  private var sumBuffers: Array[Tensor] = Array.empty

  override def add(module: Module): this.type = {
    require(!sealed_ && modules.length < prevIds.length,
      "Graph: the modules of a graph come from its nodes; build a new Graph(inputs, outputs) instead of add()")
    super.add(module)
    if (modules.length == prevIds.length) seal()
    this
  }

  /** Wires the graph from nodes (called by the node constructor right after construction). */
  private def wire(inputs: Seq[Node], outputs: Seq[Node]): Unit = {
    require(inputs.nonEmpty && outputs.nonEmpty, "Graph: needs at least one input node and one output node")
    val order = Graph.topological(outputs)
    val index = new java.util.IdentityHashMap[Node, Int]()
    order.zipWithIndex.foreach { case (n, i) => index.put(n, i) }
    val seenModules = new java.util.IdentityHashMap[Module, Node]()
    for (n <- order) {
      val other = seenModules.put(n.module, n)
      require(other == null, s"Graph: module ${n.module.getName} appears in two nodes; use one module per node")
    }
    for ((n, i) <- inputs.zipWithIndex) {
      require(index.containsKey(n), s"Graph: input $i (${n.name}) does not lead to any output")
      require(n.prev.isEmpty, s"Graph: input $i (${n.name}) has input nodes itself; inputs must be source nodes")
    }
    require(inputs.distinct.size == inputs.size, "Graph: the same input node is listed twice")
    for (n <- order if n.prev.isEmpty && !inputs.exists(_ eq n))
      throw new IllegalArgumentException(s"Graph: node ${n.name} has no input nodes and is not one of the graph's inputs")
    prevIds = order.map(n => n.prev.map(p => index.get(p): Int))
    inIds = inputs.map(n => index.get(n): Int).toArray
    outIds = outputs.map(n => index.get(n): Int).toArray
    order.foreach(n => super.add(n.module))
    seal()
  }

  private def seal(): Unit = {
    require(inIds.nonEmpty && outIds.nonEmpty, "Graph: needs at least one input node and one output node")
    val n = modules.length
    require(prevIds.length == n && (inIds ++ outIds ++ prevIds.flatten).forall(i => i >= 0 && i < n),
      s"Graph: node indices out of range for $n nodes")
    require(prevIds.indices.forall(i => prevIds(i).forall(_ < i)), "Graph: the wiring is not in topological order")
    sealed_ = true
    nodeInput = new Array[Activity](n)
    nodeGrad = new Array[Activity](n)
    if (!propagateBack) setPropagateBack(false) // set before the last module came
  }

  /**
   * Without [[propagateBack]], only the nodes that have parameters or lie downstream of one run backwards (the
   * graph's input gradient is not wanted, as in [[Sequential]]): a node is told to compute its input gradient
   * only when one of its input nodes wants a gradient, so ResNet's first convolution computes no gradient of
   * the image, and the nodes before the first trainable ones are not visited at all.
   */
  override def setPropagateBack(value: Boolean): this.type = {
    super.setPropagateBack(value)
    if (sealed_) {
      val wants = wantsGradient
      modules.indices.foreach(i => modules(i).setPropagateBack(value || prevIds(i).exists(wants)))
    }
    this
  }

  /** Per node: whether it has parameters or an input node (transitively) has them. */
  private def wantsGradient: Array[Boolean] = {
    val w = new Array[Boolean](modules.length)
    modules.indices.foreach(i => w(i) = modules(i).namedParameters.nonEmpty || prevIds(i).exists(w))
    w
  }

  private def checkSealed(): Unit = require(sealed_, s"Graph: incomplete, ${modules.length} of ${prevIds.length} modules")

  private def inputOf(i: Int, input: Activity): Activity = {
    val k = inIds.indexOf(i)
    if (k >= 0) {
      if (inIds.length == 1) input
      else {
        val t = TableSupport.table("Graph", input)
        require(t.length == inIds.length, s"Graph: expected a table of ${inIds.length} inputs, got ${t.length} items")
        t(k)
      }
    } else if (prevIds(i).length == 1) modules(prevIds(i).head).output
    else Table(prevIds(i).map(p => modules(p).output): _*)
  }

  // evaluation mode on oneDNN: convolutions with their batch norm, residual addition and ReLU fused
  @transient private var fusion: InferenceFusion = _
  @transient private var lastInput: Activity = _
  // training mode on oneDNN: convolution + batch norm (+ ReLU) chained in oneDNN's memory
  @transient private var chaining: TrainingFusion = _

  override def updateOutput(input: Activity): Activity = forwardPass(input, fuse = !train)

  private def forwardPass(input: Activity, fuse: Boolean): Activity = {
    checkSealed()
    if (fusion == null) fusion = new InferenceFusion
    val plan = if (fuse) fusion.planFor(modules.toIndexedSeq, prevIds, outIds.contains(_)) else null
    if (plan == null) fusion.restore()
    if (chaining == null) chaining = new TrainingFusion
    val chain = if (train) chaining.planFor(modules.toIndexedSeq, prevIds, outIds.contains(_), sourceConv = false)
      else { chaining.skipPass(); null }
    lastInput = input
    var i = 0
    while (i < modules.length) {
      nodeInput(i) = inputOf(i, input)
      if (plan != null && plan.member(i)) {
        val g = plan.at(i)
        if (g != null) fusion.run(g, nodeInput(g.conv), () => g.members.foreach { m => nodeInput(m) = inputOf(m, input); forwardNode(m) })
      } else if (chain != null && chain.member(i)) {
        val g = chain.at(i)
        if (g != null) chaining.run(g, nodeInput(g.conv), () => g.members.foreach { m => nodeInput(m) = inputOf(m, input); forwardNode(m) })
      } else forwardNode(i)
      i += 1
    }
    output = if (outIds.length == 1) modules(outIds.head).output else Table(outIds.toSeq.map(modules(_).output): _*)
    output
  }

  private def forwardNode(i: Int): Unit =
    try modules(i).forward(nodeInput(i))
    catch { case e: IllegalArgumentException => throw ShapeError.at(this, i, modules(i), e) }

  /** Back-propagates from the outputs; `acc` = also accumulate parameter gradients (backward). */
  private def backwardPass(gradOutput: Activity, acc: Boolean): Activity = {
    checkSealed()
    if (fusion != null && fusion.fused) forwardPass(lastInput, fuse = false) // the fused members' outputs are stale
    // without propagateBack, the nodes with nothing to learn upstream are skipped (see setPropagateBack)
    val skip = if (propagateBack || !acc) null else wantsGradient.map(!_)
    val owned = new Array[Boolean](modules.length)
    java.util.Arrays.fill(nodeGrad.asInstanceOf[Array[AnyRef]], null)
    def send(i: Int, g: Activity): Unit =
      if (nodeGrad(i) == null) nodeGrad(i) = g
      else if (!owned(i) && (nodeGrad(i) match { case a: Tensor => g.isTensor && sumOf(i, a, g.toTensor); case _ => false }))
        owned(i) = true
      else {
        if (!owned(i)) { nodeGrad(i) = ownCopy(i, nodeGrad(i)); owned(i) = true }
        nodeGrad(i) = TableSupport.accumulate(nodeGrad(i), g, s"Graph node ${modules(i).getName}")
      }
    if (outIds.length == 1) send(outIds.head, gradOutput)
    else {
      val g = TableSupport.table("Graph gradOutput", gradOutput)
      require(g.length == outIds.length, s"Graph: gradOutput has ${g.length} items for ${outIds.length} outputs")
      outIds.indices.foreach(k => send(outIds(k), g(k)))
    }
    var i = modules.length - 1
    while (i >= 0) {
      val chained = if (chaining != null) chaining.fusedGroup(i) else null
      if (chained != null) {
        // a group chained on oneDNN: its backward at its last member, from there to the convolution's input node
        if (i == chained.last) {
          val g = nodeGrad(i)
          require(g != null, s"Graph: node ${modules(i).getName} got no gradient")
          val c = chained.conv
          val wantIn = !acc || modules(c).propagateBack
          val gi = chaining.backward(chained, nodeInput(c), g, wantIn, wantParams = acc, handOff = acc)
          val ps = prevIds(c)
          if (wantIn && ps.length == 1 && (skip == null || !skip(ps.head))) send(ps.head, gi)
        }
      } else if (skip == null || !skip(i)) {
        val g = nodeGrad(i)
        require(g != null, s"Graph: node ${modules(i).getName} got no gradient")
        val gi = if (acc) modules(i).backward(nodeInput(i), g) else modules(i).updateGradInput(nodeInput(i), g)
        val ps = prevIds(i)
        if (ps.length == 1) { if (skip == null || !skip(ps.head)) send(ps.head, gi) }
        else if (ps.length > 1 && (skip == null || ps.exists(p => !skip(p)))) {
          val t = TableSupport.table(s"Graph node ${modules(i).getName} gradInput", gi)
          ps.indices.foreach(k => if (skip == null || !skip(ps(k))) send(ps(k), t(k)))
        }
      }
      i -= 1
    }
    // without propagateBack the graph's input gradient is undefined (see setPropagateBack)
    if (skip == null || inIds.forall(k => !skip(k)))
      gradInput = if (inIds.length == 1) nodeGrad(inIds.head) else Table(inIds.toSeq.map(nodeGrad(_)): _*)
    gradInput
  }

  /**
   * The sum of the first two gradients node i receives, in node i's buffer (one pass over the two instead of a
   * copy and an addition, e.g. a ResNet block's input gradient: its shortcut's plus its convolution's), when both
   * are contiguous tensors of one size; then true and the sum is node i's gradient.
   */
  private def sumOf(i: Int, a: Tensor, b: Tensor): Boolean = {
    if (!a.isContiguous || !b.isContiguous || a.nElement != b.nElement) return false
    if (sumBuffers.length != modules.length) sumBuffers = Array.fill(modules.length)(null)
    var out = sumBuffers(i)
    if (out == null || (out.storage eq a.storage) || (out.storage eq b.storage)) { out = new Tensor(); sumBuffers(i) = out }
    out.resize(a.shape)
    val (x, y, z, n) = (a.storage, b.storage, out.storage, a.nElement)
    val (xo, yo, zo) = (a.offset, b.offset, out.offset)
    var k = 0
    // one index when the offsets agree (the usual case): C2 vectorises that loop, not the one with three offsets
    if (xo == 0 && yo == 0 && zo == 0) while (k < n) { z(k) = x(k) + y(k); k += 1 }
    else while (k < n) { z(zo + k) = x(xo + k) + y(yo + k); k += 1 }
    nodeGrad(i) = out
    true
  }

  /** A copy of `g` the graph may add into: node i's buffer for a tensor, a fresh copy for a table. */
  private def ownCopy(i: Int, g: Activity): Activity = g match {
    case t: Tensor =>
      if (sumBuffers.length != modules.length) sumBuffers = Array.fill(modules.length)(null)
      if (sumBuffers(i) == null || (sumBuffers(i).storage eq t.storage)) sumBuffers(i) = new Tensor()
      sumBuffers(i).resize(t.shape).copy(t)
    case other => TableSupport.copyOf(other)
  }

  override private[nn] def soleConsumer(index: Int): Int = {
    val readers = prevIds.indices.filter(j => prevIds(j).contains(index))
    if (readers.length == 1 && prevIds(readers.head) == IndexedSeq(index) && !outIds.contains(index)) readers.head else -1
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = backwardPass(gradOutput, acc = false)

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit =
    backwardPass(gradOutput, acc = true)

  /** Uses the node gradients of the last [[updateGradInput]]. */
  override def accGradParameters(input: Activity, gradOutput: Activity): Unit =
    modules.indices.foreach { i =>
      val chained = if (chaining != null) chaining.fusedGroup(i) else null
      if (chained != null) {
        if (i == chained.last && nodeGrad(i) != null)
          chaining.backward(chained, nodeInput(chained.conv), nodeGrad(i), wantInput = false, wantParams = true, handOff = false)
      } else if (nodeGrad(i) != null) Module.accGrad(modules(i), nodeInput(i), nodeGrad(i))
    }

  override def config: Seq[(String, Any)] =
    Seq("predecessors" -> prevIds.map(_.toSeq), "inputNodes" -> inIds, "outputNodes" -> outIds)

  override def toString: String = {
    val inner = modules.indices.map { i =>
      val from = if (inIds.contains(i)) s"input ${inIds.indexOf(i)}" else prevIds(i).mkString("<- ", ", ", "")
      s"  ($i): ${modules(i).toString.replace("\n", "\n  ")} [$from]"
    }
    s"Graph(inputs=${inIds.mkString("[", ", ", "]")}, outputs=${outIds.mkString("[", ", ", "]")}) {\n${inner.mkString("\n")}\n}"
  }
}

object Graph {

  /** The graph of the nodes between `inputs` and `outputs`. */
  def apply(inputs: Seq[Node], outputs: Seq[Node]): Graph = new Graph(inputs, outputs)

  /** A graph of one input and one output node. */
  def apply(input: Node, output: Node): Graph = new Graph(Seq(input), Seq(output))

  private def intList(a: Any): IndexedSeq[Int] = a match {
    case s: Iterable[_] => s.map {
      case i: Int => i
      case other  => throw new IllegalArgumentException(s"Graph: node index $other is not an int")
    }.toIndexedSeq
    case other => throw new IllegalArgumentException(s"Graph: node inputs $other is not a list of ints")
  }

  /** Ancestors of `outputs` (outputs included) in dependency order: every node after all of its inputs. */
  private def topological(outputs: Seq[Node]): IndexedSeq[Node] = {
    val done = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap[Node, java.lang.Boolean]())
    val active = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap[Node, java.lang.Boolean]())
    val order = mutable.ArrayBuffer.empty[Node]
    def visit(n: Node): Unit = if (!done.contains(n)) {
      require(!active.contains(n), s"Graph: cycle through node ${n.name}")
      active.add(n)
      n.prev.foreach(visit)
      active.remove(n); done.add(n); order += n
    }
    outputs.foreach(visit)
    order.toIndexedSeq
  }
}
