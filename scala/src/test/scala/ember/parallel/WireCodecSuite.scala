package ember.parallel

import java.nio.ByteBuffer

import ember.data.{BatchPlan, LocalDataSet}
import org.scalatest.funsuite.AnyFunSuite

class WireCodecSuite extends AnyFunSuite {
  private def bits(f: Float): Int = java.lang.Float.floatToRawIntBits(f)
  private def float(i: Int): Float = java.lang.Float.intBitsToFloat(i)

  /** Round to nearest bfloat16, ties to even, from the two neighbours compared in Double (finite inputs). */
  private def reference(f: Float): Float = {
    val down = float(bits(f) & 0xffff0000) // toward zero
    val up = float((bits(f) & 0xffff0000) + 0x10000) // away from zero (may be infinite)
    val upValue = if (up.isInfinite) math.signum(f) * (math.abs(down.toDouble) + math.ulp(down).toDouble * 65536) else up.toDouble
    val (dd, du) = (math.abs(f.toDouble - down), math.abs(upValue - f)) // IEEE: overflow past max + half an ulp
    if (dd < du) down else if (du < dd) up else if (((bits(down) >>> 16) & 1) == 0) down else up
  }

  test("bf16 rounds to nearest, ties to even (against a Double reference), unlike truncation") {
    val rng = new java.util.Random(7)
    for (_ <- 0 until 200000) {
      val f = float(rng.nextInt()) match { case x if x.isNaN || x.isInfinite => 1.5f; case x => x }
      val r = BFloat16.widen(BFloat16.round(f))
      assert(bits(r) == bits(reference(f)), s"$f -> $r, expected ${reference(f)}")
    }
    val tieDown = 1f + math.pow(2, -8).toFloat // halfway between 1 and 1 + 2^-7: to the even one, 1
    val tieUp = 1f + 3 * math.pow(2, -8).toFloat // halfway between 1 + 2^-7 (odd) and 1 + 2^-6 (even)
    assert(BFloat16.widen(BFloat16.round(tieDown)) == 1f)
    assert(BFloat16.widen(BFloat16.round(tieUp)) == 1f + math.pow(2, -6).toFloat)
    assert(BFloat16.widen(BFloat16.round(-tieUp)) == -(1f + math.pow(2, -6).toFloat))
    assert(BFloat16.widen(BFloat16.round(1f + 0.6f * math.pow(2, -7).toFloat)) == 1f + math.pow(2, -7).toFloat) // truncation: 1
  }

  test("bf16 special values: NaN stays NaN, infinities and signed zero are kept, overflow rounds to infinity") {
    def rt(f: Float): Float = BFloat16.widen(BFloat16.round(f))
    assert(rt(Float.NaN).isNaN && rt(float(0x7f800001)).isNaN && rt(float(0xff800001)).isNaN)
    assert(rt(Float.PositiveInfinity) == Float.PositiveInfinity && rt(Float.NegativeInfinity) == Float.NegativeInfinity)
    assert(bits(rt(-0f)) == bits(-0f) && rt(0f) == 0f)
    assert(rt(Float.MaxValue) == Float.PositiveInfinity && rt(-Float.MaxValue) == Float.NegativeInfinity)
    assert(rt(float(0x7f7f0000)) == float(0x7f7f0000)) // the largest bfloat16 is exact
  }

  test("rounding has no bias on sums, truncation does") {
    val rng = new java.util.Random(3)
    val xs = Array.fill(100000)(rng.nextFloat() + 0.5f)
    val exact = xs.map(_.toDouble).sum
    val rounded = xs.map(x => BFloat16.widen(BFloat16.round(x)).toDouble).sum
    val truncated = xs.map(x => float(bits(x) & 0xffff0000).toDouble).sum
    assert(math.abs(rounded - exact) / exact < 1e-4)
    assert((exact - truncated) / exact > 1e-3) // BigDL's truncation loses about half an ulp of bf16 (2^-9) per value
  }

