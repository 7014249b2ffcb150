package ember.nn

import ember.tensor.Tensor

/**
 * Negative log-likelihood of 0-based class labels: loss = -sum_i w(t_i) x(i, t_i), divided by sum_i w(t_i)
 * when `sizeAverage` (BigDL's and PyTorch's rule). The input holds log-probabilities ([batch, nClasses] or
 * [nClasses]), e.g. from [[LogSoftMax]]; with `logProbAsInput = false` it holds probabilities and the loss
 * uses log(max(p, 1e-8)). `weights` (one per class, or null) rescales each class.
 * The target is [batch] or [batch, 1] of class indices in [0, nClasses) stored as floats.
 */
class ClassNLLCriterion(val weights: Array[Float], val sizeAverage: Boolean, val logProbAsInput: Boolean)
    extends TensorCriterion {
  require(weights == null || weights.forall(w => w >= 0 && !w.isInfinite),
    s"ClassNLLCriterion: weights must be finite and >= 0, got ${Module.show(weights)}")

  def this() = this(null, true, true)
  def this(weights: Array[Float]) = this(weights, true, true)
  def this(weights: Array[Float], sizeAverage: Boolean) = this(weights, sizeAverage, true)

  private val name = "ClassNLLCriterion"
  private val Eps = 1e-8f

  private def weight(c: Int): Float = if (weights == null) 1f else weights(c)

  /** The normaliser of the loss: the summed weights of the targets, or 1. */
  private def norm(labels: Array[Int]): Double =
    if (!sizeAverage) 1.0 else { val s = labels.map(weight(_).toDouble).sum; if (s > 0) s else 1.0 }

  override def updateOutput(input: Tensor, target: Tensor): Float = {
    val (x, labels) = ClassLabels.read(name, input, target)
    ClassLabels.checkWeights(name, weights, x.size(1))
    val (s, off, c) = (x.storage, x.offset, x.size(1))
    var loss = 0.0
    var i = 0
    while (i < labels.length) {
      val v = s(off + i * c + labels(i))
      loss -= weight(labels(i)) * (if (logProbAsInput) v.toDouble else math.log(math.max(v, Eps).toDouble))
      i += 1
    }
    output = (loss / norm(labels)).toFloat
    output
  }

  override def updateGradInput(input: Tensor, target: Tensor): Tensor = {
    val (x, labels) = ClassLabels.read(name, input, target)
    ClassLabels.checkWeights(name, weights, x.size(1))
    val gi = gradInput.toTensor.resize(x.shape).zero()
    val c = x.size(1)
    val scale = 1.0 / norm(labels)
    var i = 0
    while (i < labels.length) {
      val k = i * c + labels(i)
      val d = if (logProbAsInput) 1.0 else 1.0 / math.max(x.storage(x.offset + k), Eps)
      gi.storage(gi.offset + k) = (-weight(labels(i)) * d * scale).toFloat
      i += 1
    }
    if (input.dim == 1) gradInput = gi.view(input.shape)
    gradInput.toTensor
  }

  override def config: Seq[(String, Any)] =
    Seq("weights" -> weights, "sizeAverage" -> sizeAverage, "logProbAsInput" -> logProbAsInput)

  override def configDefaults: Seq[(String, Any)] =
    Seq("weights" -> null, "sizeAverage" -> true, "logProbAsInput" -> true)
}
