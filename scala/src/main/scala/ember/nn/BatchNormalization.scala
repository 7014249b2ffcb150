package ember.nn

import ember.tensor.{BatchNorm, Tensor}

/**
 * Batch normalisation of [batch, nOutput] input over the batch (BigDL's
 * `BatchNormalization(nOutput, eps, momentum, affine)`). In training mode each feature is normalised with
 * the batch mean and biased variance, and the running mean/variance (buffers "running_mean",
 * "running_var", saved with the model) move by `momentum` towards the batch mean and unbiased variance; in
 * evaluation mode the running statistics are used. With `affine`, a learnable scale (weight, starting at 1)
 * and shift (bias, starting at 0) follow. See [[ember.tensor.BatchNorm]].
 */
class BatchNormalization(val nOutput: Int, val eps: Double, val momentum: Double, val affine: Boolean)
    extends BatchNormBase("BatchNormalization", nOutput, eps, momentum, affine) {

  def this(nOutput: Int, eps: Double, momentum: Double) = this(nOutput, eps, momentum, true)
  def this(nOutput: Int) = this(nOutput, 1e-5, 0.1, true)

  override protected def dims(x: Tensor): BatchNorm.Dims = {
    require(x.dim == 2 && x.size(1) == nOutput, s"BatchNormalization: expected input of shape [batch, $nOutput], got ${x.shapeString}")
    BatchNorm.Dims(x.size(0), nOutput, 1)
  }
}
