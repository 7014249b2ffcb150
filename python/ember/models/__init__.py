"""Reference models (mirrors the Scala package ``ember.models``); each function returns a ready model.

Every model outputs log-probabilities (train with ``ClassNLLCriterion``; Seq2Seq with
``TimeDistributedCriterion(ClassNLLCriterion(), True)``). Ids (tokens, users, items) are 0-based.

Examples:
    >>> from ember.models import LeNet5, ResNet
    >>> LeNet5(10).n_parameters()
    22278
    >>> ResNet(10, depth=20).n_parameters()
    269722
"""
from ember import _convert
from ember._java import call_static
from ember.nn.module import Model

__all__ = ["LeNet5", "ResNet", "Vgg16", "InceptionV1", "TextCNN", "LstmClassifier", "Seq2Seq", "NeuralCF"]


def _build(name, *args):
    return Model.of(call_static(f"ember.models.{name}", "apply", *args))


def LeNet5(class_num=10):
    """LeNet-5 as in Ember's example: input (N, 784) or (N, 1, 28, 28); 22,278 parameters for 10 classes."""
    return _build("LeNet5", int(class_num))


def ResNet(class_num=10, depth=20):
    """ResNet for 32x32 images (He et al. 2016, section 4.2), depth 6n + 2, option-A shortcuts, as a graph.

    ResNet-20 has 269,722 parameters. Input (N, 3, 32, 32).
    """
    return _build("ResNet", int(class_num), int(depth))


def Vgg16(class_num=1000, image_size=224, hidden=4096):
    """VGG-16 (configuration D): 138,357,544 parameters for 224x224 and 1000 classes; ``image_size`` (a
    multiple of 32) and ``hidden`` scale it down. Input (N, 3, image_size, image_size)."""
    return _build("Vgg16", int(class_num), int(image_size), int(hidden))


def InceptionV1(class_num=1000):
    """Inception-v1 / GoogLeNet without auxiliary classifiers: 6,998,552 parameters for 1000 classes.
    Input (N, 3, H, W), H and W at least 64 (224 in the paper)."""
    return _build("InceptionV1", int(class_num))


def TextCNN(class_num=20, embedding_dim=100, sequence_length=1000, vocab_size=0):
    """BigDL's text-classification CNN: input (N, L, embedding_dim) vectors, or (N, L) token ids when
    ``vocab_size`` > 0 (a learnt LookupTable). 243,144 parameters for the example's sizes."""
    return _build("TextCNN", int(class_num), int(embedding_dim), int(sequence_length), int(vocab_size))


def LstmClassifier(class_num=20, embedding_dim=100, hidden_size=128, vocab_size=0):
    """LSTM text classifier over (N, L, embedding_dim) vectors or (N, L) ids: the last hidden state through
    hidden -> 100 -> classes. 132,168 parameters for the example's sizes."""
    return _build("LstmClassifier", int(class_num), int(embedding_dim), int(hidden_size), int(vocab_size))


def Seq2Seq(src_vocab, tgt_vocab, embedding_dim=32, hidden_size=64, attention=False):
    """LSTM encoder-decoder: inputs ``[source ids (N, S), decoder input ids (N, T)]``, output (N, T, tgt_vocab).

    With ``attention=True`` every decoder state attends over the encoder outputs (Luong's global dot-product
    attention, :class:`ember.nn.layer.Attention`). Decode with :mod:`ember.models.decoding`.
    """
    args = (int(src_vocab), int(tgt_vocab), int(embedding_dim), int(hidden_size))
    if attention:
        return Model.of(call_static("ember.models.Seq2Seq", "withAttention", *args))
    return _build("Seq2Seq", *args)


def NeuralCF(user_count, item_count, num_classes, user_embed=20, item_embed=20, hidden_layers=(40, 20, 10),
             include_mf=True, mf_embed=20):
    """Neural collaborative filtering (NeuMF): input (N, 2) of 0-based (user, item) ids, output (N, num_classes)."""
    return _build("NeuralCF", int(user_count), int(item_count), int(num_classes), int(user_embed), int(item_embed),
                  _convert.int_array(list(hidden_layers)), bool(include_mf), int(mf_embed))