  test("encode / decode / decodeAdd / decodeSum round trips at offsets, for both codecs, also over several blocks") {
    val src = Array.tabulate(37)(i => (i - 18) * 0.37f)
    for (codec <- Seq[WireCodec](NoCompression, BFloat16)) {
      val buf = ByteBuffer.allocate(3 + 20 * codec.bytesPerValue)
      buf.position(3)
      codec.encode(src, 5, 20, buf)
      assert(buf.position() == 3 + 20 * codec.bytesPerValue)
      buf.flip(); buf.position(3)
      val dst = Array.fill(30)(1f)
      codec.decode(buf.duplicate(), dst, 4, 20)
      val tol = if (codec == NoCompression) 0f else 0.01f
      (0 until 20).foreach(i => assert(math.abs(dst(4 + i) - src(5 + i)) <= tol * math.abs(src(5 + i)) + 1e-30f))
      assert(dst(3) == 1f && dst(24) == 1f)
      val acc = Array.fill(20)(2f)
      codec.decodeAdd(buf.duplicate(), acc, 0, 20)
      (0 until 20).foreach(i => assert(acc(i) == 2f + dst(4 + i)))
      val at = Array.fill(25)(2f) // at an offset, and the buffer's position moves past the values
      val b = buf.duplicate()
      codec.decodeAdd(b, at, 3, 20)
      assert(b.position() == 3 + 20 * codec.bytesPerValue && at(2) == 2f && at(23) == 2f)
      (0 until 20).foreach(i => assert(at(3 + i) == 2f + dst(4 + i)))
      val sum = Array.fill(25)(9f) // decodeSum: a(from + i) + value i, at offsets, the position past the values
      val c = buf.duplicate()
      codec.decodeSum(c, src, 7, sum, 2, 20)
      assert(c.position() == 3 + 20 * codec.bytesPerValue && sum(1) == 9f && sum(22) == 9f)
      (0 until 20).foreach(i => assert(sum(2 + i) == src(7 + i) + dst(4 + i)))
    }
    // blocks longer than the codecs' scratch block (2,048 values): every value decoded, summed and added once
    val long = Array.tabulate(5000)(i => (i % 97 - 48) * 0.25f) // exact in bf16 too
    for (codec <- Seq[WireCodec](NoCompression, BFloat16)) {
      val buf = ByteBuffer.allocate(5000 * codec.bytesPerValue)
      codec.encode(long, 0, 5000, buf); buf.flip()
      val (d, acc, sum) = (new Array[Float](5001), Array.fill(5000)(1f), new Array[Float](5000))
      codec.decode(buf.duplicate(), d, 1, 5000)
      codec.decodeAdd(buf.duplicate(), acc, 0, 5000)
      codec.decodeSum(buf.duplicate(), long, 0, sum, 0, 5000)
      assert(d.drop(1).sameElements(long) && acc.sameElements(long.map(_ + 1f)) && sum.sameElements(long.map(x => x + x)))
      // encodeKeeping: the same bytes as encode, and the values as decode reads them back
      val (again, kept) = (ByteBuffer.allocate(5000 * codec.bytesPerValue), new Array[Float](5003))
      val odd = long.map(_ * 1.001f) // not exact in bf16: rounded
      codec.encodeKeeping(odd, 0, 5000, again, kept, 3); again.flip()
      val plain = ByteBuffer.allocate(5000 * codec.bytesPerValue)
      codec.encode(odd, 0, 5000, plain); plain.flip()
      val back = new Array[Float](5000)
      codec.decode(plain.duplicate(), back, 0, 5000)
      assert(again == plain && again.position() == 0 && kept.drop(3).sameElements(back), codec.name)
    }
    assert(WireCodec("bf16") == BFloat16 && WireCodec("none") == NoCompression)
    assert(intercept[IllegalArgumentException](WireCodec("fp16")).getMessage.contains("fp16"))
  }

  test("bf16 encode and encodeKeeping (blocks through roundBits) give round's bits for every value, NaNs included") {
    val rng = new java.util.Random(11)
    val specials = Array(Float.NaN, float(0x7f800001), float(0xff812345), float(0x7fffffff), Float.PositiveInfinity,
      Float.NegativeInfinity, Float.MaxValue, -Float.MaxValue, 0f, -0f, Float.MinPositiveValue, float(0x7f7f8000),
      float(0x3f808000), float(0x3f818000), float(0xbf818000), float(0x7f7fffff))
    val n = 3 * 2048 + 123 // several scratch blocks and a partial one
    val src = Array.tabulate(n + 7)(i => if (i < specials.length) specials(i) else float(rng.nextInt()))
    for (from <- Seq(0, 7)) {
      val (buf, kept) = (ByteBuffer.allocate(5 + 2 * n), Array.fill(n + 2)(1f))
      buf.position(5)
      BFloat16.encode(src, from, n, buf)
      assert(buf.position() == 5 + 2 * n)
      val keptBuf = ByteBuffer.allocate(2 * n)
      BFloat16.encodeKeeping(src, from, n, keptBuf, kept, 2)
      buf.flip(); buf.position(5); keptBuf.flip()
      val (a, b) = (buf.order(java.nio.ByteOrder.LITTLE_ENDIAN), keptBuf.order(java.nio.ByteOrder.LITTLE_ENDIAN))
      for (i <- 0 until n) {
        val expected = BFloat16.round(src(from + i))
        assert(a.getShort(5 + 2 * i) == expected && b.getShort(2 * i) == expected, s"value $i: ${bits(src(from + i))}")
        assert(bits(kept(2 + i)) == bits(BFloat16.widen(expected)), s"kept value $i")
      }
      assert(kept(0) == 1f && kept(1) == 1f)
    }
  }

