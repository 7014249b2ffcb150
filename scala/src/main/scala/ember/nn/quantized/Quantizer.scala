package ember.nn.quantized

import org.slf4j.LoggerFactory

import ember.nn.{Container, Identity, Module, ReLU, Sequential, SpatialBatchNormalization, Tanh, TensorModule}
import ember.tensor.Tensor

/**
 * Post-training int8 quantization (BigDL's `model.quantize()`): an inference copy of a trained model whose
 * [[ember.nn.SpatialConvolution]] and [[ember.nn.Linear]] layers compute in int8 ([[SpatialConvolution]],
 * [[Linear]] of this package), every other layer unchanged in float32.
 *
 * Steps: (1) deep-copy the model (the original is untouched) and put it in evaluation mode; (2) put a probe in
 * place of every convolution and linear layer, which runs the float layer and records the range of its input;
 * (3) run the copy on the calibration data, `batchSize` samples at a time; (4) replace each probe with the int8
 * layer: input step max |x| / 255 when the layer only saw non-negative inputs (after a ReLU: u8), else
 * max |x| / 127 (s8); weights per output channel, step max |w| / 63 (see [[QuantizedLayer]]). Layers the calibration never reached stay
 * float (logged). Grouped convolutions and subclasses of the two layers stay float: their geometry differs.
 *
 * Fusions (step 4, as BigDL's and oneDNN's int8 graphs do): a [[SpatialBatchNormalization]] that alone reads a
 * convolution's output is folded into its weights and bias (inference statistics: w' = w g / sqrt(var + eps),
 * b' = (b - mean) g / sqrt(var + eps) + beta), and a [[ReLU]] or [[Tanh]] that alone reads the result becomes
 * the int8 layer's activation (a oneDNN post-op); the folded layers are left in the model as [[Identity]], so
 * the structure keeps its shape (a Graph's wiring, child indices). The inputs the following layers see, and so
 * their calibration, do not change. Then (step 5) an int8 convolution whose output, through identities only,
 * alone feeds another becomes a [[Chain]] of the two (the second's place an Identity): on oneDNN the
 * intermediate stays int8.
 */
object Quantizer {
  private val log = LoggerFactory.getLogger(getClass)

  /** An int8 copy of `model`, calibrated on `calibration` ([N, ...] samples as the model takes them). */
  def quantize(model: Module, calibration: Tensor, batchSize: Int = 128): Module = {
    require(model != null, "quantize: model is null")
    require(calibration != null, "quantize: calibration data is required: a batch of typical inputs (e.g. a few " +
      "hundred training samples) from which each layer's input range is measured")
    require(calibration.dim >= 1 && calibration.size(0) > 0,
      s"quantize: calibration data must hold at least one sample, got shape ${calibration.shapeString}")
    require(batchSize > 0, s"quantize: batchSize must be positive, got $batchSize")
    val data = calibration.contiguous()
    require(data.toArray.forall(v => !v.isNaN && !v.isInfinite), "quantize: calibration data contains NaN or infinite values")
    val root = new Sequential().add(model.cloneModule()) // a container above the root, so the root can be replaced too
    root.evaluate()
    val probes = insertProbes(root)
    if (probes.isEmpty) log.warn("quantize: the model has no Linear or SpatialConvolution layer; it stays float32")
    var start = 0
    while (start < data.size(0)) {
      val n = math.min(batchSize, data.size(0) - start)
      root.forward(data.narrow(0, start, n))
      start += n
    }
    replaceProbes(root)
    chainConvolutions(root)
    root.children.head
  }

  /** Stands in for a float layer during calibration: runs it and records its input's range. */
  private final class Probe(val layer: TensorModule) extends TensorModule {
    var min: Float = Float.PositiveInfinity
    var max: Float = Float.NegativeInfinity
    def seen: Boolean = min <= max

    override def updateOutput(input: Tensor): Tensor = {
      val x = input.contiguous()
      val (a, off) = (x.storage, x.offset)
      var i = 0
      while (i < x.nElement) { val v = a(off + i); if (v < min) min = v; if (v > max) max = v; i += 1 }
      output = layer.forward(input)
      outTensor
    }

    override def updateGradInput(input: Tensor, gradOutput: Tensor): Tensor =
      throw new UnsupportedOperationException("quantize: calibration runs forward only")
  }

  private def insertProbes(c: Container): Seq[Probe] = c.children.zipWithIndex.flatMap {
    case (m, i) if isTarget(m) => val p = new Probe(m.asInstanceOf[TensorModule]); c.replaceChild(i, p); Seq(p)
    case (sub: Container, _) => insertProbes(sub)
    case _ => Nil
  }

