package ember.nn

import ember.optim.Regularizer
import ember.tensor.{Activity, Tensor}

/** A trainable tensor of a module and the tensor its gradient accumulates into (same shape). */
final case class Parameter(value: Tensor, grad: Tensor)

/**
 * A neural-network module in the Torch style: `forward` computes and keeps `output`, `backward` computes
 * `gradInput` and accumulates parameter gradients.
 *
 * Contract for subclasses:
 *  - validate constructor arguments with `require` and a message showing the bad value;
 *  - create parameters once, initialise them in [[reset]];
 *  - list own parameters in [[ownParameters]] (name -> Parameter) and running statistics in [[ownBuffers]];
 *  - return the constructor arguments, in order, from [[config]]: the model file stores them and rebuilds
 *    the module by class name with them (see `ember.io.ModelFile`), and Python builds modules the same way.
 *
 * Parameters can be compacted into one flat buffer per model ([[getParameters]]), after which each layer's
 * weight and gradient tensors are views into that buffer; the optimizers work on the flat buffer.
 */
abstract class Module {
  var output: Activity = new Tensor()
  var gradInput: Activity = new Tensor()
  protected var train: Boolean = true
  private var _name: String = null
  private var _regularizers: Vector[(String, Regularizer)] = Vector.empty

  /** Computes the output for `input`, keeping it in [[output]]. */
  def updateOutput(input: Activity): Activity

  /** Computes the gradient with respect to the input, keeping it in [[gradInput]]. */
  def updateGradInput(input: Activity, gradOutput: Activity): Activity

  /** Accumulates gradients of the parameters (no-op for modules without parameters). */
  def accGradParameters(input: Activity, gradOutput: Activity): Unit = ()

  def forward(input: Activity): Activity = updateOutput(input)

  def backward(input: Activity, gradOutput: Activity): Activity = {
    updateGradInput(input, gradOutput)
    accGradParameters(input, gradOutput)
    gradInput
  }

  /** This module's own parameters, by name ("weight", "bias"), without those of its children. */
  def ownParameters: Seq[(String, Parameter)] = Nil

  /** This module's own non-trainable state saved with the model (e.g. running mean/variance). */
  def ownBuffers: Seq[(String, Tensor)] = Nil

  /** Direct sub-modules, for containers. */
  def children: Seq[Module] = Nil

  /** Constructor arguments in declaration order (name -> value), as stored in the model file. */
  def config: Seq[(String, Any)] = Nil

  /** (Re)initialises parameters. */
  def reset(): Unit = ()

  /** All parameters of this module and its descendants, named by path ("0.weight", "2.1.bias"). */
  final def namedParameters: Seq[(String, Parameter)] =
    ownParameters ++ children.zipWithIndex.flatMap { case (c, i) =>
      c.namedParameters.map { case (n, p) => (s"$i.$n", p) }
    }

  /** All buffers of this module and its descendants, named by path. */
  final def namedBuffers: Seq[(String, Tensor)] =
    ownBuffers ++ children.zipWithIndex.flatMap { case (c, i) =>
      c.namedBuffers.map { case (n, b) => (s"$i.$n", b) }
    }

  /** (weights, gradients), in [[namedParameters]] order. */
  final def parameters(): (Array[Tensor], Array[Tensor]) = {
    val ps = namedParameters.map(_._2)
    (ps.map(_.value).toArray, ps.map(_.grad).toArray)
  }

  /** Total number of trainable values. */
  final def parameterCount: Long = namedParameters.map(_._2.value.nElement.toLong).sum

  def zeroGradParameters(): Unit = namedParameters.foreach(_._2.grad.zero())

  def training(): this.type = { train = true; children.foreach(_.training()); this }
  def evaluate(): this.type = { train = false; children.foreach(_.evaluate()); this }
  def isTraining: Boolean = train

  /**
   * Attaches `regularizer` to this module's own parameter `param` ("weight", "bias"), replacing any
   * earlier one; null removes it. BigDL's `wRegularizer` / `bRegularizer`. Stored in the model file.
   */
  def setRegularizer(param: String, regularizer: Regularizer): this.type = {
    val names = ownParameters.map(_._1)
    require(names.contains(param), s"${getClass.getSimpleName}: no parameter '$param' to regularize; " +
      s"its parameters are: ${if (names.isEmpty) "none" else names.mkString(", ")}")
    _regularizers = _regularizers.filter(_._1 != param) ++ Option(regularizer).map(param -> _)
    this
  }

