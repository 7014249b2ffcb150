package ember.optim

import ember.data.LocalDataSet
import ember.nn.Module
import ember.parallel.Engine

/**
 * Scores models on in-memory data: batches are handed round-robin to the given replicas (models that share
 * weights, as the LocalOptimizer's do), which run in evaluation mode on the Engine's pool; each method's
 * results are merged with `+`. Replicas are left in evaluation mode; callers that train switch back.
 */
object Evaluator {

  /** Results of `methods` (in order) for one model over `data`. */
  def evaluate(model: Module, data: LocalDataSet, methods: Array[ValidationMethod], batchSize: Int): Array[ValidationResult] =
    evaluate(Seq(model), data, methods, batchSize)

  def evaluate(replicas: Seq[Module], data: LocalDataSet, methods: Array[ValidationMethod], batchSize: Int): Array[ValidationResult] = {
    require(replicas.nonEmpty, "Evaluator: no model")
    require(methods != null && methods.nonEmpty, "Evaluator: no validation method")
    require(batchSize > 0, s"Evaluator: batchSize must be > 0, got $batchSize")
    val batches = data.batchesPerEpoch(batchSize)
    val order = data.permutation(1, 0L, shuffle = false)
    val k = math.min(replicas.length, batches)
    val wasTraining = replicas.map(_.isTraining)
    val tasks = (0 until k).map { r => () =>
      val m = replicas(r)
      m.evaluate()
      var acc: Array[ValidationResult] = null
      var b = r
      while (b < batches) {
        val batch = data.batch(order, b * batchSize, math.min(data.size, (b + 1) * batchSize))
        val out = m.forward(batch.input)
        val res = methods.map(_.apply(out, batch.target))
        acc = if (acc == null) res else acc.zip(res).map { case (a, x) => a + x }
        b += k
      }
      acc
    }
    try Engine.invokeAll(tasks).reduce((a, b) => a.zip(b).map { case (x, y) => x + y })
    finally replicas.zip(wasTraining).foreach { case (m, t) => if (t) m.training() else m.evaluate() }
  }
}
