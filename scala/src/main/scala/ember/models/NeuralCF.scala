package ember.models

import ember.nn._

/**
 * Neural collaborative filtering, NeuMF (He et al. 2017, "Neural Collaborative Filtering"; Analytics
 * Zoo's `NeuralCF`): a generalised matrix factorisation path (elementwise product of user and item
 * embeddings of size mfEmbed) and an MLP path (concatenated user and item embeddings through
 * `hiddenLayers` with ReLU), concatenated and classified into `numClasses` (e.g. ratings 1-5 as classes
 * 0-4). A [[Graph]]: input [batch, 2] of 0-based (user, item) ids, output log-probabilities.
 * Parameters: users*(userEmbed + mfEmbed) + items*(itemEmbed + mfEmbed) + the MLP + (mfEmbed + last
 * hidden + 1) * numClasses.
 */
object NeuralCF {

  def apply(userCount: Int, itemCount: Int, numClasses: Int, userEmbed: Int = 20, itemEmbed: Int = 20,
      hiddenLayers: Array[Int] = Array(40, 20, 10), includeMF: Boolean = true, mfEmbed: Int = 20): Module = {
    require(userCount > 0 && itemCount > 0 && numClasses > 1 && hiddenLayers.nonEmpty && hiddenLayers.forall(_ > 0),
      s"NeuralCF: bad sizes userCount=$userCount itemCount=$itemCount numClasses=$numClasses " +
        s"hiddenLayers=${hiddenLayers.mkString("[", ", ", "]")}")
    val x = Input("userItem")
    val ids = new SplitTable(1).inputs(x)
    val (user, item) = (new SelectTable(0).inputs(ids), new SelectTable(1).inputs(ids))
    var mlp = new JoinTable(1).inputs(
      new LookupTable(userCount, userEmbed).setName("mlpUserEmbedding").inputs(user),
      new LookupTable(itemCount, itemEmbed).setName("mlpItemEmbedding").inputs(item))
    var width = userEmbed + itemEmbed
    for (h <- hiddenLayers) { mlp = new ReLU().inputs(new Linear(width, h).inputs(mlp)); width = h }
    val features = if (!includeMF) mlp else {
      require(mfEmbed > 0, s"NeuralCF: mfEmbed must be positive, got $mfEmbed")
      val mf = new CMulTable().inputs(
        new LookupTable(userCount, mfEmbed).setName("mfUserEmbedding").inputs(user),
        new LookupTable(itemCount, mfEmbed).setName("mfItemEmbedding").inputs(item))
      width += mfEmbed
      new JoinTable(1).inputs(mf, mlp)
    }
    Graph(x, new LogSoftMax().inputs(new Linear(width, numClasses).setName("prediction").inputs(features)))
  }
}
