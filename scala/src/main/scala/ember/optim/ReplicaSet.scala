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

  /** The shared flat weights (replica 0's). */
  def weights: Tensor = weightsT
  /** The summed gradient (replica 0's flat gradient buffer). */
  def gradient: Tensor = gradT
  def size: Int = count
  /** Whether the replicas may share a batch in chunks of any size (see `Module.splitsFreely`). */
  lazy val splitsFreely: Boolean = Module.splitsFreely(model)

  /**
   * Forward/backward of `batch` (part of a global batch of `globalSize` samples) in one contiguous sub-batch
   * per replica; returns the weighted loss.
   */
  def computeStatic(batch: MiniBatch, globalSize: Int, averaging: Boolean): Double = {
    val n = batch.size
    if (n == 0) { gradT.zero(); return 0.0 }
    val k = math.min(count, n)
    val lengths = Array.tabulate(k)(i => n / k + (if (i < n % k) 1 else 0))
    val offsets = lengths.scanLeft(0)(_ + _)
    val losses = Engine.invokeAll((0 until k).map { i => () =>
      val sub = batch.slice(offsets(i), lengths(i))
      grads(i).zero()
      val out = models(i).forward(sub.input)
      val l = criterions(i).forward(out, sub.target)
      models(i).backward(sub.input, criterions(i).backward(out, sub.target))
      l
    })
    val w = lengths.map(len => if (averaging) len.toFloat / globalSize else 1f)
    sumGradients(k, w)
    losses.zip(w).map { case (l, wi) => l.toDouble * wi }.sum
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

  /** gradient = sum_{i < k} w(i) * grads(i) (grads(0) is the gradient itself); chunks of the vector run in parallel. */
  private def sumGradients(k: Int, w: Array[Float]): Unit = {
    val total = gradT.nElement
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
