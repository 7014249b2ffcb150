package ember.bench

import ember.ml.{ColumnKind, FrameSamples, NNClassifier}
import ember.models.LeNet5
import ember.nn.ClassNLLCriterion
import ember.optim.{MaxEpoch, Optimizer, SGD}
import ember.tensor.RandomGenerator
import org.apache.spark.ml.linalg.{SQLDataTypes, Vectors}
import org.apache.spark.sql.{DataFrame, Row, SparkSession}
import org.apache.spark.sql.types.{DoubleType, StructField, StructType}

/**
 * NNClassifier against the same training through `ember.optim.Optimizer` on the same DataFrame (run by
 * `bench/pipeline.sh` with spark-submit):
 * {{{
 *   spark-submit --class ember.bench.PipelineBench ember.jar [--rows 60000] [--epochs 1] [--batch 128] [--rounds 2]
 * }}}
 * The DataFrame holds `rows` generated MNIST-shaped rows (a dense ML vector of 784 values in [0, 1) and a
 * label in 0..9), cached. It prints as `RESULT` lines:
 *   - decoding: seconds to turn the rows into samples (NNClassifier's internal-row decoder, and the row-object
 *     path `ember.python.RddApi.fromDataFrame` that an Optimizer user calls), best of three;
 *   - training: LeNet-5, batch 128, SGD(0.01), `epochs` epochs, the two sides alternating for `rounds` rounds,
 *     samples/s of the best round of each (decoding included on both sides), and their ratio.
 */
object PipelineBench {

  final case class Args(rows: Int = 60000, epochs: Int = 1, batch: Int = 128, rounds: Int = 2)

  def parse(argv: Array[String]): Args = argv.grouped(2).foldLeft(Args()) {
    case (a, Array("--rows", v))   => a.copy(rows = v.toInt)
    case (a, Array("--epochs", v)) => a.copy(epochs = v.toInt)
    case (a, Array("--batch", v))  => a.copy(batch = v.toInt)
    case (a, Array("--rounds", v)) => a.copy(rounds = v.toInt)
    case (_, other) => throw new IllegalArgumentException(s"unknown arguments ${other.mkString(" ")}")
  }

  /** `n` MNIST-shaped rows, the same for a given seed, in `parts` partitions, cached. */
  def mnistShaped(spark: SparkSession, n: Int, parts: Int): DataFrame = {
    val rdd = spark.sparkContext.parallelize(0 until n, parts).mapPartitionsWithIndex { (p, it) =>
      val rng = new java.util.Random(1234L + p)
      it.map(i => Row(Vectors.dense(Array.fill(784)(rng.nextDouble())), (i % 10).toDouble))
    }
    val schema = StructType(Seq(StructField("features", SQLDataTypes.VectorType), StructField("label", DoubleType)))
    val df = spark.createDataFrame(rdd, schema).cache()
    df.count()
    df
  }

  private def seconds(f: => Unit): Double = { val t = System.nanoTime(); f; (System.nanoTime() - t) / 1e9 }

  def main(argv: Array[String]): Unit = {
    val args = parse(argv)
    val spark = SparkSession.builder().getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    val df = mnistShaped(spark, args.rows, spark.sparkContext.defaultParallelism)
    val layout = FrameSamples.layout(df, "features", Array(1, 28, 28), Some("label"), Array.emptyIntArray, Array.emptyIntArray)
    require(ColumnKind.of(df.schema, "features", "features", scalars = false, images = false) == ColumnKind.VectorCell)
    val shape = ember.python.Convert.intBytes(Array(1, 28, 28))
    val fast = (1 to 3).map(_ => seconds(FrameSamples.samples(df, layout).count())).min
    val rows = (1 to 3).map(_ => seconds(ember.python.RddApi.fromDataFrame(df, "features", "label", shape).count())).min
    println(f"RESULT decode rows=${args.rows} nnframes_seconds=$fast%.3f row_objects_seconds=$rows%.3f")

    def classifier(): Double = seconds {
      RandomGenerator.setSeed(1)
      new NNClassifier(LeNet5(10)).setFeatureSize(Array(1, 28, 28)).setBatchSize(args.batch).setMaxEpoch(args.epochs)
        .setLearningRate(0.01).fit(df)
    }
    def optimizer(): Double = seconds {
      RandomGenerator.setSeed(1)
      val samples = ember.python.RddApi.fromDataFrame(df, "features", "label", shape)
      val opt = Optimizer(LeNet5(10), samples, new ClassNLLCriterion(), args.batch)
      opt.setOptimMethod(new SGD(0.01, 0.0, 0.0, 0.0, 0.0, false, null)).setEndWhen(MaxEpoch(args.epochs))
      try opt.optimize() finally opt.unpersist()
    }
    val rounds = (1 to args.rounds).map(_ => (classifier(), optimizer()))
    val samples = args.rows.toDouble * args.epochs
    val (nn, op) = (samples / rounds.map(_._1).min, samples / rounds.map(_._2).min)
    println(f"RESULT train model=lenet5 batch=${args.batch} epochs=${args.epochs} nnclassifier_sps=$nn%.1f optimizer_sps=$op%.1f " +
      f"ratio=${nn / op}%.3f rounds=${rounds.map { case (a, b) => f"$a%.1f/$b%.1f s" }.mkString(", ")}")
    spark.stop()
  }
}
