"""A real Spark standalone cluster on 127.0.0.1 for integration tests: one master and N workers started with
the ``sbin/spark-daemon.sh`` that the pyspark wheel ships (it has no ``start-master.sh``), plus helpers to
``spark-submit`` jobs to it and to find (and kill) its executor JVMs.

Everything the daemons write (logs, pid files, work directories) lives under one temporary folder, and
``stop()`` stops the daemons and kills any executor they left behind.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request


def spark_home():
    import pyspark

    return os.path.dirname(pyspark.__file__)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class StandaloneCluster:
    """Master + ``workers`` workers (``cores`` cores, ``memory`` each) on 127.0.0.1 under ``root``; ``conf``
    (e.g. ``spark.authenticate`` and its secret) is given to the master and worker daemons."""

    def __init__(self, root, workers=2, cores=1, memory="2g", conf=None):
        self.root, self.workers, self.cores, self.memory = str(root), workers, cores, memory
        self.home = spark_home()
        self.port, self.ui_port = free_port(), free_port()
        self.worker_ports = [free_port() for _ in range(workers)]
        self.url = f"spark://127.0.0.1:{self.port}"
        self.env = dict(os.environ, SPARK_HOME=self.home, SPARK_LOG_DIR=os.path.join(self.root, "logs"),
                        SPARK_PID_DIR=os.path.join(self.root, "pids"), SPARK_WORKER_DIR=os.path.join(self.root, "work"),
                        SPARK_NO_DAEMONIZE="", SPARK_LOCAL_IP="127.0.0.1", PYSPARK_PYTHON=sys.executable,
                        PYSPARK_DRIVER_PYTHON=sys.executable)
        self.env.pop("SPARK_NO_DAEMONIZE")
        if conf:
            self.env["SPARK_DAEMON_JAVA_OPTS"] = " ".join(f"-D{k}={v}" for k, v in conf.items())
        self.env.pop("PYSPARK_GATEWAY_PORT", None)
        self.env.pop("PYSPARK_GATEWAY_SECRET", None)

    def _daemon(self, action, cls, instance, *args):
        cmd = [os.path.join(self.home, "sbin", "spark-daemon.sh"), action, cls, str(instance), *args]
        subprocess.run(cmd, env=self.env, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)

    def start(self, timeout=120):
        """Starts the master and the workers; returns when the master lists every worker as alive."""
        self._daemon("start", "org.apache.spark.deploy.master.Master", 1, "--host", "127.0.0.1", "--port",
                     str(self.port), "--webui-port", str(self.ui_port))
        for i, port in enumerate(self.worker_ports, start=1):
            self._daemon("start", "org.apache.spark.deploy.worker.Worker", i, "--host", "127.0.0.1", "--port", str(port),
                         "--cores", str(self.cores), "--memory", self.memory, "--webui-port", str(free_port()), self.url)
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.status().get("aliveworkers", 0) >= self.workers:
                return self
            time.sleep(1)
        self.stop()
        raise RuntimeError(f"standalone cluster: {self.workers} workers not alive after {timeout} s "
                           f"(logs in {self.env['SPARK_LOG_DIR']})")

    def status(self):
        """The master's JSON status page (``aliveworkers``, ``activeapps``, ...), {} while it is not up."""
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as r:
                return json.loads(r.read().decode())
        except OSError:
            return {}

    def submit(self, args, timeout=900, conf=None, env=None):
        """Runs ``spark-submit --master <this cluster> <args>``; returns the CompletedProcess (text output)."""
        conf = dict({"spark.ui.showConsoleProgress": "false"}, **(conf or {}))
        cmd = [os.path.join(self.home, "bin", "spark-submit"), "--master", self.url]
        for k, v in conf.items():
            cmd += ["--conf", f"{k}={v}"]
        return subprocess.run(cmd + list(args), env=dict(self.env, **(env or {})), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, timeout=timeout)

    def popen(self, args, log_path, conf=None):
        """Starts ``spark-submit`` in the background, output to ``log_path``; returns the Popen."""
        conf = dict({"spark.ui.showConsoleProgress": "false"}, **(conf or {}))
        cmd = [os.path.join(self.home, "bin", "spark-submit"), "--master", self.url]
        for k, v in conf.items():
            cmd += ["--conf", f"{k}={v}"]
        log = open(log_path, "w")
        return subprocess.Popen(cmd + list(args), env=self.env, stdout=log, stderr=subprocess.STDOUT)

    def executor_pids(self):
        """Process ids of the executor JVMs of this cluster's running applications (matched by app id)."""
        apps = [f"--app-id {a['id']} " for a in self.status().get("activeapps", [])]
        out = subprocess.run(["ps", "-eww", "-o", "pid,args"], stdout=subprocess.PIPE, text=True).stdout
        return [int(line.split(None, 1)[0]) for line in out.splitlines()[1:]
                if "CoarseGrainedExecutorBackend" in line and any(a in line + " " for a in apps)]

    def stop(self):
        pids = self.executor_pids()  # while the master still lists the applications
        for i in range(1, self.workers + 1):
            try:
                self._daemon("stop", "org.apache.spark.deploy.worker.Worker", i)
            except (subprocess.SubprocessError, OSError):
                pass
        try:
            self._daemon("stop", "org.apache.spark.deploy.master.Master", 1)
        except (subprocess.SubprocessError, OSError):
            pass
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