  private def isTarget(m: Module): Boolean = m match {
    case _: ember.nn.Linear => m.getClass == classOf[ember.nn.Linear]
    case c: ember.nn.SpatialConvolution => m.getClass == classOf[ember.nn.SpatialConvolution] && c.nGroup == 1
    case _ => false
  }

  private def replaceProbes(c: Container): Unit = c.children.indices.foreach { i =>
    c.children(i) match {
      case p: Probe => c.replaceChild(i, if (p.seen) int8(p, fuse(c, i, p.layer)) else {
        log.warn(s"quantize: ${p.layer.getName} saw no calibration data; it stays float32"); p.layer
      })
      case sub: Container => replaceProbes(sub)
      case _ =>
    }
  }

  /** Pairs consecutive int8 convolutions into [[Chain]]s (see the object's description). */
  private def chainConvolutions(c: Container): Unit = c.children.indices.foreach { i =>
    c.children(i) match {
      case a: SpatialConvolution =>
        var j = c.soleConsumer(i)
        while (j >= 0 && c.children(j).getClass == classOf[Identity]) j = c.soleConsumer(j)
        if (j >= 0) c.children(j) match {
          case b: SpatialConvolution if b.nInputPlane == a.nOutputPlane =>
            c.replaceChild(j, new Identity())
            c.replaceChild(i, new Chain().add(a).add(b))
          case _ =>
        }
      case _: Chain =>
      case sub: Container => chainConvolutions(sub)
      case _ =>
    }
  }

  /** What is folded into an int8 layer: a batch normalisation (or null) and an activation ("" for none). */
  private final case class Fused(bn: SpatialBatchNormalization, activation: String)

  /** Finds the layers that fold into the one at `i` of `c` (see the object's description) and puts identities there. */
  private def fuse(c: Container, i: Int, layer: Module): Fused = {
    var at = c.soleConsumer(i)
    val bn = (layer, if (at >= 0) c.children(at) else null) match {
      case (conv: ember.nn.SpatialConvolution, b: SpatialBatchNormalization)
          if b.getClass == classOf[SpatialBatchNormalization] && b.nOutput == conv.nOutputPlane =>
        c.replaceChild(at, new Identity()); at = c.soleConsumer(at); b
      case _ => null
    }
    val activation = if (at < 0) "" else c.children(at) match {
      case r: ReLU if r.getClass == classOf[ReLU] => "relu"
      case t: Tanh if t.getClass == classOf[Tanh] => "tanh"
      case _ => ""
    }
    if (activation.nonEmpty) c.replaceChild(at, new Identity())
    Fused(bn, activation)
  }

  /** The weights and bias of a convolution with a batch normalisation folded in (`bn` in evaluation mode). */
  private def folded(weight: Tensor, bias: Tensor, bn: SpatialBatchNormalization): (Tensor, Tensor) = {
    val n = bn.nOutput
    val w = weight.contiguous().clone()
    val per = w.nElement / n
    val b = Tensor(n)
    for (o <- 0 until n) {
      val g = if (bn.weight == null) 1f else bn.weight(o)
      val beta = if (bn.bias == null) 0f else bn.bias(o)
      val s = (g / math.sqrt(bn.runningVar(o).toDouble + bn.eps)).toFloat
      for (k <- o * per until (o + 1) * per) w.storage(w.offset + k) *= s
      val b0 = if (bias == null) 0f else bias(o)
      b.storage(b.offset + o) = (b0 - bn.runningMean(o)) * s + beta
    }
    (w, b)
  }

  /** The int8 layer for a probe's float layer and input range, with what was fused into it. */
  private def int8(p: Probe, f: Fused): Module = {
    val unsigned = p.min >= 0f
    val magnitude = math.max(math.abs(p.min), math.abs(p.max))
    val step = if (magnitude > 0f) magnitude / ember.tensor.Int8Kernels.levels(unsigned) else 1f
    val q = p.layer match {
      case l: ember.nn.Linear =>
        new Linear(l.inputSize, l.outputSize, l.withBias, step, unsigned, f.activation).setFloatWeights(l.weight, l.bias)
      case s: ember.nn.SpatialConvolution =>
        val (w, b) = if (f.bn == null) (s.weight, s.bias) else folded(s.weight, s.bias, f.bn)
        new SpatialConvolution(s.nInputPlane, s.nOutputPlane, s.kernelW, s.kernelH, s.strideW, s.strideH, s.padW, s.padH,
          b != null, step, unsigned, f.activation).setFloatWeights(w, b)
      case other => throw new IllegalStateException(s"quantize: no int8 layer for ${other.getClass.getName}")
    }
    if (p.layer.getName != p.layer.getClass.getSimpleName) q.setName(p.layer.getName)
    q
  }
}
