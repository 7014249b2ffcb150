"""BigDL-compatible names of Ember's layers (re-exports only): ``from ember.nn.layer import Linear, ...``."""
from ember.nn.activation import LogSoftMax, ReLU, Sigmoid, SoftMax, Tanh
from ember.nn.container import Container, Sequential
from ember.nn.conv import SpatialConvolution
from ember.nn.dropout import Dropout
from ember.nn.graph import Graph, Input, Node
from ember.nn.linear import Identity, Linear
from ember.nn.module import Layer, Model
from ember.nn.pooling import SpatialAveragePooling, SpatialMaxPooling
from ember.nn.recurrent import GRU, LSTM, BiRecurrent, Recurrent, RnnCell
from ember.nn.shape import Reshape, View
from ember.nn.table import (CAddTable, CMulTable, Concat, ConcatTable, FlattenTable, JoinTable, MapTable, ParallelTable,
                            SelectTable, SplitTable, TimeDistributed)

__all__ = [
    "Layer", "Model", "Container", "Sequential", "Linear", "Identity", "SpatialConvolution", "SpatialMaxPooling",
    "SpatialAveragePooling", "Reshape", "View", "ReLU", "Tanh", "Sigmoid", "SoftMax", "LogSoftMax", "Dropout",
    # tables, recurrent layers, graphs
    "JoinTable", "SplitTable", "CAddTable", "CMulTable", "SelectTable", "FlattenTable", "ConcatTable", "Concat",
    "ParallelTable", "MapTable", "TimeDistributed", "Recurrent", "BiRecurrent", "LSTM", "GRU", "RnnCell", "Input",
    "Node", "Graph",
]
