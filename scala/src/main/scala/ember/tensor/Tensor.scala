package ember.tensor

import java.util.Arrays

/**
 * A dense Float32 tensor: a view (offset, shape, strides) into a flat `Array[Float]` storage.
 *
 * Views ([[narrow]], [[select]], [[transpose]], [[view]]) share storage with the tensor they come from;
 * [[contiguous]] and [[clone]] copy. Indices are 0-based. Elementwise ops take a fast path on contiguous
 * tensors and fall back to strided iteration otherwise. A tensor may be re-pointed at other storage with
 * [[set]]: that is how layer parameters become views into one flat parameter buffer per model.
 */
final class Tensor private (
    private var _storage: Array[Float],
    private var _offset: Int,
    private var _shape: Array[Int],
    private var _strides: Array[Int]
) extends Activity {

  /** An empty tensor (no dimensions, no elements). */
  def this() = this(Tensor.EmptyStorage, 0, Array.emptyIntArray, Array.emptyIntArray)

  def storage: Array[Float] = _storage
  def offset: Int = _offset

  /** A copy of the shape. */
  def shape: Array[Int] = _shape.clone()

  /** A copy of the strides. */
  def strides: Array[Int] = _strides.clone()
  def dim: Int = _shape.length
  def size(d: Int): Int = { checkDim(d); _shape(d) }
  def stride(d: Int): Int = { checkDim(d); _strides(d) }
  def nElement: Int = Tensor.product(_shape)
  def isEmpty: Boolean = _shape.isEmpty || nElement == 0

  def isContiguous: Boolean = {
    if (_shape.contains(0)) return true // no elements: any strides describe the same (empty) layout
    var expected = 1
    var d = _shape.length - 1
    while (d >= 0) {
      if (_shape(d) != 1 && _strides(d) != expected) return false
      expected *= _shape(d)
      d -= 1
    }
    true
  }

  def sameShape(other: Tensor): Boolean = Arrays.equals(_shape, other._shape)

  private def checkDim(d: Int): Unit =
    require(d >= 0 && d < _shape.length, s"dimension $d out of range for a ${_shape.length}-d tensor")

  // ---------------------------------------------------------------- re-pointing and resizing

  /** Makes this tensor a view of `other` (same storage, offset, shape and strides). */
  def set(other: Tensor): this.type = {
    _storage = other._storage; _offset = other._offset
    _shape = other._shape.clone(); _strides = other._strides.clone()
    this
  }

  /** Makes this tensor a contiguous view of `storage` starting at `offset` with the given shape. */
  def set(storage: Array[Float], offset: Int, shape: Array[Int]): this.type = {
    require(offset >= 0 && offset + Tensor.product(shape) <= storage.length,
      s"view of ${Tensor.product(shape)} elements at offset $offset does not fit storage of ${storage.length}")
    _storage = storage; _offset = offset
    _shape = shape.clone(); _strides = Tensor.contiguousStrides(shape)
    this
  }

  /** Resizes to a contiguous tensor of `newShape`, reusing storage when it is large enough. */
  def resize(newShape: Int*): this.type = resize(newShape.toArray)

  def resize(newShape: Array[Int]): this.type = {
    require(newShape.forall(_ >= 0), s"negative size in ${newShape.mkString("[", ", ", "]")}")
    if (!(Arrays.equals(newShape, _shape) && isContiguous)) {
      val n = Tensor.product(newShape)
      if (_storage.length - _offset < n || !isContiguous) { _storage = new Array[Float](n); _offset = 0 }
      _shape = newShape.clone(); _strides = Tensor.contiguousStrides(newShape)
    }
    this
  }

  def resizeAs(other: Tensor): this.type = resize(other._shape)

  // ---------------------------------------------------------------- views

  /** The view of `length` indices of dimension `d` starting at `start`. */
  def narrow(d: Int, start: Int, length: Int): Tensor = {
    checkDim(d)
    require(start >= 0 && length >= 0 && start + length <= _shape(d),
      s"narrow($d, $start, $length) out of range for size ${_shape(d)}")
    val s = _shape.clone(); s(d) = length
    new Tensor(_storage, _offset + start * _strides(d), s, _strides.clone())
  }

  /** The view at `index` of dimension `d`, with that dimension removed. */
  def select(d: Int, index: Int): Tensor = {
    checkDim(d)
    require(index >= 0 && index < _shape(d), s"select($d, $index) out of range for size ${_shape(d)}")
    new Tensor(_storage, _offset + index * _strides(d), Tensor.drop(_shape, d), Tensor.drop(_strides, d))
  }

  /** The view with dimensions `d1` and `d2` swapped. */
  def transpose(d1: Int, d2: Int): Tensor = {
    checkDim(d1); checkDim(d2)
    val s = _shape.clone(); val st = _strides.clone()
    s(d1) = _shape(d2); s(d2) = _shape(d1); st(d1) = _strides(d2); st(d2) = _strides(d1)
    new Tensor(_storage, _offset, s, st)
  }

  /** Matrix transpose. */
  def t(): Tensor = { require(dim == 2, s"t() needs a 2-d tensor, got $dim-d"); transpose(0, 1) }

  /** A view with a new shape (one size may be -1); the tensor must be contiguous. */
  def view(newShape: Int*): Tensor = view(newShape.toArray)

  def view(newShape: Array[Int]): Tensor = {
    require(isContiguous, s"view needs a contiguous tensor (shape ${shapeString}); call contiguous() or reshape")
    val s = Tensor.inferShape(newShape, nElement)
    new Tensor(_storage, _offset, s, Tensor.contiguousStrides(s))
  }

  /** Like [[view]], but copies when the tensor is not contiguous. */
  def reshape(newShape: Int*): Tensor = if (isContiguous) view(newShape.toArray) else contiguous().view(newShape.toArray)

  /** A view with a size-1 dimension inserted at `d`. */
  def unsqueeze(d: Int): Tensor = {
    require(d >= 0 && d <= dim, s"unsqueeze($d) out of range for a $dim-d tensor")
    val st = if (d < dim) _strides(d) * _shape(d) else 1
    new Tensor(_storage, _offset, Tensor.insert(_shape, d, 1), Tensor.insert(_strides, d, st))
  }

  /** A view without size-1 dimensions (or only dimension `d`). */
  def squeeze(): Tensor = {
    val keep = _shape.indices.filter(_shape(_) != 1).toArray
    new Tensor(_storage, _offset, keep.map(_shape), keep.map(_strides))
  }

  def squeeze(d: Int): Tensor = if (size(d) == 1) select(d, 0) else this

  /** A view expanding size-1 dimensions to `newShape` (stride 0), as in PyTorch. */
  def expand(newShape: Array[Int]): Tensor = {
    require(newShape.length == dim, s"expand to ${newShape.mkString("[", ", ", "]")} from $shapeString")
    val st = _strides.clone()
    for (d <- newShape.indices if newShape(d) != _shape(d)) {
      require(_shape(d) == 1, s"cannot expand dimension $d of size ${_shape(d)} to ${newShape(d)}")
      st(d) = 0
    }
    new Tensor(_storage, _offset, newShape.clone(), st)
  }

  /** This tensor if contiguous, else a contiguous copy. */
  def contiguous(): Tensor = if (isContiguous) this else clone()

  /** A contiguous copy with its own storage. */
  override def clone(): Tensor = {
    val out = Tensor(_shape.toIndexedSeq: _*)
    out.copy(this)
  }

  // ---------------------------------------------------------------- element access

  private def flatIndex(idx: Seq[Int]): Int = {
    require(idx.length == dim, s"${idx.length} indices for a $dim-d tensor")
    var o = _offset
    var d = 0
    while (d < idx.length) {
      val i = idx(d)
      require(i >= 0 && i < _shape(d), s"index $i out of range for dimension $d of size ${_shape(d)}")
      o += i * _strides(d)
      d += 1
    }
    o
  }

  def apply(idx: Int*): Float = _storage(flatIndex(idx))
  def setValue(value: Float, idx: Int*): this.type = { _storage(flatIndex(idx)) = value; this }

  /** The single value of a one-element tensor. */
  def value(): Float = {
    require(nElement == 1, s"value() needs a one-element tensor, got shape $shapeString")
    _storage(_offset)
  }

  /** Storage offsets of all elements in row-major order. */
  def foreachOffset(f: Int => Unit): Unit = {
    if (isContiguous) {
      var i = _offset
      val end = _offset + nElement
      while (i < end) { f(i); i += 1 }
    } else if (nElement > 0) {
      val n = dim
      val counter = new Array[Int](n)
      var o = _offset
      var remaining = nElement
      while (remaining > 0) {
        f(o)
        remaining -= 1
        var d = n - 1
        var carry = true
        while (carry && d >= 0) {
          counter(d) += 1
          o += _strides(d)
          if (counter(d) == _shape(d)) { o -= counter(d) * _strides(d); counter(d) = 0; d -= 1 }
          else carry = false
        }
      }
    }
  }

  /** Elements in row-major order, copied into a new array. */
  def toArray: Array[Float] = {
    if (nElement == 0) Array.emptyFloatArray
    else if (isContiguous) Arrays.copyOfRange(_storage, _offset, _offset + nElement)
    else {
      val out = new Array[Float](nElement)
      var i = 0
      foreachOffset { o => out(i) = _storage(o); i += 1 }
      out
    }
  }

  // ---------------------------------------------------------------- in-place elementwise

  /** Applies `f` to every element in place. */
  def apply1(f: Float => Float): this.type = {
    val s = _storage
    foreachOffset(o => s(o) = f(s(o)))
    this
  }

  /** this(i) = f(this(i), other(i)) for tensors of the same number of elements. */
  def map2(other: Tensor)(f: (Float, Float) => Float): this.type = {
    require(nElement == other.nElement, s"elementwise op on $shapeString and ${other.shapeString}")
    val s = _storage; val os = other._storage
    if (isContiguous && other.isContiguous) {
      var i = 0; val n = nElement; val a = _offset; val b = other._offset
      while (i < n) { s(a + i) = f(s(a + i), os(b + i)); i += 1 }
    } else {
      val src = other.toArray
      var i = 0
      foreachOffset { o => s(o) = f(s(o), src(i)); i += 1 }
    }
    this
  }

  def fill(v: Float): this.type = {
    // an empty view may sit at an offset past its storage's end, which Arrays.fill rejects
    if (nElement == 0) return this
    if (isContiguous) Arrays.fill(_storage, _offset, _offset + nElement, v) else apply1(_ => v)
    this
  }

  def zero(): this.type = fill(0f)

  /** Copies `src` (same number of elements, any layout) into this tensor. */
  def copy(src: Tensor): this.type = {
    require(nElement == src.nElement, s"copy from ${src.shapeString} into $shapeString")
    if (nElement == 0) return this
    if (isContiguous && src.isContiguous) System.arraycopy(src._storage, src._offset, _storage, _offset, nElement)
    else if (sameShape(src) && dim >= 2 && _strides(dim - 1) == 1 && src._strides(dim - 1) == 1) copyRows(src)
    else map2(src)((_, b) => b)
    this
  }

  /**
   * [[copy]] between same-shaped tensors whose last dimensions are both contiguous (transposes of the outer
   * dimensions, selects, narrows: a recurrent layer's [batch, time] <-> [time, batch] swaps): one arraycopy per
   * row instead of the element-by-element walk, which took a third of an LSTM classifier's iteration.
   */
  private def copyRows(src: Tensor): Unit = {
    val n = dim - 1
    val row = _shape(n)
    if (row == 0 || nElement == 0) return
    val counter = new Array[Int](n)
    var o = _offset
    var so = src._offset
    var rows = nElement / row
    while (rows > 0) {
      System.arraycopy(src._storage, so, _storage, o, row)
      rows -= 1
      var d = n - 1
      var carry = true
      while (carry && d >= 0) {
        counter(d) += 1; o += _strides(d); so += src._strides(d)
        if (counter(d) == _shape(d)) {
          o -= counter(d) * _strides(d); so -= counter(d) * src._strides(d); counter(d) = 0; d -= 1
        } else carry = false
      }
    }
  }

  def add(v: Float): this.type = apply1(_ + v)

  /** this += other. */
  def add(other: Tensor): this.type = add(1f, other)

  /** this += alpha * other (BLAS axpy on contiguous tensors). */
  def add(alpha: Float, other: Tensor): this.type = {
    require(nElement == other.nElement, s"add of ${other.shapeString} to $shapeString")
    if (isContiguous && other.isContiguous) Blas.axpy(nElement, alpha, other._storage, other._offset, _storage, _offset)
    else map2(other)((a, b) => a + alpha * b)
    this
  }

  def sub(other: Tensor): this.type = add(-1f, other)

  def mul(v: Float): this.type = {
    if (isContiguous) Blas.scal(nElement, v, _storage, _offset) else apply1(_ * v)
    this
  }

  def div(v: Float): this.type = mul(1f / v)

  /** this *= other, elementwise. */
  def cmul(other: Tensor): this.type = map2(other)(_ * _)

  /** this /= other, elementwise. */
  def cdiv(other: Tensor): this.type = map2(other)(_ / _)

  /** this += value * a * b, elementwise. */
  def addcmul(value: Float, a: Tensor, b: Tensor): this.type = {
    require(nElement == a.nElement && nElement == b.nElement, "addcmul needs tensors of equal size")
    val s = _storage; val x = a.contiguous(); val y = b.contiguous()
    if (isContiguous) {
      var i = 0; val n = nElement
      while (i < n) { s(_offset + i) += value * x._storage(x._offset + i) * y._storage(y._offset + i); i += 1 }
      this
    } else {
      val xs = x.toArray; val ys = y.toArray
      var i = 0
      foreachOffset { o => s(o) += value * xs(i) * ys(i); i += 1 }
      this
    }
  }

  /** this += value * a / b, elementwise. */
  def addcdiv(value: Float, a: Tensor, b: Tensor): this.type = {
    require(nElement == a.nElement && nElement == b.nElement, "addcdiv needs tensors of equal size")
    val xs = a.toArray; val ys = b.toArray; val s = _storage
    var i = 0
    foreachOffset { o => s(o) += value * xs(i) / ys(i); i += 1 }
    this
  }

  def sqrt(): this.type = apply1(x => math.sqrt(x.toDouble).toFloat)
  def abs(): this.type = apply1(math.abs)
  def pow(p: Float): this.type = apply1(x => math.pow(x.toDouble, p.toDouble).toFloat)
  def exp(): this.type = apply1(x => math.exp(x.toDouble).toFloat)
  def log(): this.type = apply1(x => math.log(x.toDouble).toFloat)
  def clamp(min: Float, max: Float): this.type = apply1(x => if (x < min) min else if (x > max) max else x)

  // ---------------------------------------------------------------- reductions

  def sum(): Float = {
    var acc = 0.0
    val s = _storage
    foreachOffset(o => acc += s(o))
    acc.toFloat
  }

  def mean(): Float = sum() / nElement

  def max(): Float = {
    require(nElement > 0, "max() of an empty tensor")
    var m = Float.NegativeInfinity; val s = _storage
    foreachOffset(o => if (s(o) > m || s(o).isNaN) m = s(o))
    m
  }

  def min(): Float = {
    require(nElement > 0, "min() of an empty tensor")
    var m = Float.PositiveInfinity; val s = _storage
    foreachOffset(o => if (s(o) < m || s(o).isNaN) m = s(o))
    m
  }

  /** Sum of squares. */
  def sumSquares(): Double = {
    var acc = 0.0; val s = _storage
    foreachOffset { o => val v = s(o).toDouble; acc += v * v }
    acc
  }

  def norm2(): Float = math.sqrt(sumSquares()).toFloat

  /** True when any element is NaN or infinite. */
  def hasNaNOrInf: Boolean = {
    var bad = false; val s = _storage
    foreachOffset(o => if (s(o).isNaN || s(o).isInfinite) bad = true)
    bad
  }

  /** Sum over dimension `d`, keeping it with size 1. */
  def sum(d: Int): Tensor = {
    checkDim(d)
    val outShape = _shape.clone(); outShape(d) = 1
    val out = Tensor(outShape.toIndexedSeq: _*)
    var i = 0
    while (i < _shape(d)) { out.add(narrow(d, i, 1)); i += 1 }
    out
  }

  /** Index of the largest element in each row of a 2-d tensor (or of a 1-d tensor, as a 1-element result). */
  def argmaxRows(): Array[Int] = {
    val m = if (dim == 1) view(1, nElement) else { require(dim == 2, s"argmaxRows needs 1-d or 2-d, got $shapeString"); this }
    Array.tabulate(m.size(0)) { r =>
      val row = m.select(0, r)
      var best = 0; var bestV = Float.NegativeInfinity
      var j = 0
      while (j < row.size(0)) {
        val v = row._storage(row._offset + j * row._strides(0))
        if (v > bestV) { bestV = v; best = j }
        j += 1
      }
      best
    }
  }

  // ---------------------------------------------------------------- matrix products (BLAS)

  /** this = beta * this + alpha * (m1 x m2), with this, m1, m2 2-d. */
  def addmm(beta: Float, alpha: Float, m1: Tensor, m2: Tensor): this.type = {
    require(m1.dim == 2 && m2.dim == 2 && dim == 2, s"addmm needs 2-d tensors: ${m1.shapeString} x ${m2.shapeString} into $shapeString")
    require(m1.size(1) == m2.size(0), s"addmm: inner sizes differ: ${m1.shapeString} x ${m2.shapeString}")
    require(size(0) == m1.size(0) && size(1) == m2.size(1),
      s"addmm: result $shapeString does not match ${m1.shapeString} x ${m2.shapeString}")
    Blas.gemmTensor(beta, alpha, m1, m2, this)
    this
  }

  /** this = m1 x m2 (resizing this). */
  def mm(m1: Tensor, m2: Tensor): this.type = { resize(m1.size(0), m2.size(1)); addmm(0f, 1f, m1, m2) }

  /** this = beta * this + alpha * (mat x vec). */
  def addmv(beta: Float, alpha: Float, mat: Tensor, vec: Tensor): this.type = {
    require(mat.dim == 2 && vec.dim == 1 && dim == 1 && mat.size(1) == vec.size(0) && size(0) == mat.size(0),
      s"addmv: ${mat.shapeString} x ${vec.shapeString} into $shapeString")
    val m2 = vec.view(vec.size(0), 1)
    val out = this.view(size(0), 1)
    Blas.gemmTensor(beta, alpha, mat, m2.contiguous(), out)
    this
  }

  /** Float dot product of two tensors with the same number of elements. */
  def dot(other: Tensor): Float = {
    require(nElement == other.nElement, s"dot of $shapeString and ${other.shapeString}")
    if (isContiguous && other.isContiguous) Blas.dot(nElement, _storage, _offset, other._storage, other._offset)
    else { val a = toArray; val b = other.toArray; var s = 0f; var i = 0; while (i < a.length) { s += a(i) * b(i); i += 1 }; s }
  }

  // ---------------------------------------------------------------- comparison and printing

  /** True when shapes match and every element is within atol + rtol * |other|. */
  def almostEqual(other: Tensor, atol: Double = 1e-6, rtol: Double = 1e-5): Boolean =
    sameShape(other) && toArray.zip(other.toArray).forall { case (a, b) =>
      math.abs(a - b) <= atol + rtol * math.abs(b) || (a.isNaN && b.isNaN)
    }

  def shapeString: String = _shape.mkString("[", ", ", "]")

  override def toString: String = {
    val values = toArray
    val shown = values.take(8).map(v => f"$v%.4g").mkString(", ")
    s"Tensor$shapeString(${shown}${if (values.length > 8) ", ..." else ""})"
  }
}

