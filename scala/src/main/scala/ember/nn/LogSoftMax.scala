package ember.nn

/**
 * x_i - log(sum_j exp(x_j)) over the feature dimension, computed stably; the usual last layer before
 * [[ClassNLLCriterion]].
 */
class LogSoftMax() extends SoftMaxBase("LogSoftMax", log = true)
