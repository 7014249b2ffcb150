package ember.optim

import ember.data.MiniBatch
import ember.nn.{Criterion, Module, ModuleSpec}
import ember.parallel.Engine
import ember.tensor.Tensor

/**
 * The model replicas of one trainer, one per core, shared by the LocalOptimizer and the DistriOptimizer's
 * tasks. Replica 0 is `model` itself (its parameters flattened by `getParameters`); the others are clones
 * whose weight tensors are re-pointed at views of replica 0's flat weight buffer, so all replicas share one
 * copy of the weights, but each has its own gradient buffer. A batch is shared among them either
 *  - statically ([[computeStatic]]): one contiguous sub-batch each (sizes differ by at most one), for modules
 *    that need their exact sub-batch (batch statistics, random draws) or with `setDeterministic(true)`; or
 *  - dynamically ([[computeChunks]]): the replicas claim chunks as they go (`ember.data.ChunkQueue`), so a
 *    faster core takes more.
 * Then the replicas' gradients are summed into replica 0's ([[gradient]]), each weighted by its share of the
 * global batch when the criterion averages (so results do not depend on the replica count beyond float
 * rounding); the returned loss is weighted the same way.
 *
 * With one replica and a [[ember.nn.Sequential]] model (no regularizers: they add to the gradient after backward),
 * [[computeStatic]] can hand out the gradient as it becomes final during backward (`onFinal(k)`: values [k, total)
 * are final and weighted), so a trainer can send it on while the first layers' backward still runs: after
 * top-level module i's backward, every parameter of modules i, i + 1, ... is done, and they lie at or beyond
 * [[finalFrom]](i) (parameters are flattened in module order). The weighting of those values is the same multiply
 * as at the end, so the gradient is the same bit for bit. With several replicas a range would be final only once
 * every replica passed it, and its sum is one BLAS axpy over the whole vector (whose rounding may depend on where
 * a range starts): not done, `onFinal` is then never called.
 */
