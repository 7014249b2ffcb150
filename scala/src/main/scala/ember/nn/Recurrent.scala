package ember.nn

import ember.tensor.{Activity, Tensor}

/**
 * Runs a recurrent cell ([[LSTM]], [[GRU]], [[RnnCell]]) over a sequence (BigDL's
 * `Recurrent().add(LSTM(inputSize, hiddenSize))`): input [batch, time, inputSize], output the hidden state
 * of every step, [batch, time, hiddenSize], from zero initial states. Backward is full back-propagation
 * through time (see [[Cell]]).
 */
class Recurrent extends Container {

  override def add(module: Module): this.type = {
    require(modules.isEmpty, "Recurrent holds exactly one cell; it already has one")
    require(module.isInstanceOf[Cell], s"Recurrent: expected a recurrent cell (LSTM, GRU, RnnCell), got $module")
    super.add(module)
  }

  /** The cell. */
  def cell: Cell = { require(modules.nonEmpty, "Recurrent: no cell; add one first (e.g. add(new LSTM(10, 20)))"); modules.head.asInstanceOf[Cell] }

  override def updateOutput(input: Activity): Activity = {
    val x = input.toTensor
    val c = cell
    require(x.dim == 3 && x.size(2) == c.inputSize,
      s"Recurrent: expected input of shape [batch, time, ${c.inputSize}], got ${x.shapeString}")
    val b = x.size(0)
    val h0 = Tensor(b, c.hiddenSize)
    c.sequenceForward(x.transpose(0, 1).contiguous(), h0, if (c.nStates == 2) Tensor(b, c.hiddenSize) else null)
    output = c.hidden.transpose(0, 1).contiguous()
    output
  }

  override def updateGradInput(input: Activity, gradOutput: Activity): Activity = {
    val g = LayerSupport.gradLike("Recurrent", gradOutput.toTensor, output.toTensor).view(output.toTensor.shape)
    val (gx, _, _) = cell.sequenceBackward(g.transpose(0, 1).contiguous(), null)
    gradInput = gx.transpose(0, 1).contiguous()
    gradInput
  }

  override def accGradParameters(input: Activity, gradOutput: Activity): Unit = Module.accGrad(cell, input, gradOutput)
}
