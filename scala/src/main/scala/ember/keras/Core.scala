package ember.keras

import ember.nn.{Dropout => NnDropout, Identity, Linear, LookupTable, Module, Reshape => NnReshape, SpatialBatchNormalization}

/** A fully connected layer on 1-d samples (Keras' `Dense(output_dim, activation)`): [[ember.nn.Linear]]. */
class Dense(val outputDim: Int, activation: String, val withBias: Boolean, inputShape: Array[Int], name: String)
    extends ActivatedLayer(activation, inputShape, name) {
  require(outputDim > 0, s"Dense: outputDim must be positive, got $outputDim")
  def this(outputDim: Int, activation: String, inputShape: Array[Int]) = this(outputDim, activation, true, inputShape, null)
  def this(outputDim: Int, activation: String) = this(outputDim, activation, true, null, null)
  def this(outputDim: Int) = this(outputDim, null, true, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = {
    checkRank(in, 1, "(features,); Flatten first or wrap the layer in TimeDistributed")
    Array(outputDim)
  }
  override protected def core(in: Array[Int]): Module = new Linear(in(0), outputDim, withBias)
}

/** An activation by Keras name (`Activation("relu")`). */
class Activation(val activation: String, inputShape: Array[Int], name: String) extends ActivatedLayer(activation, inputShape, name) {
  require(activation != null && activation.nonEmpty && activation != "linear",
    s"Activation: a non-linear activation name is required, got '$activation'")
  def this(activation: String) = this(activation, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = in
  override protected def core(in: Array[Int]): Module = new Identity()
}

/** Drops inputs with probability `p` while training, scaling the rest by 1 / (1 - p): [[ember.nn.Dropout]]. */
class Dropout(val p: Double, inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  require(p >= 0 && p < 1, s"Dropout: p must be in [0, 1), got $p")
  def this(p: Double) = this(p, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = in
  override protected def module(in: Array[Int]): Module = new NnDropout(p)
}

/** Flattens each sample to one dimension. */
class Flatten(inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  def this() = this(null, null)

  override def outputShape(in: Array[Int]): Array[Int] = Array(in.product)
  override protected def module(in: Array[Int]): Module = new NnReshape(Array(in.product), true)
}

/** Reshapes each sample to `targetShape`; one entry may be -1 (inferred from the others). */
class Reshape(val targetShape: Array[Int], inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  require(targetShape != null && targetShape.nonEmpty && targetShape.forall(s => s > 0 || s == -1) && targetShape.count(_ == -1) <= 1,
    s"Reshape: targetShape must hold positive sizes and at most one -1, got ${Shapes.show(targetShape)}")
  def this(targetShape: Array[Int], inputShape: Array[Int]) = this(targetShape, inputShape, null)
  def this(targetShape: Array[Int]) = this(targetShape, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = {
    val known = targetShape.filter(_ > 0).product
    val out = targetShape.map(s => if (s == -1) in.product / known else s)
    check(out.product == in.product && out.forall(_ > 0),
      s"cannot reshape samples of shape ${Shapes.show(in)} (${in.product} values) to ${Shapes.show(targetShape)}")
    out
  }
  override protected def module(in: Array[Int]): Module = new NnReshape(outputShape(in), true)
}

/**
 * Batch normalization (Keras' `BatchNormalization(epsilon, momentum)`): over features for 1-d samples
 * ([[ember.nn.BatchNormalization]]), over channels for (channels, height, width) samples
 * ([[ember.nn.SpatialBatchNormalization]]). Keras' momentum m keeps m of the running statistics; Ember's (Torch's)
 * momentum is the share of the new batch, so it is 1 - m.
 */
class BatchNormalization(val epsilon: Double, val momentum: Double, inputShape: Array[Int], name: String)
    extends SingleInputLayer(inputShape, name) {
  require(epsilon > 0, s"BatchNormalization: epsilon must be positive, got $epsilon")
  require(momentum >= 0 && momentum < 1, s"BatchNormalization: momentum must be in [0, 1), got $momentum")
  def this(epsilon: Double, momentum: Double) = this(epsilon, momentum, null, null)
  def this() = this(1e-3, 0.99, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = {
    check(in.length == 1 || in.length == 3, s"expected samples of shape (features,) or (channels, height, width), got ${Shapes.show(in)}")
    in
  }
  override protected def module(in: Array[Int]): Module =
    if (in.length == 1) new ember.nn.BatchNormalization(in(0), epsilon, 1 - momentum)
    else new SpatialBatchNormalization(in(0), epsilon, 1 - momentum)
}

/** Maps 0-based indices in [0, inputDim) to learned vectors of outputDim: (length,) -> (length, outputDim). */
class Embedding(val inputDim: Int, val outputDim: Int, inputShape: Array[Int], name: String) extends SingleInputLayer(inputShape, name) {
  require(inputDim > 0 && outputDim > 0, s"Embedding: inputDim and outputDim must be positive, got $inputDim and $outputDim")
  def this(inputDim: Int, outputDim: Int, inputShape: Array[Int]) = this(inputDim, outputDim, inputShape, null)
  def this(inputDim: Int, outputDim: Int) = this(inputDim, outputDim, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = { checkRank(in, 1, "(length,) of indices"); Array(in(0), outputDim) }
  override protected def module(in: Array[Int]): Module = new LookupTable(inputDim, outputDim)
}
