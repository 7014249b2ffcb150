package ember.nn

import ember.tensor.Tensor
import ember.tensor.dnn.RnnKernel

/**
 * Long short-term memory cell (BigDL's `LSTM(inputSize, hiddenSize)`, run by [[Recurrent]]). Gates in
 * PyTorch's order i, f, g, o, all from one projection z = x W_ih^T + h W_hh^T + b:
 * {{{
 *   i = sigmoid(z_i)   f = sigmoid(z_f)   g = tanh(z_g)   o = sigmoid(z_o)
 *   c' = f * c + i * g         h' = o * tanh(c')
 * }}}
 * Parameters: weight_ih [4H, I], weight_hh [4H, H], bias [4H] (one bias, as BigDL and Keras: 4H(I + H + 1)).
 */
class LSTM(inputSize: Int, hiddenSize: Int) extends Cell(inputSize, hiddenSize, 4, false) {
  import CellMath._

  override protected def dnnKind: RnnKernel.Kind = RnnKernel.Lstm

  override def nStates: Int = 2

  override protected def stepForward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor): Unit = {
    val (g, go, p, po) = (gate.storage, gate.offset, hProj.storage, hProj.offset)
    val (hs, ho, cs, co, cps, cpo) = (h.storage, h.offset, c.storage, c.offset, cPrev.storage, cPrev.offset)
    val hN = hiddenSize
    var b = 0
    while (b < gate.size(0)) {
      val r = b * G
      var j = 0
      while (j < hN) {
        // plain vals, not tuple patterns: in this per-element loop those box every Int and Float
        val ki = r + j; val kf = ki + hN; val kg = kf + hN; val ko = kg + hN
        val i = sigmoid(g(go + ki) + p(po + ki)); val f = sigmoid(g(go + kf) + p(po + kf))
        val gg = tanh(g(go + kg) + p(po + kg)); val o = sigmoid(g(go + ko) + p(po + ko))
        g(go + ki) = i; g(go + kf) = f; g(go + kg) = gg; g(go + ko) = o
        val cn = f * cps(cpo + b * hN + j) + i * gg
        cs(co + b * hN + j) = cn
        hs(ho + b * hN + j) = o * tanh(cn)
        j += 1
      }
      b += 1
    }
  }

  override protected def stepBackward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor,
      dh: Tensor, dc: Tensor, dxw: Tensor, dhw: Tensor, dhPrev: Tensor): Unit = {
    val (g, go, d, dOff) = (gate.storage, gate.offset, dxw.storage, dxw.offset)
    val hN = hiddenSize
    var b = 0
    while (b < gate.size(0)) {
      val r = b * G
      var j = 0
      while (j < hN) {
        val s = b * hN + j
        val ki = r + j; val kf = ki + hN; val kg = kf + hN; val ko = kg + hN
        val i = g(go + ki); val f = g(go + kf); val gg = g(go + kg); val o = g(go + ko)
        val tc = tanh(c.storage(c.offset + s))
        val dhv = dh.storage(dh.offset + s)
        val dct = dc.storage(dc.offset + s) + dhv * o * (1 - tc * tc)
        d(dOff + ki) = dct * gg * i * (1 - i)
        d(dOff + kf) = dct * cPrev.storage(cPrev.offset + s) * f * (1 - f)
        d(dOff + kg) = dct * i * (1 - gg * gg)
        d(dOff + ko) = dhv * tc * o * (1 - o)
        dc.storage(dc.offset + s) = dct * f
        dhPrev.storage(dhPrev.offset + s) = 0f
        j += 1
      }
      b += 1
    }
  }
}