  /** BigDL's `wRegularizer`: the regularizer of "weight". */
  def setWRegularizer(regularizer: Regularizer): this.type = setRegularizer("weight", regularizer)

  /** BigDL's `bRegularizer`: the regularizer of "bias". */
  def setBRegularizer(regularizer: Regularizer): this.type = setRegularizer("bias", regularizer)

  /** The regularizers of this module's own parameters (parameter name -> regularizer). */
  def regularizers: Seq[(String, Regularizer)] = _regularizers

  /**
   * Adds the gradient of every regularizer of this module and its descendants into the gradients of the
   * parameters they regularize. The optimizers call it once per iteration after the backward pass, on the
   * module whose gradients are the batch's (aggregated) gradients: calling it on several replicas whose
   * gradients are summed afterwards would count the penalty several times.
   */
  def accRegularization(): Unit = {
    if (_regularizers.nonEmpty) {
      val own = ownParameters.toMap
      _regularizers.foreach { case (n, r) => val p = own(n); r.accRegularization(p.value, p.grad, 1.0) }
    }
    children.foreach(_.accRegularization())
  }

  /** The summed penalties of all regularizers of this module and its descendants at the current weights. */
  def regularizationLoss: Double = {
    val own = if (_regularizers.isEmpty) Map.empty[String, Parameter] else ownParameters.toMap
    _regularizers.map { case (n, r) => r.loss(own(n).value) }.sum + children.map(_.regularizationLoss).sum
  }

  def setName(name: String): this.type = { _name = name; this }
  def getName: String = if (_name == null) getClass.getSimpleName else _name

  /**
   * Compacts all weights into one flat tensor and all gradients into another, making every layer's
   * parameter tensors views into them, and returns (flatWeights, flatGradients). Idempotent.
   */
  def getParameters(): (Tensor, Tensor) = FlatParameters.compact(this)

  /** Runs forward in evaluation mode on a batch and returns a copy of the output tensor. */
  def predict(input: Tensor): Tensor = {
    val wasTraining = isTraining
    evaluate()
    try updateOutput(input).toTensor.clone()
    finally if (wasTraining) training()
  }

  /** A deep copy: same structure and configuration, copied parameters and buffers. */
  def cloneModule(): Module = ember.io.ModelFile.fromBytes(ember.io.ModelFile.toBytes(this))

  /** Saves this module in Ember's model file format (see `ember.io.ModelFile`). */
  def save(path: String, overWrite: Boolean = false): this.type = { ember.io.ModelFile.save(this, path, overWrite); this }

  override def toString: String = {
    val args = config.collect { case (k, v) if !Module.isDefaultLike(v) => s"$k=${Module.show(v)}" }
    s"${getClass.getSimpleName}(${args.mkString(", ")})"
  }
}

object Module {

  /** Loads a module saved by [[Module.save]] (from Scala or Python). */
  def load(path: String): Module = ember.io.ModelFile.load(path)

  private def isDefaultLike(v: Any): Boolean = v match {
    case _: Module => true
    case _         => false
  }

  private[nn] def show(v: Any): String = v match {
    case a: Array[_] => a.mkString("[", ", ", "]")
    case s: Seq[_]   => s.mkString("[", ", ", "]")
    case other       => String.valueOf(other)
  }
}

/** A module from one tensor to one tensor: most layers. */
abstract class TensorModule extends Module {
  def updateOutput(input: Tensor): Tensor
  def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor
  def accGradParameters(input: Tensor, gradOutput: Tensor): Unit = ()

  final override def updateOutput(input: Activity): Activity = updateOutput(input.toTensor)
  final override def updateGradInput(input: Activity, gradOutput: Activity): Activity =
    updateGradInput(input.toTensor, gradOutput.toTensor)
  final override def accGradParameters(input: Activity, gradOutput: Activity): Unit =
    accGradParameters(input.toTensor, gradOutput.toTensor)

  def forward(input: Tensor): Tensor = updateOutput(input)
  def backward(input: Tensor, gradOutput: Tensor): Tensor = super.backward(input, gradOutput).toTensor

  protected def outTensor: Tensor = output.toTensor
  protected def gradInTensor: Tensor = gradInput.toTensor
}
