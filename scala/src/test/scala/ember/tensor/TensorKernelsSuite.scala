package ember.tensor

import org.scalatest.funsuite.AnyFunSuite

/**
 * Unit tests of the JVM tensor kernels against naive loops written from their definitions: elementwise
 * operations and reductions on strided views, views themselves, the matrix-product wrappers, im2col/col2im
 * (plain and dilated), softmax and pooling. The layers' tests check the same kernels only through whole
 * layers; these pin each kernel down on the cases that are easy to get wrong (offsets, strides, padding).
 */
class TensorKernelsSuite extends AnyFunSuite {

  private def rng = new java.util.Random(7)

  /** A [2, 3, 4] tensor seen transposed as [4, 3, 2] (non-contiguous), with its contiguous copy. */
  private def strided(seed: Int): (Tensor, Tensor) = {
    val base = Tensor.normal(new java.util.Random(seed), 0f, 1f, 2, 3, 4)
    val t = base.transpose(0, 2)
    assert(!t.isContiguous)
    (t, t.clone())
  }

  private def indices(shape: Array[Int]): Seq[Seq[Int]] =
    shape.foldLeft(Seq(Seq.empty[Int]))((acc, n) => for (p <- acc; i <- 0 until n) yield p :+ i)

  private def close(a: Double, b: Double, tol: Double = 1e-5): Boolean = math.abs(a - b) <= tol * (1 + math.abs(b))

  // ------------------------------------------------------------------ elementwise

  test("elementwise operations on a strided view change exactly its elements, as the same loop on a copy") {
    val ops: Seq[(String, (Tensor, Tensor, Tensor) => Unit, (Float, Float, Float) => Float)] = Seq(
      ("add(alpha, t)", (x, a, _) => x.add(0.5f, a), (x, a, _) => x + 0.5f * a),
      ("sub", (x, a, _) => x.sub(a), (x, a, _) => x - a),
      ("cmul", (x, a, _) => x.cmul(a), (x, a, _) => x * a),
      ("cdiv", (x, a, _) => x.cdiv(a), (x, a, _) => x / a),
      ("addcmul", (x, a, b) => x.addcmul(2f, a, b), (x, a, b) => x + 2f * a * b),
      ("addcdiv", (x, a, b) => x.addcdiv(-1f, a, b), (x, a, b) => x - a / b),
      ("mul(v)", (x, _, _) => x.mul(3f), (x, _, _) => x * 3f),
      ("add(v)", (x, _, _) => x.add(-2f), (x, _, _) => x - 2f),
      ("abs", (x, _, _) => x.abs(), (x, _, _) => math.abs(x)),
      ("clamp", (x, _, _) => x.clamp(-0.5f, 0.25f), (x, _, _) => math.min(math.max(x, -0.5f), 0.25f)),
      ("exp", (x, _, _) => x.exp(), (x, _, _) => math.exp(x.toDouble).toFloat),
      ("fill", (x, _, _) => x.fill(9f), (_, _, _) => 9f))
    for ((name, op, ref) <- ops) {
      val owner = Tensor.normal(rng, 0f, 1f, 5, 4, 3)
      val before = owner.clone()
      val x = owner.narrow(0, 1, 3).transpose(1, 2) // [3, 3, 4] at an offset, strided
      val p = Tensor.normal(rng, 0f, 1f, 4, 3, 3).transpose(0, 2) // strided operand
      val q = Tensor.uniform(rng, 0.5f, 2f, 3, 3, 4)
      val expected = Tensor(3, 3, 4)
      for (i <- indices(Array(3, 3, 4))) expected.setValue(ref(x(i: _*), p(i: _*), q(i: _*)), i: _*)
      op(x, p, q)
      assert(x.almostEqual(expected, 1e-6, 1e-5), s"$name: wrong values in the view")
      // elements outside the view are untouched
      for (i <- indices(owner.shape) if i.head == 0 || i.head == 4) assert(owner(i: _*) == before(i: _*), s"$name wrote outside the view at $i")
    }
  }

