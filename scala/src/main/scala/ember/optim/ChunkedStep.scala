package ember.optim

import ember.data.MiniBatch
import ember.nn.{Criterion, Module}
import ember.tensor.{Activity, Table, Tensor}

/** The loop of one worker (a model replica) over the chunks of a batch it claims (`ember.data.ChunkQueue`). */
private[ember] object ChunkedStep {

  /**
   * Forward/backward of `model` and `criterion` on each chunk `next` hands out until it returns null; each
   * chunk's gradient is added (to the model's gradient buffers, which the caller zeroes) weighted by its
   * share of the `globalSize` samples of the batch when the criterion averages, else 1. Returns the loss
   * summed the same way and the samples processed.
   */
  def run(model: Module, criterion: Criterion, next: () => MiniBatch, globalSize: Int, averaging: Boolean): (Double, Int) = {
    var loss = 0.0
    var samples = 0
    var chunk = next()
    while (chunk != null) {
      val w = if (averaging) chunk.size.toFloat / globalSize else 1f
      val out = model.forward(chunk.input)
      loss += criterion.forward(out, chunk.target).toDouble * w
      model.backward(chunk.input, weighted(criterion.backward(out, chunk.target), w))
      samples += chunk.size
      chunk = next()
    }
    (loss, samples)
  }

  /**
   * `gradOutput` of a criterion scaled in place by `w` (a chunk's share of the batch when the criterion
   * averages over its input), so that the backward pass adds the chunk's weighted gradient; returns it.
   */
  private def weighted(gradOutput: Activity, w: Float): Activity = {
    if (w != 1f) gradOutput match {
      case t: Tensor => t.mul(w)
      case t: Table => (0 until t.length).foreach(i => weighted(t(i), w))
      case other => throw new IllegalArgumentException(s"cannot scale a gradient of type ${other.getClass.getSimpleName}")
    }
    gradOutput
  }
}
