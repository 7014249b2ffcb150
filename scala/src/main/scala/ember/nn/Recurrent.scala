package ember.nn

import ember.tensor.{Activity, Table, Tensor}

/**
 * Runs a recurrent cell ([[LSTM]], [[GRU]], [[RnnCell]]) over a sequence (BigDL's
 * `Recurrent().add(LSTM(inputSize, hiddenSize))`): input [batch, time, inputSize], output the hidden state
 * of every step, [batch, time, hiddenSize]. States start at zero, or at given ones when the input is a
 * table (x, h0) or, for LSTM, (x, h0, c0) with states [batch, hiddenSize] (a decoder started from an
 * encoder's state); the input gradient is then the table of the gradients of x and the given states.
 * Backward is full back-propagation through time (see [[Cell]]).
 */
class Recurrent extends Container {

  override def add(module: Module): this.type = {
    require(modules.isEmpty, "Recurrent holds exactly one cell; it already has one")
    require(module.isInstanceOf[Cell], s"Recurrent: expected a recurrent cell (LSTM, GRU, RnnCell), got $module")
    super.add(module)
  }

  /** The cell. */
  def cell: Cell = { require(modules.nonEmpty, "Recurrent: no cell; add one first (e.g. add(new LSTM(10, 20)))"); modules.head.asInstanceOf[Cell] }

  /** (x, h0, c0, number of given states) from a tensor or a table input. */
  private def parts(input: Activity): (Tensor, Tensor, Tensor, Int) = {
    val c = cell
    val (x, states) = input match {
      case t: Tensor => (t, IndexedSeq.empty[Tensor])
      case _ =>
        val items = TableSupport.tensors("Recurrent", input)
        require(items.length >= 2 && items.length <= 1 + c.nStates,
          s"Recurrent: a table input is (x, h0${if (c.nStates == 2) "[, c0]" else ""}), got ${items.length} items")
        (items.head, items.tail)
    }
    require(x.dim == 3 && x.size(2) == c.inputSize,
      s"Recurrent: expected input of shape [batch, time, ${c.inputSize}], got ${x.shapeString}")
    val b = x.size(0)
    for (s <- states) require(s.dim == 2 && s.size(0) == b && s.size(1) == c.hiddenSize,
      s"Recurrent: initial states must be [$b, ${c.hiddenSize}], got ${s.shapeString}")
    val h0 = states.headOption.getOrElse(Tensor(b, c.hiddenSize))
    val c0 = if (c.nStates == 2) states.lift(1).getOrElse(Tensor(b, c.hiddenSize)) else null
    (x, h0, c0, states.length)
  }

  override def updateOutput(input: Activity): Activity = {
    val (x, h0, c0, _) = parts(input)
    output = cell.sequenceForwardBatchFirst(x, h0, c0)
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val (_, _, _, given) = parts(input)
    val g = LayerSupport.gradLike("Recurrent", gradOutput.toTensor, output.toTensor).view(output.toTensor.shape)
    val (gxb, gh0, gc0) = cell.sequenceBackwardBatchFirst(g)
    gradInput = if (given == 0) gxb else Table((Seq(gxb, gh0) ++ (if (given == 2) Seq(gc0) else Nil)): _*)
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = Module.accGrad(cell, input, gradOutput)
}