  test("Decoding: a message landed in runs of any length (split values, header across runs) decodes bit for bit as a whole") {
    val rng = new java.util.Random(11)
    for (codec <- Seq(NoCompression, BFloat16); header <- Seq(0, 8); n <- Seq(0, 1, 3, 2049, 5000)) {
      val values = Array.tabulate(n)(_ => float(rng.nextInt()))
      val msg = ByteBuffer.allocateDirect(header + n * codec.bytesPerValue).order(java.nio.ByteOrder.LITTLE_ENDIAN)
      if (header > 0) msg.putDouble(42.5)
      codec.encode(values, 0, n, msg)
      msg.flip()
      val whole = new Array[Float](n + 7)
      codec.decode(msg.duplicate().order(java.nio.ByteOrder.LITTLE_ENDIAN).position(header), whole, 5, n)
      for (maxRun <- Seq(1, 3, 7, 4096, 1 << 20)) {
        val landed = Array.fill(n + 7)(-1f)
        val into = new Decoding(codec, landed, 5, n, header)
        var at = 0
        while (at < msg.limit()) { // runs of 1 to maxRun bytes, as a socket's reads may cut them
          val len = math.min(msg.limit() - at, 1 + rng.nextInt(maxRun))
          into.write(msg.duplicate().position(at).limit(at + len).slice())
          at += len
        }
        val head = into.result()
        assert(head.remaining() == header && (header == 0 || head.getDouble() == 42.5))
        assert(landed.take(5).forall(_ == -1f) && landed.drop(5 + n).forall(_ == -1f), "outside the range")
        for (i <- 0 until n) assert(bits(landed(5 + i)) == bits(whole(5 + i)), s"${codec.name} n=$n run<=$maxRun value $i")
      }
      val short = new Decoding(codec, new Array[Float](n + 1), 0, n + 1, header)
      short.write(msg.duplicate())
      intercept[IllegalArgumentException](short.result()) // a message that ends early is refused
    }
  }

  test("slice layout covers the vector; batch plan: partitions' sub-batches make up the LocalOptimizer's batches") {
    for (total <- Seq(0, 1, 7, 61706); parts <- Seq(1, 2, 3, 4)) {
      val l = SliceLayout(total, parts)
      assert((0 until parts).map(l.length).sum == total && l.offset(0) == 0)
      (1 until parts).foreach(i => assert(l.offset(i) == l.offset(i - 1) + l.length(i - 1)))
      assert((0 until parts).map(l.length).max - (0 until parts).map(l.length).min <= 1)
    }
    val data = LocalDataSet.fromArrays(Array.fill(103 * 2)(0f), Array(2), Array.fill(103)(0f))
    val order = BatchPlan.permutation(103, 3, 9L)
    assert(order.toSeq == data.permutation(3, 9L).toSeq && order.sorted.toSeq == (0 until 103))
    val counts = Array(30, 0, 50, 23)
    val offsets = counts.scanLeft(0)(_ + _)
    for (b <- 0 until BatchPlan.batchesPerEpoch(103, 16)) {
      val parts = counts.indices.map(p => BatchPlan.localIndices(order, b, 16, offsets(p), counts(p)).map(_ + offsets(p)))
      assert(parts.flatten.sorted.toSeq == order.slice(b * 16, math.min(103, (b + 1) * 16)).sorted.toSeq)
      parts.foreach(p => assert(p.toSeq == order.slice(b * 16, (b + 1) * 16).filter(p.contains).toSeq)) // batch order kept
    }
  }
}
