package ember.keras

import ember.nn.{BiRecurrent, CAddTable, Cell, ConcatTable, JoinTable, Module, Narrow, Select, Sequential => NnSequential,
  TimeDistributed => NnTimeDistributed, Recurrent => NnRecurrent}

/**
 * Shared by LSTM and GRU over (steps, features) samples: an [[ember.nn.Recurrent]] over the cell, followed by
 * the last step's output unless `returnSequences` (then (steps, outputDim)).
 */
abstract class RecurrentLayer(val outputDim: Int, val returnSequences: Boolean, inputShape: Array[Int], name: String)
    extends SingleInputLayer(inputShape, name) {
  require(outputDim > 0, s"$kind: outputDim must be positive, got $outputDim")

  /** A new cell of this kind for `inputDim` features. */
  def cell(inputDim: Int): Cell

  override def outputShape(in: Array[Int]): Array[Int] = {
    checkRank(in, 2, "(steps, features)")
    if (returnSequences) Array(in(0), outputDim) else Array(outputDim)
  }

  override protected def module(in: Array[Int]): Module = {
    val r = new NnRecurrent().add(cell(in(1)))
    if (returnSequences) r else new NnSequential().add(r).add(new Select(1, -1))
  }
}

/** Keras' `LSTM(output_dim, return_sequences=False)`: [[ember.nn.LSTM]]. */
class LSTM(outputDim: Int, returnSequences: Boolean, inputShape: Array[Int], name: String)
    extends RecurrentLayer(outputDim, returnSequences, inputShape, name) {
  def this(outputDim: Int, returnSequences: Boolean) = this(outputDim, returnSequences, null, null)
  def this(outputDim: Int) = this(outputDim, false, null, null)
  override def cell(inputDim: Int): Cell = new ember.nn.LSTM(inputDim, outputDim)
}

/** Keras' `GRU(output_dim, return_sequences=False)`: [[ember.nn.GRU]]. */
class GRU(outputDim: Int, returnSequences: Boolean, inputShape: Array[Int], name: String)
    extends RecurrentLayer(outputDim, returnSequences, inputShape, name) {
  def this(outputDim: Int, returnSequences: Boolean) = this(outputDim, returnSequences, null, null)
  def this(outputDim: Int) = this(outputDim, false, null, null)
  override def cell(inputDim: Int): Cell = new ember.nn.GRU(inputDim, outputDim)
}

/**
 * Runs an LSTM or GRU forwards and backwards (Keras' `Bidirectional(layer, merge_mode="concat")`, "concat" or
 * "sum"): [[ember.nn.BiRecurrent]]. Without `returnSequences`, the output merges the forward direction's last
 * step with the backward direction's last step, which is at position 0 (Keras' rule).
 */
class Bidirectional(val layer: RecurrentLayer, val mergeMode: String, inputShape: Array[Int], name: String)
    extends SingleInputLayer(if (inputShape != null) inputShape else layer.inputShape, name) {
  require(layer != null, "Bidirectional: a recurrent layer (LSTM or GRU) is required")
  require(mergeMode == "concat" || mergeMode == "sum", s"Bidirectional: mergeMode must be 'concat' or 'sum', got '$mergeMode'")
  def this(layer: RecurrentLayer, mergeMode: String) = this(layer, mergeMode, null, null)
  def this(layer: RecurrentLayer) = this(layer, "concat", null, null)

  private def width: Int = if (mergeMode == "concat") 2 * layer.outputDim else layer.outputDim

  override def outputShape(in: Array[Int]): Array[Int] = {
    val inner = layer.outputShape(in)
    if (layer.returnSequences) Array(inner(0), width) else Array(width)
  }

  override protected def module(in: Array[Int]): Module = {
    val h = layer.outputDim
    if (layer.returnSequences) new BiRecurrent(if (mergeMode == "concat") "concat" else "add").add(layer.cell(in(1)))
    else {
      // both directions side by side per step; forward's last step and backward's step 0 are the final states
      val ends = new ConcatTable()
        .add(new NnSequential().add(new Select(1, -1)).add(new Narrow(1, 0, h)))
        .add(new NnSequential().add(new Select(1, 0)).add(new Narrow(1, h, h)))
      new NnSequential().add(new BiRecurrent("concat").add(layer.cell(in(1)))).add(ends)
        .add(if (mergeMode == "concat") new JoinTable(0, 1) else new CAddTable())
    }
  }
}

/** Applies a layer to every step of (steps, ...) samples (Keras' `TimeDistributed(layer)`): [[ember.nn.TimeDistributed]]. */
class TimeDistributed(val layer: KerasLayer, inputShape: Array[Int], name: String)
    extends SingleInputLayer(if (inputShape != null) inputShape else layer.inputShape, name) {
  require(layer != null, "TimeDistributed: a layer is required")
  def this(layer: KerasLayer) = this(layer, null, null)

  override def outputShape(in: Array[Int]): Array[Int] = {
    check(in.length >= 2, s"expected samples of shape (steps, ...), got ${Shapes.show(in)}")
    in(0) +: layer.outputShape(Seq(in.tail))
  }
  override protected def module(in: Array[Int]): Module = new NnTimeDistributed(layer.build(Seq(in.tail))._1)
}
