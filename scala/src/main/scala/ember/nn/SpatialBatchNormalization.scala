package ember.nn

import ember.tensor.{BatchNorm, Tensor}

/**
 * Batch normalisation of [N, nOutput, H, W] input per channel, over the batch and all positions (BigDL's
 * `SpatialBatchNormalization(nOutput, eps, momentum, affine)`); same modes, buffers and parameters as
 * [[BatchNormalization]]. One [nOutput, H, W] sample is treated as a batch of one (training mode then
 * needs H * W > 1).
 */
class SpatialBatchNormalization(val nOutput: Int, val eps: Double, val momentum: Double, val affine: Boolean)
    extends BatchNormBase("SpatialBatchNormalization", nOutput, eps, momentum, affine) {

  def this(nOutput: Int, eps: Double, momentum: Double) = this(nOutput, eps, momentum, true)
  def this(nOutput: Int) = this(nOutput, 1e-5, 0.1, true)

  override protected def dims(x: Tensor): BatchNorm.Dims = {
    val b = LayerSupport.batch4d("SpatialBatchNormalization", x, nOutput)
    BatchNorm.Dims(b.size(0), nOutput, b.size(2) * b.size(3))
  }
}
