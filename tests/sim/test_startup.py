"""Start-up: ``fleettwin --help`` and one command's parser import only what they use."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys

from sim.cli import main as cli
from sim.cli.defaults import DEFAULT_RUNS_DIR, DEFAULT_SCENARIO, MAX_SEED

HEAVY = ["scipy", "pydantic", "duckdb", "pyarrow", "numba", "pandas", "simpy", "numpy",
         "networkx"]


def _imported_after(code: str) -> dict[str, bool]:
    probe = (f"import sys\n{code}\nimport json\n"
             f"print(json.dumps({{m: m in sys.modules for m in {HEAVY!r}}}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_constants_equal_their_sources() -> None:
    from sim.engine.loading import DEFAULT_SCENARIO as scenario
    from sim.results.rundir import DEFAULT_RUNS_DIR as runs
    from sim.schema.scenario import MAX_SEED as seed

    assert (MAX_SEED, DEFAULT_SCENARIO, DEFAULT_RUNS_DIR) == (seed, scenario, runs)


def test_help_lines_equal_what_each_module_registers() -> None:
    parser = cli.build_parser()  # every module imported and registered
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    registered = {a.dest: a.help for a in sub._choices_actions}
    assert registered == {name: text for name, _, text in cli.COMMANDS}


def test_help_imports_nothing_heavy() -> None:
    seen = _imported_after("from sim.cli.main import build_parser\nbuild_parser(['--help'])")
    assert not any(seen.values()), seen


def test_a_command_imports_only_its_module() -> None:
    seen = _imported_after("from sim.cli.main import build_parser\n"
                           "build_parser(['run', '--help'])")
    assert not seen["duckdb"] and not seen["pandas"], seen
    p = cli.build_parser(["-v", "scenarios"])
    sub = next(a for a in p._actions if isinstance(a, argparse._SubParsersAction))
    assert sub.choices["scenarios"].get_default("func") is not None
    assert sub.choices["run"].get_default("func") is None  # listed only


def test_usage_errors_and_version_still_work(capsys) -> None:  # type: ignore[no-untyped-def]
    assert cli.main(["no-such-command"]) == 2
    assert "invalid choice" in capsys.readouterr().err
    assert cli.main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("fleettwin ")


def test_a_kind_looked_up_imports_its_own_model_only() -> None:
    """``kind: city_fleet`` imports sim.city.model, not every model kind's libraries."""
    probe = ("import sys, json\nfrom sim.engine.registry import MODEL_KINDS\n"
             "ok = 'city_fleet' in MODEL_KINDS and MODEL_KINDS['city_fleet'].kind\n"
             "print(json.dumps([ok, sorted(m for m in sys.modules if m.endswith('.model') "
             "and m.startswith('sim.')), 'scipy.stats' in sys.modules]))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, timeout=120)
    kind, models, stats = json.loads(out.stdout.strip().splitlines()[-1])
    assert kind == "city_fleet"
    assert models == ["sim.city.model"]
    assert not stats  # scipy.stats only when a distribution or an interval asks for it


def test_a_name_nobody_registered_still_lists_every_kind() -> None:
    from sim.engine.registry import MODEL_KINDS

    assert "no_such_kind" not in MODEL_KINDS
    assert {"city_fleet", "iptv", "hotline", "cameras", "fleet_year"} <= set(MODEL_KINDS)


def test_a_process_ends_with_its_code_its_output_and_its_exit_handlers() -> None:
    """The command's process skips the interpreter's teardown, nothing else."""
    probe = ("import atexit, sys\n"
             "atexit.register(lambda: print('handler ran'))\n"
             "from sim.cli.main import exit_process, main\n"
             "print('before', end='')\n"  # left in the buffer: must be flushed
             "exit_process(main(['no-such-command']))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 2
    assert out.stdout == "beforehandler ran\n"
    assert "invalid choice" in out.stderr
    version = subprocess.run([sys.executable, "-m", "sim.cli.main", "--version"],
                             capture_output=True, text=True, timeout=120)
    assert version.returncode == 0 and version.stdout.startswith("fleettwin ")


def test_a_running_thread_is_waited_for() -> None:
    probe = ("import threading, time\n"
             "from sim.cli.main import exit_process\n"
             "t = threading.Thread(target=lambda: (time.sleep(0.3), print('thread done')))\n"
             "t.start()\n"
             "exit_process(3)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 3 and out.stdout == "thread done\n"


def test_the_collector_is_off_while_a_run_starts_up_and_on_for_its_work() -> None:
    probe = ("import gc, sys\n"
             "import sim.cli.run as run, sim.engine.loading as loading\n"
             "from sim.errors import FleetTwinError\n"
             "load = loading.load_scenario\n"
             "def spy_load(*a, **k):\n"
             "    print('loading', gc.isenabled())\n"
             "    return load(*a, **k)\n"
             "def spy_run(*a, **k):\n"
             "    print('running', gc.isenabled(), gc.get_freeze_count() > 1000)\n"
             "    raise FleetTwinError('stop here')\n"
             "loading.load_scenario, run.run_scenario = spy_load, spy_run\n"
             "from sim.cli.main import run_process\n"
             "run_process(['run', 'hotline_support', '--quiet', '--out', sys.argv[1]])")
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run([sys.executable, "-c", probe, out], capture_output=True,
                              text=True, timeout=300)
    assert done.returncode == 2 and "stop here" in done.stderr
    assert done.stdout.split("\n")[:2] == ["loading False", "running True True"]
    # Any other command runs with the collector on and exits as usual (its exit handlers
    # and the interpreter's teardown close what it left open).
    other = subprocess.run([sys.executable, "-c", "import atexit, gc, sys\n"
                            "from sim.cli import main\n"
                            "atexit.register(lambda: print('collector on', gc.isenabled()))\n"
                            "main.run_process(['scenarios'])"],
                           capture_output=True, text=True, timeout=120)
    assert other.returncode == 0 and other.stdout.splitlines()[-1] == "collector on True"


def test_arrow_tables_are_written_without_pandas() -> None:
    """``sim.engine.arrow`` builds numbers, text and nulls into Parquet without pandas."""
    seen = _imported_after("import io, numpy as np, pyarrow as pa, pyarrow.parquet as pq\n"
                           "from sim.engine.arrow import to_arrow\n"
                           "t = pa.table({'a': to_arrow([1, None]), "
                           "'b': to_arrow(np.arange(3.0)[:2]), 'c': to_arrow(['x', None])})\n"
                           "pq.write_table(t, io.BytesIO())")
    assert seen["pyarrow"] and not seen["pandas"], seen


def test_a_small_run_imports_no_pandas_networkx_or_numba(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A whole ``fleettwin run`` of the default scenario writes its Parquet tables without
    pandas (built from buffers), its network without networkx (arrays), and dispatches with
    ``nearest_idle`` without loading the compiled insertion kernels (numba)."""
    seen = _imported_after("from sim.cli.main import main\n"
                           f"main(['run', '--quiet', '--out', {str(tmp_path)!r}])")
    assert seen["pyarrow"] and seen["numpy"]  # it did run and write
    assert not any(seen[m] for m in ("pandas", "duckdb", "networkx", "numba")), seen
    assert list(tmp_path.glob("*/kpis.json"))
