"""A real Spark standalone cluster on 127.0.0.1: one Master and N Workers, each its own JVM.

Started from pyspark's own ``spark-class``; jobs go through ``spark-submit --master spark://...``
with the project wheel on ``--py-files``. ``stop()`` ends exactly the processes this object
started, by PID. Usage from the shell:

    .venv/bin/python scripts/standalone_cluster.py ingest --lakehouse /tmp/lake -- --set ingest.optimize=false
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pyspark

ROOT = Path(__file__).resolve().parents[1]
SPARK_HOME = Path(pyspark.__file__).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def python_without_project(target: Path) -> Path:
    """A Python that sees the venv's packages but not the editable crm_mining checkout.

    A tiny venv whose .pth adds the main venv's site-packages: .pth files inside an added
    folder are not processed, so the editable install's path hook is skipped and
    ``import crm_mining`` can only come from the wheel on --py-files.
    """
    python = target / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(target)], check=True)
        site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
        (
            target
            / "lib"
            / f"python{sys.version_info.major}.{sys.version_info.minor}"
            / "site-packages"
            / "crm_base.pth"
        ).write_text(f"{site}\n")
    return python


def build_wheel(out_dir: Path) -> Path:
    """Build the crm-mining wheel into ``out_dir`` and return its path."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(out_dir), str(ROOT)],
        check=True,
        capture_output=True,
        text=True,
    )
    return next(out_dir.glob("crm_mining-*.whl"))


class StandaloneCluster:
    """Master + workers on loopback; a context manager that always stops what it started."""

    def __init__(
        self, work_dir: Path, workers: int = 2, cores_per_worker: int = 1, worker_memory: str = "2g"
    ):
        self.work_dir = Path(work_dir)
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.workers = workers
        self.cores_per_worker = cores_per_worker
        self.worker_memory = worker_memory
        self.port, self.ui_port = free_port(), free_port()
        self.processes: list[subprocess.Popen] = []
        python = str(python_without_project(self.work_dir / "python"))
        self.env = {
            **os.environ,
            "SPARK_HOME": str(SPARK_HOME),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "PYSPARK_PYTHON": python,
            "PYSPARK_DRIVER_PYTHON": python,
            "SPARK_NO_DAEMONIZE": "1",
        }

    @property
    def master_url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    def worker_dir(self, index: int) -> Path:
        return self.work_dir / f"worker-{index}"

    def __enter__(self) -> StandaloneCluster:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def spawn(self, name: str, *args: str) -> None:
        log = open(self.work_dir / f"{name}.log", "w")  # noqa: SIM115 - lives as long as the process
        process = subprocess.Popen(
            [str(SPARK_HOME / "bin" / "spark-class"), *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=self.env,
            start_new_session=True,
        )
        self.processes.append(process)

    def start(self, timeout: float = 180) -> None:
        self.spawn(
            "master",
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--webui-port",
            str(self.ui_port),
        )
        for i in range(self.workers):
            self.worker_dir(i).mkdir(parents=True, exist_ok=True)
            self.spawn(
                f"worker-{i}",
                "org.apache.spark.deploy.worker.Worker",
                "--host",
                "127.0.0.1",
                "--cores",
                str(self.cores_per_worker),
                "--memory",
                self.worker_memory,
                "--webui-port",
                str(free_port()),
                "--work-dir",
                str(self.worker_dir(i)),
                self.master_url,
            )
        self.wait_for_workers(timeout)

    def state(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.ui_port}/json/", timeout=5) as response:
            return json.load(response)

    def wait_for_workers(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            dead = [p.args[1] for p in self.processes if p.poll() is not None]
            if dead:
                self.stop()
                raise RuntimeError(f"cluster process exited early: {dead}; logs in {self.work_dir}")
            try:
                if self.state().get("aliveworkers", 0) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(1)
        self.stop()
        raise RuntimeError(
            f"{self.workers} workers did not register within {timeout}s; logs in {self.work_dir}"
        )

    def submit(
        self,
        script: Path,
        wheel: Path,
        app_args: list[str],
        spark_conf: dict[str, str] | None = None,
        timeout: float = 1200,
    ) -> subprocess.CompletedProcess:
        """spark-submit ``script`` to this cluster with ``wheel`` on --py-files and Delta from Ivy."""
        from crm_mining.config.runtime import SparkSettings
        from crm_mining.jars import delta_coordinate

        conf = {
            "spark.executor.cores": "1",
            "spark.executor.memory": "1g",
            "spark.cores.max": str(self.workers * self.cores_per_worker),
            **(spark_conf or {}),
        }
        cmd = [
            str(SPARK_HOME / "bin" / "spark-submit"),
            "--master",
            self.master_url,
            "--py-files",
            str(wheel),
            "--packages",
            delta_coordinate(SparkSettings().delta_version),
        ]
        for key, value in conf.items():
            cmd += ["--conf", f"{key}={value}"]
        cmd += [str(script), *app_args]
        return subprocess.run(
            cmd, capture_output=True, text=True, env=self.env, cwd=self.work_dir, timeout=timeout
        )

    def executor_dirs(self) -> dict[int, list[Path]]:
        """Executor folders per worker (app-*/<executor id>): proof of where work ran."""
        return {i: sorted(self.worker_dir(i).glob("app-*/*")) for i in range(self.workers)}

    def stop(self) -> None:
        """Stop the processes this cluster started (workers first), by PID; nothing else."""
        for process in reversed(self.processes):
            if process.poll() is None:
                os.kill(process.pid, signal.SIGTERM)
        for process in reversed(self.processes):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


def main(argv: list[str]) -> int:
    """Start a cluster, run one job (``jobs/<job>.py``) on it with the wheel, stop the cluster."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    job, *app_args = argv
    app_args = [a for a in app_args if a != "--"]
    work = ROOT / "build" / "cluster"
    wheel = build_wheel(ROOT / "dist")
    with StandaloneCluster(work) as cluster:
        print(f"cluster up at {cluster.master_url} (UI http://127.0.0.1:{cluster.ui_port})")
        done = cluster.submit(ROOT / "jobs" / f"{job}.py", wheel, app_args)
        print(done.stdout)
        print(done.stderr[-4000:], file=sys.stderr)
        print(f"executors per worker: { {k: len(v) for k, v in cluster.executor_dirs().items()} }")
    return done.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