  test("copy between views of different strides, and broadcasting by expand (stride 0)") {
    val (t, c) = strided(3)
    assert(t.almostEqual(c, 0, 0))
    val row = Tensor.fromArray(Array(1f, 2f, 3f), 1, 3)
    val e = row.expand(Array(4, 3))
    assert(e.stride(0) == 0 && e.toArray.sameElements(Seq.fill(4)(Seq(1f, 2f, 3f)).flatten))
    val sum = Tensor(4, 3).fill(1f).add(e)
    assert(sum.select(0, 3).toArray.sameElements(Array(2f, 3f, 4f)))
    assert(intercept[IllegalArgumentException](row.expand(Array(4, 4))).getMessage.contains("cannot expand dimension 1"))
  }

  // ------------------------------------------------------------------ reductions

  test("sum, mean, max, min, sumSquares over a strided view equal the naive loops") {
    val (t, c) = strided(4)
    val xs = c.toArray.map(_.toDouble)
    assert(close(t.sum(), xs.sum) && close(t.mean(), xs.sum / xs.length))
    assert(t.max() == xs.max.toFloat && t.min() == xs.min.toFloat)
    assert(close(t.sumSquares(), xs.map(x => x * x).sum) && close(t.norm2(), math.sqrt(xs.map(x => x * x).sum)))
  }

  test("sum over each dimension keeps it with size 1") {
    val (t, _) = strided(5) // [4, 3, 2]
    for (d <- 0 until 3) {
      val s = t.sum(d)
      val shape = t.shape; shape(d) = 1
      assert(s.shape.sameElements(shape), s"dim $d: ${s.shapeString}")
      for (i <- indices(shape)) {
        val ref = (0 until t.size(d)).map { k => val j = i.updated(d, k); t(j: _*).toDouble }.sum
        assert(close(s(i: _*), ref), s"dim $d at $i")
      }
    }
  }

  test("argmaxRows takes the first maximum of each row; hasNaNOrInf finds NaN and infinities in views") {
    val m = Tensor.fromArray(Array(1f, 5f, 5f, 0f, -3f, -1f, -2f, -1f), 2, 4)
    assert(m.argmaxRows().sameElements(Array(1, 1)))
    assert(m.t().contiguous().argmaxRows().sameElements(Array(0, 0, 0, 0)))
    assert(Tensor.fromArray(Array(0f, 2f, 1f), 3).argmaxRows().sameElements(Array(1)))
    val x = Tensor(3, 4)
    assert(!x.hasNaNOrInf)
    x.setValue(Float.NaN, 2, 3)
    assert(x.hasNaNOrInf && !x.narrow(0, 0, 2).hasNaNOrInf && x.t().hasNaNOrInf)
    x.setValue(0f, 2, 3); x.setValue(Float.NegativeInfinity, 0, 1)
    assert(x.hasNaNOrInf)
  }

  // ------------------------------------------------------------------ views

  test("view, reshape, squeeze and unsqueeze keep the storage or copy only when they must") {
    val x = Tensor.fromArray(Array.tabulate(24)(_.toFloat), 2, 3, 4)
    val v = x.view(6, 4)
    assert((v.storage eq x.storage) && v(5, 3) == 23f)
    assert(x.view(-1).shape.sameElements(Array(24)) && x.view(4, -1).shape.sameElements(Array(4, 6)))
    val tr = x.transpose(1, 2)
    assert(intercept[IllegalArgumentException](tr.view(24)).getMessage.nonEmpty)
    val r = tr.reshape(24)
    assert(!(r.storage eq x.storage) && r(1) == 4f && r(3) == 1f)
    assert(x.reshape(4, 6).storage eq x.storage)
    val u = x.unsqueeze(1)
    assert(u.shape.sameElements(Array(2, 1, 3, 4)) && (u.storage eq x.storage) && u(1, 0, 2, 3) == 23f)
    assert(u.squeeze(1).sameShape(x) && u.squeeze().sameShape(x) && x.squeeze(0).sameShape(x))
    assert(x.select(2, 3).shape.sameElements(Array(2, 3)) && x.select(2, 3)(1, 2) == 23f)
    assert(x.narrow(1, 1, 2).offset == 4 && x.narrow(1, 1, 2)(0, 0, 0) == 4f)
    assert(x.contiguous() eq x)
  }

