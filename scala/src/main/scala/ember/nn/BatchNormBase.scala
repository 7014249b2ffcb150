package ember.nn

import ember.tensor.{Activity, BatchNorm, Tensor}
import ember.tensor.dnn.{Dnn, DnnBatchNorm}

/**
 * What [[BatchNormalization]] and [[SpatialBatchNormalization]] share: parameters (weight 1, bias 0, as in
 * PyTorch), running statistics as buffers ("running_mean" starting at 0, "running_var" at 1), the
 * training/evaluation switch, and the plumbing to the kernels: the JVM's [[ember.tensor.BatchNorm]], or oneDNN's
 * ([[ember.tensor.dnn.DnnBatchNorm]]) when enabled and [[ember.tensor.dnn.DnnBatchNorm.inLayers]] (off by default:
 * with copies in and out it is slower, see there). Subclasses say how
 * an input maps onto [n, c, s].
 */
private[nn] abstract class BatchNormBase(name: String, nOutput: Int, eps: Double, momentum: Double, affine: Boolean)
    extends TensorModule {
  override def samplesIndependent: Boolean = false // batch statistics

  require(nOutput > 0, s"$name: nOutput must be positive, got $nOutput")
  require(eps > 0, s"$name: eps must be positive, got $eps")
  require(momentum >= 0 && momentum <= 1, s"$name: momentum must be in [0, 1], got $momentum")

  val weight: Tensor = if (affine) Tensor(nOutput) else null
  val bias: Tensor = if (affine) Tensor(nOutput) else null
  val gradWeight: Tensor = if (affine) Tensor(nOutput) else null
  val gradBias: Tensor = if (affine) Tensor(nOutput) else null
  val runningMean: Tensor = Tensor(nOutput)
  val runningVar: Tensor = Tensor(nOutput)
  private val saved = new BatchNorm.Saved()
  private var savedInTraining = true
  reset()

  override def reset(): Unit = {
    if (affine) { weight.fill(1f); bias.zero() }
    runningMean.zero(); runningVar.fill(1f)
  }

  /** The input as [n, c, s] and its contiguous data; fails with the expected shape. */
  protected def dims(x: Tensor): BatchNorm.Dims

  override def updateOutput(input: Tensor): Tensor = {
    val x = input.contiguous()
    val d = dims(x)
    if (x.nElement == 0) return outTensor.resize(x.shape) // an empty batch: empty output, statistics untouched (PyTorch)
    require(!train || d.count > 1, s"$name: training needs more than one value per channel to compute a variance, " +
      s"got input of shape ${input.shapeString}")
    val out = outTensor.resize(x.shape)
    if (Dnn.enabled && DnnBatchNorm.inLayers) DnnBatchNorm.forward(d, x, out, weight, bias, runningMean, runningVar, saved, train, momentum, eps)
    else BatchNorm.forward(d, x, out, weight, bias, runningMean, runningVar, saved, train, momentum, eps)
    savedInTraining = train
    out
  }

  private def backwardPass(input: Tensor, gradOutput: Tensor, gi: Tensor, params: Boolean): Unit = {
    val x = input.contiguous()
    val g = LayerSupport.gradLike(name, gradOutput, outTensor)
    if (x.nElement == 0) return
    val (gw, gb) = (if (params) gradWeight else null, if (params) gradBias else null)
    if (Dnn.enabled && DnnBatchNorm.inLayers) DnnBatchNorm.backward(dims(x), x, g, gi, weight, gw, gb, saved, savedInTraining, eps)
    else BatchNorm.backward(dims(x), x, g, gi, weight, gw, gb, saved, savedInTraining)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    backwardPass(input, gradOutput, gradInTensor.resize(input.shape), params = false)
    gradInTensor
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit =
    if (affine) backwardPass(input, gradOutput, null, params = true)

  /**
   * The input gradient (when wanted: [[propagateBack]]) and the parameter gradients (unless frozen) in one pass
   * of the kernel: through updateGradInput + accGradParameters the whole backward ran twice (both kernels
   * compute the two together), which made batch norm's backward cost twice its forward pass.
   */
  override protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean,
      wantParams: Boolean): Unit = {
    val x = input.toTensor
    val gi = if (wantInput) gradInTensor.resize(x.shape) else null
    val params = affine && wantParams
    if (gi != null || params) backwardPass(x, gradOutput.toTensor, gi, params)
  }

  override def ownParameters: Seq[(String, Parameter)] =
    if (affine) Seq("weight" -> Parameter(weight, gradWeight), "bias" -> Parameter(bias, gradBias)) else Nil
  override def ownBuffers: Seq[(String, Tensor)] = Seq("running_mean" -> runningMean, "running_var" -> runningVar)

  override def config: Seq[(String, Any)] = Seq("nOutput" -> nOutput, "eps" -> eps, "momentum" -> momentum, "affine" -> affine)
  override def configDefaults: Seq[(String, Any)] = Seq("eps" -> 1e-5, "momentum" -> 0.1, "affine" -> true)
}
