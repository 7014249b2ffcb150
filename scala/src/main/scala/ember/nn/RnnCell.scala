package ember.nn

import ember.tensor.Tensor

/**
 * The plain (Elman) recurrent cell h' = act(x W_ih^T + h W_hh^T + b) (BigDL's `RnnCell(inputSize,
 * hiddenSize, activation)`), run by [[Recurrent]]. `activation` is "tanh" (default), "relu" or "sigmoid".
 * Parameters: weight_ih [H, I], weight_hh [H, H], bias [H]: H(I + H + 1), as Keras' SimpleRNN.
 */
class RnnCell(inputSize: Int, hiddenSize: Int, val activation: String) extends Cell(inputSize, hiddenSize, 1, false) {
  require(Set("tanh", "relu", "sigmoid").contains(activation),
    s"RnnCell: activation must be tanh, relu or sigmoid, got '$activation'")

  def this(inputSize: Int, hiddenSize: Int) = this(inputSize, hiddenSize, "tanh")

  private val kind = activation match { case "tanh" => 0; case "relu" => 1; case _ => 2 }

  override protected def stepForward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor): Unit = {
    val n = gate.nElement
    var k = 0
    while (k < n) {
      val z = gate.storage(gate.offset + k) + hProj.storage(hProj.offset + k)
      h.storage(h.offset + k) = kind match {
        case 0 => CellMath.tanh(z)
        case 1 => math.max(z, 0f)
        case _ => CellMath.sigmoid(z)
      }
      k += 1
    }
  }

  override protected def stepBackward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor,
      dh: Tensor, dc: Tensor, dxw: Tensor, dhw: Tensor, dhPrev: Tensor): Unit = {
    val n = gate.nElement
    var k = 0
    while (k < n) {
      val y = h.storage(h.offset + k)
      val d = dh.storage(dh.offset + k)
      dxw.storage(dxw.offset + k) = kind match {
        case 0 => d * (1 - y * y)
        case 1 => if (y > 0) d else 0f
        case _ => d * y * (1 - y)
      }
      dhPrev.storage(dhPrev.offset + k) = 0f
      k += 1
    }
  }

  override def config: Seq[(String, Any)] = super.config :+ ("activation" -> activation)
  override def configDefaults: Seq[(String, Any)] = Seq("activation" -> "tanh")
}