  // ------------------------------------------------------------------ matrix products

  test("addmm with beta and alpha on transposed operands, mm, addmv and dot against naive sums") {
    val r = rng
    val a = Tensor.normal(r, 0f, 1f, 6, 4).t() // [4, 6] transposed view
    val b = Tensor.normal(r, 0f, 1f, 6, 5)
    val c0 = Tensor.normal(r, 0f, 1f, 4, 5)
    val c = c0.clone().addmm(0.5f, -2f, a, b)
    for (i <- 0 until 4; j <- 0 until 5) {
      val ref = 0.5 * c0(i, j) - 2 * (0 until 6).map(k => a(i, k).toDouble * b(k, j)).sum
      assert(close(c(i, j), ref, 1e-4), s"addmm ($i, $j)")
    }
    val m = Tensor().mm(a, b)
    assert(m.shape.sameElements(Array(4, 5)) && close(m(3, 4), (0 until 6).map(k => a(3, k).toDouble * b(k, 4)).sum, 1e-4))
    val vec = Tensor.normal(r, 0f, 1f, 6)
    val y0 = Tensor.normal(r, 0f, 1f, 4)
    val y = y0.clone().addmv(1f, 3f, a, vec)
    for (i <- 0 until 4) assert(close(y(i), y0(i) + 3 * (0 until 6).map(k => a(i, k).toDouble * vec(k)).sum, 1e-4))
    assert(close(a.dot(a), a.sumSquares(), 1e-4) && close(b.dot(b.clone()), b.sumSquares(), 1e-4))
    assert(intercept[IllegalArgumentException](Tensor(4, 4).addmm(0f, 1f, a, b)).getMessage.contains("does not match"))
  }

  // ------------------------------------------------------------------ im2col / col2im

  /** The column matrix by its definition: row (c, ki, kj), column (oh, ow) = input(c, ih, iw) or 0 outside. */
  private def naiveColumns(x: Tensor, nIn: Int, inH: Int, inW: Int, kH: Int, kW: Int, sH: Int, sW: Int, pH: Int, pW: Int,
      dH: Int, dW: Int, outH: Int, outW: Int): Array[Float] = {
    val col = new Array[Float](nIn * kH * kW * outH * outW)
    for (c <- 0 until nIn; ki <- 0 until kH; kj <- 0 until kW; oh <- 0 until outH; ow <- 0 until outW) {
      val (ih, iw) = (oh * sH - pH + ki * dH, ow * sW - pW + kj * dW)
      val row = (c * kH + ki) * kW + kj
      col(row * outH * outW + oh * outW + ow) = if (ih >= 0 && ih < inH && iw >= 0 && iw < inW) x(c, ih, iw) else 0f
    }
    col
  }

  private def dot(a: Array[Float], b: Array[Float]): Double = a.indices.map(i => a(i).toDouble * b(i)).sum