object Tensor {
  private[tensor] val EmptyStorage = new Array[Float](0)

  /** A zero tensor of the given shape. */
  def apply(shape: Int*): Tensor = {
    val s = shape.toArray
    require(s.forall(_ >= 0), s"negative size in ${s.mkString("[", ", ", "]")}")
    new Tensor(new Array[Float](product(s)), 0, s, contiguousStrides(s))
  }

  /** A tensor over `data` (not copied) with the given shape. */
  def fromArray(data: Array[Float], shape: Int*): Tensor = fromArray(data, shape.toArray)

  def fromArray(data: Array[Float], shape: Array[Int]): Tensor = {
    val s = inferShape(shape, data.length)
    new Tensor(data, 0, s, contiguousStrides(s))
  }

  /** A 0-offset contiguous view of `storage` at `offset`. */
  def view(storage: Array[Float], offset: Int, shape: Array[Int]): Tensor = new Tensor().set(storage, offset, shape)

  def zeros(shape: Int*): Tensor = apply(shape: _*)
  def ones(shape: Int*): Tensor = apply(shape: _*).fill(1f)
  def scalar(v: Float): Tensor = fromArray(Array(v), Array(1))

  /** Uniform values in [low, high) from `rng`. */
  def uniform(rng: java.util.Random, low: Float, high: Float, shape: Int*): Tensor =
    apply(shape: _*).apply1(_ => low + (high - low) * rng.nextFloat())

