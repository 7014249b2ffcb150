"""Training (mirrors ``ember.optim``); BigDL's names are in ``ember.optim.optimizer``."""
from ember.optim.optimizer import *  # noqa: F401,F403
from ember.optim.optimizer import __all__  # noqa: F401