  test("Conv2d.im2col matches the definition (stride, padding, asymmetric output) and col2im is its adjoint") {
    val geometries = Seq( // nIn, inH, inW, kH, kW, sH, sW, pH, pW, outH, outW (explicit: "same" padding reads zeros past the edge)
      (2, 5, 6, 3, 3, 1, 1, 1, 1, 5, 6), (3, 7, 5, 3, 2, 2, 1, 0, 1, 3, 6), (1, 6, 6, 2, 2, 2, 2, 0, 0, 3, 3),
      (2, 4, 4, 3, 3, 2, 2, 1, 1, 2, 2), (1, 5, 5, 2, 2, 2, 2, 0, 0, 3, 3))
    for ((nIn, inH, inW, kH, kW, sH, sW, pH, pW, outH, outW) <- geometries) {
      val s = Conv2dShape(nIn, inH, inW, 1, kH, kW, sH, sW, pH, pW, outH, outW)
      val x = Tensor.normal(rng, 0f, 1f, nIn, inH, inW)
      val ref = naiveColumns(x, nIn, inH, inW, kH, kW, sH, sW, pH, pW, 1, 1, outH, outW)
      // at an offset, rows ld = outArea + 3 apart: the gaps stay as they were
      val ld = s.outArea + 3
      val col = Array.fill(5 + s.colRows * ld)(-7f)
      val padded = new Array[Float](2 + x.nElement); System.arraycopy(x.storage, 0, padded, 2, x.nElement)
      Conv2d.im2col(s, padded, 2, col, 5, ld)
      for (r <- 0 until s.colRows) {
        assert(col.slice(5 + r * ld, 5 + r * ld + s.outArea).sameElements(ref.slice(r * s.outArea, (r + 1) * s.outArea)), s"$s row $r")
        assert(col.slice(5 + r * ld + s.outArea, 5 + (r + 1) * ld).forall(_ == -7f) || r == s.colRows - 1, s"$s: gap after row $r written")
      }
      assert(col.take(5).forall(_ == -7f))
      // adjoint: <im2col(x), c> = <x, col2im(c)>
      val c = Array.fill(s.colRows * s.outArea)(rng.nextFloat() - 0.5f)
      val back = new Array[Float](x.nElement)
      Conv2d.col2im(s, c, 0, s.outArea, back, 0)
      assert(close(dot(ref, c), dot(x.toArray, back), 1e-4), s"$s: col2im is not the adjoint of im2col")
    }
  }

  test("DilatedConv2d.im2col matches the definition with dilation, equals Conv2d's without, and col2im is its adjoint") {
    for ((nIn, inH, inW, kH, kW, sH, sW, pH, pW, dH, dW) <- Seq((2, 7, 8, 3, 3, 1, 1, 2, 2, 2, 2), (1, 9, 6, 2, 3, 2, 1, 1, 0, 3, 2),
        (3, 5, 5, 3, 3, 2, 2, 1, 1, 1, 1))) {
      val s = DilatedConvShape(nIn, inH, inW, 1, kH, kW, sH, sW, pH, pW, dH, dW)
      val x = Tensor.normal(rng, 0f, 1f, nIn, inH, inW)
      val col = new Array[Float](s.colRows * s.outArea)
      DilatedConv2d.im2col(s, x.storage, 0, col, 0)
      assert(col.sameElements(naiveColumns(x, nIn, inH, inW, kH, kW, sH, sW, pH, pW, dH, dW, s.outH, s.outW)), s.toString)
      if (dH == 1 && dW == 1) {
        val plain = new Array[Float](col.length)
        Conv2d.im2col(Conv2dShape(nIn, inH, inW, 1, kH, kW, sH, sW, pH, pW, s.outH, s.outW), x.storage, 0, plain, 0, s.outArea)
        assert(plain.sameElements(col))
      }
      val c = Array.fill(col.length)(rng.nextFloat() - 0.5f)
      val back = new Array[Float](x.nElement)
      DilatedConv2d.col2im(s, c, 0, back, 0)
      assert(close(dot(col, c), dot(x.toArray, back), 1e-4), s"$s: col2im is not the adjoint of im2col")
    }
  }

  // ------------------------------------------------------------------ softmax and pooling

