package ember.nn

import ember.tensor.{Activity, Table, Tensor}

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
 *  - return the constructor arguments, in order, from [[config]]: [[ModuleSpec]] describes the module with
 *    them and rebuilds it by class name (clones, the model file of `ember.io.ModelFile`), and Python builds
 *    modules the same way. Saving and loading go through `ember.io.ModelFile` (`nn` does not know `io`);
 *  - give the defaults of the optional ones in [[configDefaults]]: the one `toString` is derived from both
 *    (no per-layer `toString`);
 *  - override [[backwardStep]], not `backward`, to fuse or skip gradient work.
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
  private var frozen: Boolean = false

  /** Computes the output for `input`, keeping it in [[output]]. */
  def updateOutput(input: Activity): Activity

  /** Computes the gradient with respect to the input, keeping it in [[gradInput]]. */
  def updateGradInput(input: Activity, gradOutput: Activity): Activity

  /** Accumulates gradients of the parameters (no-op for modules without parameters). */
  def accGradParameters(input: Activity, gradOutput: Activity): Unit = ()

  def forward(input: Activity): Activity = updateOutput(input)

  private var _propagateBack = true

  /**
   * Whether [[backward]] must compute [[gradInput]] (true by default). The optimizers set it to false on
   * the models they train, whose input gradient nothing reads; a module may then skip that work and leave
   * `gradInput` undefined (SpatialConvolution and Linear do; containers pass it on to the children that
   * receive their input, see `Sequential`). Modules that ignore it stay correct, only slower.
   */
  def propagateBack: Boolean = _propagateBack

  /** Sets [[propagateBack]]; containers override it to pass the setting on. */
  def setPropagateBack(value: Boolean): this.type = { _propagateBack = value; this }

  /**
   * The one backward of every module: checks `gradOutput` against the output of the last forward, runs
   * [[backwardStep]] with what is wanted - the input gradient unless [[propagateBack]] is off, the parameter
   * gradients unless this module is frozen ([[freeze]]) - and returns [[gradInput]].
   */
  final def backward(input: Activity, gradOutput: Activity): Activity = {
    checkGradOutput(gradOutput)
    backwardStep(input, gradOutput, wantInput = propagateBack, wantParams = !frozen)
    gradInput
  }

  /**
   * Computes [[gradInput]] (which may be skipped when `wantInput` is false) and accumulates the parameter
   * gradients when `wantParams` is true. The default runs [[updateGradInput]], then [[accGradParameters]]. A
   * layer overrides it to skip the input gradient or to compute both in one pass; a container, to run its
   * children's `backward` (each child applies its own frozen flag and propagateBack).
   */
  protected def backwardStep(input: Activity, gradOutput: Activity, wantInput: Boolean, wantParams: Boolean): Unit = {
    updateGradInput(input, gradOutput)
    if (wantParams) accGradParameters(input, gradOutput)
  }

  /**
   * Requires gradOutput to have the shape of the output of the last forward (as PyTorch does): a tensor that
   * of the tensor output, a table as many entries as the table output, each checked the same way. The one
   * [[backward]] calls it before any [[backwardStep]], so Scala callers get the same message as Python's.
   */
  private[ember] def checkGradOutput(gradOutput: Activity): Unit = Module.checkGrad(getName, "", output, gradOutput)

  /** This module's own parameters, by name ("weight", "bias"), without those of its children. */
  def ownParameters: Seq[(String, Parameter)] = Nil

  /** This module's own non-trainable state saved with the model (e.g. running mean/variance). */
  def ownBuffers: Seq[(String, Tensor)] = Nil

  /** Direct sub-modules, for containers. */
  def children: Seq[Module] = Nil

  /** Constructor arguments in declaration order (name -> value), as stored in the model file. */
  def config: Seq[(String, Any)] = Nil

  /**
   * Whether, in training, the output and gradients for one sample depend on that sample alone (not on the
   * other samples of its batch, nor on random draws), so that the optimizers may share a batch among their
   * workers in chunks of any size ([[ember.data.ChunkQueue]]). False for batch normalization (batch
   * statistics) and the noise layers (dropout, Gaussian noise).
   */
  def samplesIndependent: Boolean = true

  /** (Re)initialises parameters with the layer's default method (see also [[setInitMethod]]). */
  def reset(): Unit = ()

  /**
   * Torch's default initialisation, the one helper the layers' [[reset]] share: every value of `tensors`, in
   * order, drawn from U(-1/sqrt(fanIn), 1/sqrt(fanIn)) with [[ember.tensor.RandomGenerator]] (so a seed
   * gives the same weights as before the helper existed).
   */
  protected final def initUniform(fanIn: Double, tensors: Tensor*): Unit = {
    val bound = (1.0 / math.sqrt(fanIn)).toFloat
    val rng = ember.tensor.RandomGenerator.random
    tensors.foreach(_.apply1(_ => (rng.nextFloat() * 2 - 1) * bound))
  }

  /**
   * Re-initialises this module's own "weight" with `weightInitMethod` and "bias" with `biasInitMethod`
   * (BigDL's `setInitMethod`); null keeps a parameter as it is. On a container, applies to every
   * descendant that has such parameters. Fans come from the weight's shape ([[InitMethod]]). A later
   * [[reset]] goes back to the layer's default initialisation.
   */
  def setInitMethod(weightInitMethod: InitMethod, biasInitMethod: InitMethod): this.type = {
    val own = ownParameters.toMap
    val (fanIn, fanOut) = own.get("weight").map(p => InitMethod.fans(p.value.shape)).getOrElse((1, 1))
    for ((name, method) <- Seq("weight" -> weightInitMethod, "bias" -> biasInitMethod); p <- own.get(name)
         if method != null) method.init(p.value, fanIn, fanOut)
    children.foreach(_.setInitMethod(weightInitMethod, biasInitMethod))
    this
  }

  /** [[setInitMethod]] for the weight only. */
  def setInitMethod(weightInitMethod: InitMethod): this.type = setInitMethod(weightInitMethod, null)

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
   * gradients are summed afterwards would count the penalty several times. Frozen modules are skipped.
   */
  def accRegularization(): Unit = {
    if (_regularizers.nonEmpty && !frozen) {
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

  /**
   * Freezes sub-modules (BigDL's `freeze`): without names this module and all its descendants, else the
   * modules of this tree named `names` ([[setName]]) with their descendants. A frozen module still
   * back-propagates to its input but accumulates no parameter gradient, so gradient-based optim methods
   * leave its weights unchanged, and its regularizers add nothing (an optim method's own weight decay would
   * still act: use per-layer regularizers on the layers that train instead). Fails on a name that is not
   * in the tree.
   */
  def freeze(names: String*): this.type = { setFrozen(names, value = true); this }

  /** Unfreezes what [[freeze]] froze: everything without names, else the named sub-modules (and their descendants). */
  def unFreeze(names: String*): this.type = { setFrozen(names, value = false); this }

  /** [[freeze]] for callers that hold an array of names (Python). */
  def freeze(names: Array[String]): this.type = freeze(names.toIndexedSeq: _*)

  /** [[unFreeze]] for callers that hold an array of names (Python). */
  def unFreeze(names: Array[String]): this.type = unFreeze(names.toIndexedSeq: _*)

  /** True when [[freeze]] froze this module. */
  def isFrozen: Boolean = frozen

  /** Sets this module's own frozen flag only (the model file restores it with this; clones keep it). */
  private[ember] def setFrozenFlag(value: Boolean): Unit = frozen = value

  private def setFrozen(names: Seq[String], value: Boolean): Unit =
    if (names.isEmpty) Module.descendants(this).foreach(_.frozen = value)
    else {
      val all = Module.descendants(this)
      for (n <- names) {
        val hits = all.filter(_.getName == n)
        require(hits.nonEmpty, s"${if (value) "freeze" else "unFreeze"}: no module named '$n' in this model; " +
          s"names: ${all.map(_.getName).distinct.mkString(", ")}")
        hits.flatMap(Module.descendants).foreach(_.frozen = value)
      }
    }

  /**
   * A graph node applying this module to the outputs of `nodes` (BigDL's functional API): one node gives
   * this module its output, several give it the table of their outputs. See [[Graph]].
   */
  def inputs(nodes: Node*): Node = new Node(this, nodes.toIndexedSeq)

  /** [[inputs]] for callers that hold an array (Python). */
  def inputs(nodes: Array[Node]): Node = inputs(nodes.toIndexedSeq: _*)

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

  /**
   * An int8 copy of this model for inference: its SpatialConvolution and Linear layers compute in int8, with input
   * ranges measured on `calibration` (samples as the model takes them); see [[ember.nn.quantized.Quantizer]].
   */
  def quantize(calibration: Tensor): Module = ember.nn.quantized.Quantizer.quantize(this, calibration)

  /** A deep copy: same structure and configuration ([[ModuleSpec]]), copied parameters and buffers. */
  def cloneModule(): Module = ModuleSpec.copy(this)

  /**
   * The defaults of the optional arguments of [[config]] (name -> default, as the short constructors fill
   * them in): the one [[toString]] prints the arguments without a default by value, then the others as
   * `name=value` when they differ from their default (PyTorch's `extra_repr`), e.g.
   * `SpatialConvolution(3, 8, 3, 3, padW=1, padH=1)`.
   */
  def configDefaults: Seq[(String, Any)] = Nil

  override def toString: String = LayerSupport.describe(getClass.getSimpleName, config, configDefaults)
}

object Module {

  private def checkGrad(layer: String, path: String, out: Activity, grad: Activity): Unit = (out, grad) match {
    case (o: Tensor, g: Tensor) if o.nElement > 0 || g.nElement > 0 =>
      if (!o.sameShape(g)) throw new IllegalArgumentException(
        s"$layer: gradOutput$path of shape ${g.shapeString} does not match the output$path shape ${o.shapeString} of the last forward")
    case (o: Table, g: Table) =>
      if (o.length != g.length) throw new IllegalArgumentException(
        s"$layer: gradOutput$path is a table of ${g.length} entries but the output$path of the last forward has ${o.length}")
      (0 until o.length).foreach(i => checkGrad(layer, s"$path[$i]", o(i), g(i)))
    case _ =>
  }

  /** `m` and all modules below it, depth first. */
  def descendants(m: Module): Seq[Module] = m +: m.children.flatMap(descendants)

  /** Whether every module of `m` has [[Module.samplesIndependent]]: then a batch may be split freely. */
  def splitsFreely(m: Module): Boolean = descendants(m).forall(_.samplesIndependent)

  /** `module.accGradParameters(input, gradOutput)` unless it is frozen: containers call this for their children. */
  def accGrad(module: Module, input: Activity, gradOutput: Activity): Unit =
    if (!module.isFrozen) module.accGradParameters(input, gradOutput)

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
  final def backward(input: Tensor, gradOutput: Tensor): Tensor = super.backward(input, gradOutput).toTensor

  protected def outTensor: Tensor = output.toTensor
  protected def gradInTensor: Tensor = gradInput.toTensor
}
