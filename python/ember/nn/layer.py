"""BigDL-compatible names of Ember's layers (re-exports only): ``from ember.nn.layer import Linear, ...``."""
from ember.nn.activation import (ELU, HardSigmoid, HardTanh, LeakyReLU, LogSoftMax, PReLU, ReLU, ReLU6, Sigmoid, SoftMax,
                                 SoftPlus, SoftSign, Tanh, Threshold)
from ember.nn.attention import Attention
from ember.nn.container import Container, Sequential
from ember.nn.conv import SpatialConvolution, SpatialDilatedConvolution, SpatialFullConvolution, TemporalConvolution
from ember.nn.detection import DetectionOutput
from ember.nn.dropout import Dropout, GaussianNoise, GaussianSampler, SpatialDropout2D
from ember.nn.elementwise import Abs, Clamp, Exp, Log, Power, Sqrt, Square
from ember.nn.embedding import LookupTable
from ember.nn.graph import Graph, Input, Node
from ember.nn.python_code import Lambda, PythonModule
from ember.nn.linear import Bilinear, Cosine, Euclidean, Highway, Identity, Linear
from ember.nn.module import Layer, Model
from ember.nn.normalization import (BatchNormalization, LayerNormalization, Normalize, SpatialBatchNormalization,
                                    SpatialCrossMapLRN)
from ember.nn.pooling import SpatialAveragePooling, SpatialMaxPooling, TemporalMaxPooling
from ember.nn.recurrent import GRU, LSTM, BiRecurrent, Recurrent, RnnCell
from ember.nn.reduction import Max, Mean, Min, Sum
from ember.nn.resampling import ResizeBilinear, UpSampling2D
from ember.nn.scale import Add, AddConstant, CAdd, CMul, Mul, MulConstant
from ember.nn.shape import (InferReshape, Masking, Narrow, Padding, Replicate, Reshape, Select, SpatialZeroPadding,
                            Squeeze, Transpose, Unsqueeze, View)
from ember.nn.table import (CAddTable, CMulTable, Concat, ConcatTable, FlattenTable, JoinTable, MapTable, ParallelTable,
                            SelectTable, SplitTable, TimeDistributed)

__all__ = [
    "Layer", "Model", "Container", "Sequential", "Linear", "Identity", "SpatialConvolution", "SpatialMaxPooling",
    "SpatialAveragePooling", "Reshape", "View", "ReLU", "Tanh", "Sigmoid", "SoftMax", "LogSoftMax", "Dropout",
    # tables, recurrent layers, graphs
    "JoinTable", "SplitTable", "CAddTable", "CMulTable", "SelectTable", "FlattenTable", "ConcatTable", "Concat",
    "ParallelTable", "MapTable", "TimeDistributed", "Recurrent", "BiRecurrent", "LSTM", "GRU", "RnnCell", "Input",
    "Node", "Graph", "PythonModule", "Lambda",
    # normalisation
    "BatchNormalization", "SpatialBatchNormalization", "SpatialCrossMapLRN", "LayerNormalization", "Normalize",
    # convolutions and temporal pooling
    "SpatialDilatedConvolution", "SpatialFullConvolution", "TemporalConvolution", "TemporalMaxPooling",
    # embedding and simple parametrised layers
    "LookupTable", "CAdd", "CMul", "Mul", "Add", "Bilinear", "Cosine", "Euclidean", "Highway", "PReLU",
    # shape
    "Padding", "SpatialZeroPadding", "Transpose", "Narrow", "Select", "Squeeze", "Unsqueeze", "Replicate",
    # activations and elementwise functions
    "ReLU6", "LeakyReLU", "ELU", "SoftPlus", "SoftSign", "HardTanh", "HardSigmoid", "Threshold", "Power", "Sqrt",
    "Square", "Log", "Exp", "Abs", "Clamp", "SpatialDropout2D", "GaussianNoise",
    # applications (issue 12)
    "Attention", "DetectionOutput",
    # reductions, constants, reshaping, masking, resampling, sampling
    "Sum", "Mean", "Max", "Min", "MulConstant", "AddConstant", "InferReshape", "Masking", "UpSampling2D",
    "ResizeBilinear", "GaussianSampler",
]