  /** Normal values with the given mean and standard deviation from `rng`. */
  def normal(rng: java.util.Random, mean: Float, std: Float, shape: Int*): Tensor =
    apply(shape: _*).apply1(_ => mean + std * rng.nextGaussian().toFloat)

  private[tensor] def product(s: Array[Int]): Int = {
    var p = 1L; var i = 0
    while (i < s.length) { p *= s(i); i += 1 }
    require(p <= Int.MaxValue, s"tensor of ${p} elements exceeds the 2^31 limit")
    p.toInt
  }

  private[tensor] def contiguousStrides(s: Array[Int]): Array[Int] = {
    val st = new Array[Int](s.length)
    var acc = 1
    var d = s.length - 1
    while (d >= 0) { st(d) = acc; acc *= math.max(s(d), 1); d -= 1 }
    st
  }

  private[tensor] def inferShape(shape: Array[Int], n: Int): Array[Int] = {
    val unknown = shape.count(_ == -1)
    require(unknown <= 1 && shape.forall(s => s >= 0 || s == -1), s"bad shape ${shape.mkString("[", ", ", "]")}")
    val known = shape.filter(_ != -1).foldLeft(1L)(_ * _)
    val s = if (unknown == 1) {
      require(known > 0 && n % known == 0, s"cannot view $n elements as ${shape.mkString("[", ", ", "]")}")
      shape.map(x => if (x == -1) (n / known).toInt else x)
    } else shape.clone()
    require(product(s) == n, s"cannot view $n elements as ${shape.mkString("[", ", ", "]")}")
    s
  }

  private def drop(a: Array[Int], i: Int): Array[Int] = a.take(i) ++ a.drop(i + 1)
  private def insert(a: Array[Int], i: Int, v: Int): Array[Int] = (a.take(i) :+ v) ++ a.drop(i)
}
