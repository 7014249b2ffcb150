package ember.nn

import ember.tensor.Activity

/**
 * Runs its modules one after the other, feeding each one's output to the next. A training backward can report its
 * progress to a listener ([[setBackwardListener]]): after module i's backward (or a fused group's, i its first member)
 * the parameter gradients of modules i and after are final, which lets a trainer send them on while the rest runs.
 */
class Sequential extends Container {

  // evaluation mode on oneDNN: convolutions with their batch norm and ReLU fused
  @transient private var fusion: InferenceFusion = _
  @transient private var lastInput: Activity = _
  // training mode on oneDNN: convolution + batch norm (+ ReLU) chained in oneDNN's memory
  @transient private var chaining: TrainingFusion = _
  @transient private var backwardListener: Int => Unit = _

  /**
   * Calls `listener(i)` after module i's backward in every training backward (`backward`, not `updateGradInput`), in
   * the order they run (last module first; a group fused on oneDNN reports its first member once); null: none.
   */
  private[ember] def setBackwardListener(listener: Int => Unit): this.type = { backwardListener = listener; this }

  override def updateOutput(input: Activity): Activity = forwardPass(input, fuse = !train)

  private def forwardPass(input: Activity, fuse: Boolean): Activity = {
    if (fusion == null) fusion = new InferenceFusion
    val plan = if (fuse) fusion.planFor(modules.toIndexedSeq, i => if (i == 0) IndexedSeq.empty else IndexedSeq(i - 1),
      _ == modules.length - 1) else null
    if (plan == null) fusion.restore()
    if (chaining == null) chaining = new TrainingFusion
    val chain = if (train) chaining.planFor(modules.toIndexedSeq, i => if (i == 0) IndexedSeq.empty else IndexedSeq(i - 1),
      _ == modules.length - 1, sourceConv = true) else { chaining.skipPass(); null }
    lastInput = input
    var x = input
    var i = 0
    def in(m: Int): Activity = if (m == 0) input else modules(m - 1).output
    while (i < modules.length) {
      if (plan != null && plan.member(i)) {
        val g = plan.at(i)
        if (g != null) {
          fusion.run(g, in(g.conv), () => g.members.foreach(m => forwardModule(m, in(m))))
          x = modules(i).output
        }
      } else if (chain != null && chain.member(i)) {
        val g = chain.at(i)
        if (g != null) {
          chaining.run(g, in(g.conv), () => g.members.foreach(m => forwardModule(m, in(m))))
          x = modules(i).output
        }
      } else x = forwardModule(i, x)
      i += 1
    }
    output = x
    output
  }

  private def forwardModule(i: Int, x: Activity): Activity =
    try modules(i).forward(x)
    catch { case e: IllegalArgumentException => throw ShapeError.at(this, i, modules(i), e) }

  override private[nn] def soleConsumer(index: Int): Int = if (index + 1 < modules.length) index + 1 else -1

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = backwardPass(input, gradOutput, acc = false)

  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit =
    backwardPass(input, gradOutput, acc = true)

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = {
    def in(m: Int): Activity = if (m == 0) input else modules(m - 1).output
    var g = gradOutput
    var i = modules.length - 1
    while (i >= 0) {
      val chained = if (chaining != null) chaining.fusedGroup(i) else null
      if (chained != null) { // see backwardPass
        chaining.backward(chained, in(chained.conv), g, wantInput = false, wantParams = true, handOff = false)
        i = chained.conv
      } else Module.accGrad(modules(i), in(i), g)
      if (i > 0) g = modules(i).gradInput
      i -= 1
    }
  }

  /**
   * Without [[propagateBack]], the gradient stops at the first module with parameters: the modules before it
   * have nothing to learn and the Sequential's gradInput is not wanted, so they are not run backwards and
   * the first trainable module itself is told not to compute its input gradient.
   */
  override def setPropagateBack(value: Boolean): this.type = {
    super.setPropagateBack(value)
    val first = firstTrainable
    modules.indices.foreach(i => modules(i).setPropagateBack(value || i != first))
    this
  }

  private def firstTrainable: Int = modules.indexWhere(_.namedParameters.nonEmpty)

  private def backwardPass(input: Activity, gradOutput: Activity, acc: Boolean): Activity = {
    if (fusion != null && fusion.fused) forwardPass(lastInput, fuse = false) // the fused members' outputs are stale
    var g = gradOutput
    var i = modules.length - 1
    val stop = if (propagateBack || !acc) 0 else { val f = firstTrainable; if (f < 0) modules.length else f }
    while (i >= stop) {
      val chained = if (chaining != null) chaining.fusedGroup(i) else null
      if (chained != null) {
        // a group chained on oneDNN (i is its last member): one backward to the convolution's input
        val c = chained.conv
        g = chaining.backward(chained, if (c == 0) input else modules(c - 1).output, g,
          wantInput = !acc || modules(c).propagateBack, wantParams = acc, handOff = acc)
        if (acc && backwardListener != null) backwardListener(c)
        i = c - 1
      } else {
        val in = if (i == 0) input else modules(i - 1).output
        g = if (acc) modules(i).backward(in, g) else modules(i).updateGradInput(in, g)
        if (acc && backwardListener != null) backwardListener(i)
        i -= 1
      }
    }
    if (stop == 0) gradInput = g // otherwise undefined, see setPropagateBack
    gradInput
  }
}

/** Errors that name where in a model a shape mismatch happened. */
private[nn] object ShapeError {
  def at(container: Module, index: Int, module: Module, cause: IllegalArgumentException): IllegalArgumentException =
    cause.getMessage match {
      case msg if msg != null && msg.startsWith("in ") => cause
      case msg => new IllegalArgumentException(s"in ${container.getName} layer $index ($module): $msg", cause)
    }
}
