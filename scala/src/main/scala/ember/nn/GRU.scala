package ember.nn

import ember.tensor.Tensor
import ember.tensor.dnn.RnnKernel

/**
 * Gated recurrent unit cell (BigDL's `GRU(inputSize, hiddenSize)`, run by [[Recurrent]]), with PyTorch's
 * (and Keras `reset_after`) equations, gates in the order r, z, n:
 * {{{
 *   a = x W_ih^T + b_ih      u = h W_hh^T + b_hh
 *   r = sigmoid(a_r + u_r)   z = sigmoid(a_z + u_z)   n = tanh(a_n + r * u_n)
 *   h' = (1 - z) * n + z * h
 * }}}
 * Parameters: weight_ih [3H, I], weight_hh [3H, H], bias [3H], bias_hh [3H]: 3H(I + H + 2).
 */
class GRU(inputSize: Int, hiddenSize: Int) extends Cell(inputSize, hiddenSize, 3, true) {
  import CellMath._

  override protected def dnnKind: RnnKernel.Kind = RnnKernel.LbrGru

  override protected def separateHiddenGrad: Boolean = true

  override protected def stepForward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor): Unit = {
    val (g, go, p, po) = (gate.storage, gate.offset, hProj.storage, hProj.offset)
    val hN = hiddenSize
    var b = 0
    while (b < gate.size(0)) {
      val r0 = b * G
      var j = 0
      while (j < hN) {
        val kr = r0 + j; val kz = kr + hN; val kn = kz + hN // plain vals: a tuple pattern boxes per element
        val r = sigmoid(g(go + kr) + p(po + kr)); val z = sigmoid(g(go + kz) + p(po + kz))
        val n = tanh(g(go + kn) + r * p(po + kn))
        g(go + kr) = r; g(go + kz) = z; g(go + kn) = n
        val s = b * hN + j
        h.storage(h.offset + s) = (1 - z) * n + z * hPrev.storage(hPrev.offset + s)
        j += 1
      }
      b += 1
    }
  }

  override protected def stepBackward(gate: Tensor, hProj: Tensor, hPrev: Tensor, cPrev: Tensor, h: Tensor, c: Tensor,
      dh: Tensor, dc: Tensor, dxw: Tensor, dhw: Tensor, dhPrev: Tensor): Unit = {
    val (g, go, p, po) = (gate.storage, gate.offset, hProj.storage, hProj.offset)
    val hN = hiddenSize
    var b = 0
    while (b < gate.size(0)) {
      val r0 = b * G
      var j = 0
      while (j < hN) {
        val s = b * hN + j
        val kr = r0 + j; val kz = kr + hN; val kn = kz + hN // plain vals: a tuple pattern boxes per element
        val r = g(go + kr); val z = g(go + kz); val n = g(go + kn)
        val dhv = dh.storage(dh.offset + s)
        val hp = hPrev.storage(hPrev.offset + s)
        val dn = dhv * (1 - z) * (1 - n * n)
        val dz = dhv * (hp - n) * z * (1 - z)
        val dr = dn * p(po + kn) * r * (1 - r)
        dxw.storage(dxw.offset + kr) = dr; dxw.storage(dxw.offset + kz) = dz; dxw.storage(dxw.offset + kn) = dn
        dhw.storage(dhw.offset + kr) = dr; dhw.storage(dhw.offset + kz) = dz; dhw.storage(dhw.offset + kn) = dn * r
        dhPrev.storage(dhPrev.offset + s) = dhv * z
        j += 1
      }
      b += 1
    }
  }
}
