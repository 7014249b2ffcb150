package ember.tensor
object Probe { def hello: String = org.apache.spark.SPARK_VERSION }
