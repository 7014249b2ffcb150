package ember.nn

import ember.tensor.Tensor

/**
 * A highway layer (BigDL's `Highway(size, withBias, activation)`): y = t .* h + (1 - t) .* x with the gate
 * t = sigmoid(x Wt^T + bt) and the transform h = activation(x Wh^T + bh) (no activation when null). Input
 * [batch, size]. Built from two [[Linear]] children (gate first, then transform; parameters "0.weight",
 * "1.weight", ...) plus the activation, so its parameters follow the usual paths.
 */
class Highway(val size: Int, val withBias: Boolean, val activation: TensorModule) extends TensorModule {
  require(size > 0, s"Highway: size must be positive, got $size")

  def this(size: Int, withBias: Boolean) = this(size, withBias, null)
  def this(size: Int) = this(size, true, null)

  private val gate = new Linear(size, size, withBias)
  private val transform = new Linear(size, size, withBias)
  private val t = new Tensor()
  private val gradGate = new Tensor()
  private val gradTransform = new Tensor()

  override def children: Seq[Module] = Seq(gate, transform) ++ Option(activation)
  override def reset(): Unit = children.foreach(_.reset())

  private def h: Tensor = (if (activation == null) transform.output else activation.output).toTensor

  override def updateOutput(input: Tensor): Tensor = {
    require(input.dim == 2 && input.size(1) == size, s"Highway: expected input of shape [batch, $size], got ${input.shapeString}")
    val x = input.contiguous()
    t.resize(x.shape).copy(gate.forward(x)).apply1(v => (1.0 / (1.0 + math.exp(-v.toDouble))).toFloat)
    val z = transform.forward(x)
    if (activation != null) activation.forward(z)
    // y = x + t .* (h - x)
    outTensor.resize(x.shape).copy(h).sub(x).cmul(t).add(x)
  }

  override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor = {
    val x = input.contiguous()
    val g = LayerSupport.gradLike("Highway", gradOutput, outTensor)
    // gate pre-activation: g .* (h - x) .* t (1 - t); transform output: g .* t
    gradGate.resize(x.shape).copy(h).sub(x).cmul(g).cmul(t.clone().apply1(v => v * (1f - v)))
    gradTransform.resize(x.shape).copy(g).cmul(t)
    val dz = if (activation == null) gradTransform else activation.updateGradInput(transform.output.toTensor, gradTransform)
    val gi = gradInTensor.resize(x.shape).copy(t).mul(-1f).add(1f).cmul(g)
    gi.add(gate.updateGradInput(x, gradGate).toTensor).add(transform.updateGradInput(x, dz).toTensor)
  }

  override def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = {
    val x = input.contiguous()
    gate.accGradParameters(x, gradGate)
    val dz = if (activation == null) gradTransform else {
      activation.accGradParameters(transform.output.toTensor, gradTransform)
      activation.gradInput.toTensor
    }
    transform.accGradParameters(x, dz)
  }

  override def config: Seq[(String, Any)] = Seq("size" -> size, "withBias" -> withBias, "activation" -> activation)
  override def configDefaults: Seq[(String, Any)] = Seq("withBias" -> true, "activation" -> null)
}