  test("SoftMaxKernel: softmax and log-softmax over the middle of [outer, n, inner], and its backward") {
    val x = Tensor.normal(rng, 0f, 3f, 2, 5, 3)
    val d = SoftMaxKernel.dims(x.shape, 1)
    assert(d == SoftMaxKernel.Dims(2, 5, 3))
    val (y, ly) = (Tensor(2, 5, 3), Tensor(2, 5, 3))
    SoftMaxKernel.forward(x, y, d, log = false)
    SoftMaxKernel.forward(x, ly, d, log = true)
    for (o <- 0 until 2; j <- 0 until 3) {
      val z = (0 until 5).map(i => math.exp(x(o, i, j).toDouble))
      for (i <- 0 until 5) {
        assert(close(y(o, i, j), z(i) / z.sum) && close(ly(o, i, j), math.log(z(i) / z.sum), 1e-4))
      }
    }
    // backward of softmax: gi = y * (g - sum(g * y)) along n
    val g = Tensor.normal(rng, 0f, 1f, 2, 5, 3)
    val gi = Tensor(2, 5, 3)
    SoftMaxKernel.backward(y, g, gi, d, log = false)
    for (o <- 0 until 2; j <- 0 until 3) {
      val s = (0 until 5).map(i => g(o, i, j).toDouble * y(o, i, j)).sum
      for (i <- 0 until 5) assert(close(gi(o, i, j), y(o, i, j) * (g(o, i, j) - s), 1e-4))
    }
    // large inputs do not overflow (max subtracted)
    val big = Tensor.fromArray(Array(1000f, 1001f), 1, 2)
    val out = Tensor(1, 2)
    SoftMaxKernel.forward(big, out, SoftMaxKernel.dims(big.shape, 1), log = false)
    assert(!out.hasNaNOrInf && close(out(0, 1), 1 / (1 + math.exp(-1))))
  }

  test("Pool2d: max (with its argmax and backward) and average pooling against the windows' definitions") {
    for (s <- Seq(Pool2dShape(6, 6, 2, 2, 2, 2, 0, 0, ceilMode = false), Pool2dShape(7, 5, 3, 2, 2, 1, 1, 1, ceilMode = true),
        Pool2dShape(5, 5, 3, 3, 2, 2, 0, 0, ceilMode = true))) {
      val planes = 3
      val x = Tensor.normal(rng, 0f, 1f, planes, s.inH, s.inW)
      def window(oh: Int, ow: Int) = for {
        h <- oh * s.strideH - s.padH until oh * s.strideH - s.padH + s.kH if h >= 0 && h < s.inH
        w <- ow * s.strideW - s.padW until ow * s.strideW - s.padW + s.kW if w >= 0 && w < s.inW
      } yield (h, w)
      val (out, argmax) = (Tensor(planes, s.outH, s.outW), new Array[Int](planes * s.outArea))
      Pool2d.maxForward(s, planes, x, out, argmax)
      val avg = Tensor(planes, s.outH, s.outW)
      Pool2d.avgForward(s, planes, x, avg, Pool2d.AvgMode(countIncludePad = false, divide = true))
      for (p <- 0 until planes; oh <- 0 until s.outH; ow <- 0 until s.outW) {
        val win = window(oh, ow)
        val best = win.maxBy { case (h, w) => x(p, h, w) }
        assert(out(p, oh, ow) == x(p, best._1, best._2), s"$s max at ($p, $oh, $ow)")
        assert(argmax(p * s.outArea + oh * s.outW + ow) == best._1 * s.inW + best._2)
        assert(close(avg(p, oh, ow), win.map { case (h, w) => x(p, h, w).toDouble }.sum / win.size), s"$s avg at ($p, $oh, $ow)")
      }
      val g = Tensor.normal(rng, 0f, 1f, planes, s.outH, s.outW)
      val gi = Tensor(planes, s.inH, s.inW).fill(5f) // zeroed by the kernel
      Pool2d.maxBackward(s, planes, g, argmax, gi)
      assert(close(gi.sum(), g.sum(), 1e-4))
      // average pooling's backward is its adjoint: <avg(x), g> = <x, avgBackward(g)>
      val ga = Tensor(planes, s.inH, s.inW)
      Pool2d.avgBackward(s, planes, g, ga, Pool2d.AvgMode(countIncludePad = false, divide = true))
      assert(close(avg.dot(g), x.dot(ga), 1e-4))
    }
  }
}