private[optim] final class ReplicaSet(model: Module, criterion: Criterion, count: Int) {
  require(count > 0, s"ReplicaSet: count must be > 0, got $count")
  private val (weightsT, gradT) = model.getParameters()
  val models: Array[Module] = Array.tabulate(count) { i =>
    if (i == 0) model
    else {
      // the clone's own weights are dropped unread (it computes with replica 0's) before its gradient buffer is made:
      // a replica costs one gradient, not a copy of the whole model (which matters beyond 2 GB of parameters)
      val clone = ModuleSpec.build(ModuleSpec.describe(model))
      require(clone.namedParameters.map(_._1) == model.namedParameters.map(_._1) && clone.namedBuffers.map(_._1) == model.namedBuffers.map(_._1),
        s"${model.getClass.getName}: a replica built from its configuration has other tensors (its config does not describe it fully)")
      clone.namedParameters.zip(model.namedParameters).foreach { case ((_, r), (_, m)) => r.value.set(m.value) }
      clone.namedBuffers.zip(model.namedBuffers).foreach { case ((_, r), (_, m)) => r.copy(m) }
      clone.getParameters()
      clone
    }
  }
  private val criterions: Array[Criterion] = {
    val spec = ModuleSpec.describe(criterion)
    Array.tabulate(count)(i => if (i == 0) criterion else ModuleSpec.buildCriterion(spec))
  }
  private val grads: Array[Tensor] = models.map(_.getParameters()._2)

  /**
   * For each top-level module i of a Sequential model: the flat offset from which the gradient is final once module
   * i's backward has run (the end of the last parameter of the modules before it); empty for any other model.
   */
  lazy val finalFrom: Array[Int] = model match {
    case s: ember.nn.Sequential =>
      val views = s.children.map(_.namedParameters.map(_._2.grad))
      // each a view of the flat gradient, as getParameters makes them (else nothing is known to be final)
      if (!views.flatten.forall(g => (g.storage eq gradT.storage) && g.isContiguous)) Array.empty
      else views.map(_.map(g => g.offset - gradT.offset + g.nElement).foldLeft(0)(math.max)).scanLeft(0)(math.max).init.toArray
    case _ => Array.empty
  }

  /** Whether [[computeStatic]] hands out final ranges of the gradient during backward (see the class notes). */
  lazy val overlaps: Boolean = count == 1 && finalFrom.nonEmpty && !Module.descendants(model).exists(_.regularizers.nonEmpty)

  /** The shared flat weights (replica 0's). */
  def weights: Tensor = weightsT
  /** The summed gradient (replica 0's flat gradient buffer). */
  def gradient: Tensor = gradT
  def size: Int = count
  /** Whether the replicas may share a batch in chunks of any size (see `Module.splitsFreely`). */
  lazy val splitsFreely: Boolean = Module.splitsFreely(model)

  /**
   * Forward/backward of `batch` (part of a global batch of `globalSize` samples) in one contiguous sub-batch
   * per replica; returns the weighted loss. With [[overlaps]] and `onFinal`, `onFinal(k)` is called during backward
   * each time the values [k, total) of the (weighted) gradient are final, k decreasing.
   */
  def computeStatic(batch: MiniBatch, globalSize: Int, averaging: Boolean, onFinal: Int => Unit = null): Double = {
    val n = batch.size
    if (n == 0) { gradT.zero(); return 0.0 }
    val k = math.min(count, n)
    val lengths = Array.tabulate(k)(i => n / k + (if (i < n % k) 1 else 0))
    val offsets = lengths.scanLeft(0)(_ + _)
    val w = lengths.map(len => if (averaging) len.toFloat / globalSize else 1f)
    val early = if (k == 1 && onFinal != null && overlaps) new FinalRanges(w(0), onFinal) else null
    val losses = Engine.invokeAll((0 until k).map { i => () =>
      val sub = batch.slice(offsets(i), lengths(i))
      grads(i).zero()
      val out = models(i).forward(sub.input)
      val l = criterions(i).forward(out, sub.target)
      backward(i, sub.input, criterions(i).backward(out, sub.target), early)
      l
    })
    sumGradients(k, w, if (early == null) gradT.nElement else early.from)
    losses.zip(w).map { case (l, wi) => l.toDouble * wi }.sum
  }

  /** Replica i's backward, reporting its final ranges to `early` (when not null) as it goes. */
  private def backward(i: Int, input: ember.tensor.Activity, gradOutput: ember.tensor.Activity, early: FinalRanges): Unit =
    if (early == null) models(i).backward(input, gradOutput)
    else {
      val s = models(i).asInstanceOf[ember.nn.Sequential]
      s.setBackwardListener(early)
      try s.backward(input, gradOutput) finally s.setBackwardListener(null)
    }

  /**
   * The listener of one replica's backward: after module i, the values from [[finalFrom]](i) on are final; those not
   * yet handed out are weighted by `w` (the multiply [[sumGradients]] would do) and handed to `onFinal`.
   */
  private final class FinalRanges(w: Float, onFinal: Int => Unit) extends (Int => Unit) {
    /** The values [from, total) were handed out. */
    var from: Int = gradT.nElement

    def apply(i: Int): Unit = {
      val k = finalFrom(i)
      if (k < from) {
        if (w != 1f) gradT.narrow(0, k, from - k).mul(w)
        from = k
        onFinal(k)
      }
    }
  }

  /**
   * Forward/backward of the chunks `next` hands out (null when none is left), claimed by all replicas at once;
   * returns the weighted loss and the samples processed.
   */
  def computeChunks(next: () => MiniBatch, globalSize: Int, averaging: Boolean): (Double, Int) = {
    val done = Engine.invokeAll((0 until count).map { i => () =>
      grads(i).zero()
      ChunkedStep.run(models(i), criterions(i), next, globalSize, averaging)
    })
    sumGradients(count, Array.fill(count)(1f))
    (done.map(_._1).sum, done.map(_._2).sum)
  }

  /** Sets every replica's training mode and whether it computes input gradients. */
  def training(propagateBack: Boolean): Unit = models.foreach(_.training().setPropagateBack(propagateBack))

  /**
   * gradient = sum_{i < k} w(i) * grads(i) (grads(0) is the gradient itself) over the values [0, total); chunks of the
   * vector run in parallel.
   */
  private def sumGradients(k: Int, w: Array[Float], total: Int = gradT.nElement): Unit = {
    if (total == 0) return
    val chunks = if (k == 1 || total < 65536) 1 else k
    Engine.invokeAll((0 until chunks).map { c => () =>
      val from = (total.toLong * c / chunks).toInt
      val len = (total.toLong * (c + 1) / chunks).toInt - from
      val g = gradT.narrow(0, from, len)
      if (w(0) != 1f) g.mul(w(0))
      var i = 1
      while (i < k) { g.add(w(i), grads(i).narrow(0, from, len)); i += 1 }
    })
  }
}
