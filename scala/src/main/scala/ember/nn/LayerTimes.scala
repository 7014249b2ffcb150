package ember.nn

import java.lang.management.ManagementFactory

import ember.tensor.Activity

/**
 * Where a forward pass spends its time: the calling thread's CPU milliseconds per forward of each layer of a
 * model (for benchmarks on a loaded machine, where wall-clock time says little). Plain [[Sequential]]s and
 * [[Graph]]s are opened and their layers timed one by one; any other container (e.g. a quantized chain) counts
 * as one layer. Native kernels count when they run on the calling thread (one oneDNN/BLAS thread).
 * [[instrument]] does the same for training steps: it leaves the wrappers in place, and each adds up its
 * layer's forward and backward (input gradient plus parameter gradients) CPU time.
 */
object LayerTimes {
  private val bean = ManagementFactory.getThreadMXBean

  /** Stands in for a layer while timing: runs it and adds up the thread's CPU time, forward and backward. */
  final class Timed private[LayerTimes] (val layer: Module) extends Module {
    var nanos = 0L
    var backwardNanos = 0L
    override def getName: String = layer.getName
    override def children: Seq[Module] = Seq(layer)
    override def samplesIndependent: Boolean = layer.samplesIndependent
    override def propagateBack: Boolean = layer.propagateBack
    override def setPropagateBack(value: Boolean): this.type = { layer.setPropagateBack(value); this }

    /** Zeroes both counters (e.g. after warm-up). */
    def clearTimes(): Unit = { nanos = 0L; backwardNanos = 0L }

    override def updateOutput(input: Activity): Activity = {
      val t = bean.getCurrentThreadCpuTime
      output = layer.forward(input)
      nanos += bean.getCurrentThreadCpuTime - t
      output
    }
    override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
      val t = bean.getCurrentThreadCpuTime
      gradInput = layer.updateGradInput(input, gradOutput)
      backwardNanos += bean.getCurrentThreadCpuTime - t
      gradInput
    }
    override def accGradParameters(input: Activity, gradOutput: Activity): Unit = {
      val t = bean.getCurrentThreadCpuTime
      Module.accGrad(layer, input, gradOutput)
      backwardNanos += bean.getCurrentThreadCpuTime - t
    }
    /** The layer's own backward (its frozen flag and propagateBack apply), timed. */
    override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
        wantParams: Boolean): Unit = {
      val t = bean.getCurrentThreadCpuTime
      gradInput = layer.backward(input, gradOutput)
      backwardNanos += bean.getCurrentThreadCpuTime - t
    }
  }

  /**
   * Wraps every layer of `model` (a Sequential or Graph, opened as [[forward]] does) in place for timing
   * training steps, and returns the wrappers in execution order; the model keeps them (benchmarks only).
   */
  def instrument(model: Module): Seq[Timed] = model match {
    case c: Container if opened(c) => wrap(c, "").map(_._4)
    case _ => throw new IllegalArgumentException(s"LayerTimes.instrument: ${model.getName} is not a Sequential or Graph")
  }

  /** (layer path and description, CPU ms per forward) for `reps` forwards of `input` after `warmup` ones. */
  def forward(model: Module, input: Activity, warmup: Int, reps: Int): Seq[(String, Double)] = {
    require(warmup >= 0 && reps > 0, s"LayerTimes: warmup must be >= 0 and reps > 0, got $warmup and $reps")
    for (_ <- 0 until warmup) model.forward(input)
    val timed = model match { case c: Container if opened(c) => wrap(c, ""); case _ => Nil }
    try {
      if (timed.isEmpty) {
        val t = bean.getCurrentThreadCpuTime
        for (_ <- 0 until reps) model.forward(input)
        Seq(describe(model) -> (bean.getCurrentThreadCpuTime - t) / 1e6 / reps)
      } else {
        for (_ <- 0 until reps) model.forward(input)
        timed.map { case (path, _, _, t) => s"$path ${describe(t.layer)}" -> t.nanos / 1e6 / reps }
      }
    } finally timed.foreach { case (_, c, i, t) => c.replaceChild(i, t.layer) }
  }

  private def opened(c: Container): Boolean = c.getClass == classOf[Sequential] || c.isInstanceOf[Graph]

  private def describe(m: Module): String = m.toString.takeWhile(_ != '\n').take(70)

  private def wrap(c: Container, prefix: String): Seq[(String, Container, Int, Timed)] =
    c.children.zipWithIndex.flatMap {
      case (sub: Container, i) if opened(sub) => wrap(sub, s"$prefix$i.")
      case (m, i) => val t = new Timed(m); c.replaceChild(i, t); Seq((s"$prefix$i", c, i, t))
    }
}
