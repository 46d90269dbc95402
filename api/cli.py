"""The ``twin`` command: the front door for people at a terminal.

``twin validate`` checks building and scenario files; ``twin building new|show|graph`` makes and
inspects buildings; ``twin run`` runs a scenario's replications (here, or on a Dask cluster with
``--scheduler``), writes its results folder and report, says what it changed from its library
scenario, and keeps a copy in the data directory's run store that the web console lists
(``twin runs import`` adds a folder later); ``twin demo`` runs the main job on the embedded
default. A mistake in a user's file prints ``file: field path: message`` lines and exits with
status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from twin.errors import SpecError

if TYPE_CHECKING:
    from rich.console import Console

# Each command imports what it needs when it runs (the simulation stack — numpy, scipy, pandas,
# the models — takes seconds to import): `twin --help` and `twin validate` of a building stay quick.
# bench/bench_cli.py measures it.

__all__ = ["cli", "main"]

DEMO_SCENARIO = "tower-full-drill"


def _console(stderr: bool = False) -> "Console":
    from rich.console import Console

    return Console(stderr=stderr)


class _LazyGroup(click.Group):
    """The ``twin`` group: the commands of the other front doors (the live twin, tokens, the 3D
    viewer) are imported only when one of them runs; ``twin --help`` lists them from
    :data:`LAZY_COMMANDS` without importing them."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY_COMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        command = super().get_command(ctx, cmd_name)
        if command is None and cmd_name in LAZY_COMMANDS:
            import importlib

            module, attr, _ = LAZY_COMMANDS[cmd_name]
            command = getattr(importlib.import_module(module), attr)
            self.add_command(command, cmd_name)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(len(name) for name in names)
        for name in names:
            if name in self.commands or name not in LAZY_COMMANDS:
                command = self.get_command(ctx, name)
                if command is None or command.hidden:
                    continue
                rows.append((name, command.get_short_help_str(limit)))
            else:
                rows.append((name, click.utils.make_default_short_help(LAZY_COMMANDS[name][2], limit)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


LAZY_COMMANDS: dict[str, tuple[str, str, str]] = {
    "serve": ("api.live_cli", "serve", "Mirror BUILDING's live equipment (sample name or file; default: tower), "
                                       "with the API and web console unless --no-api."),
    "devices": ("api.live_cli", "devices", "Simulated devices."),
    "token": ("api.token_cli", "token", "Make, list and revoke API tokens."),
    "view": ("api.viewer_cli", "view", "Open a desktop window on the live twin of BUILDING (a sample name or "
                                       "YAML file)."),
    "snapshot": ("api.viewer_cli", "snapshot", "Render BUILDING off screen to a PNG (no display needed)."),
    "playback": ("api.viewer_cli", "playback", "Replay an evacuation run (RESULTS folder) in 3D, or export it as a "
                                               "video and PNG frames."),
}
"""Command name → (module, attribute, the first paragraph of its help), for :class:`_LazyGroup`."""


class UserError(click.ClickException):
    """A user's mistake: printed without a traceback, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


def _spec_error(exc: SpecError) -> UserError:
    return UserError(str(exc))


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="building-twin", prog_name="twin")
def cli() -> None:
    """Building Twin: a building's live equipment and its what-if simulations."""


# --- validate ---------------------------------------------------------------------------------

@cli.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check building and scenario files (or sample / library names); exit 2 if any is invalid."""
    from twin.loader import load_building, read_yaml, sample_names

    failed = False
    for ref in files:
        try:
            path = Path(ref)
            if not path.exists() and ref in sample_names():
                kind = "building"
            elif not path.exists():
                from scenarios.spec import resolve_scenario_path

                path = resolve_scenario_path(ref)
                kind = "scenario"
            else:
                data = read_yaml(path)
                kind = "scenario" if isinstance(data, dict) and "model" in data and "floors" not in data else "building"
            if kind == "building":
                b = load_building(ref if not path.exists() else path)
                click.echo(f"OK {ref}: building {b.id!r}: {len(b.floors)} floors, {len(b.spaces)} spaces, "
                           f"{b.total_occupants} occupants, {len(b.exits)} exits")
            else:
                from scenarios.spec import load_scenario  # the models: only for a scenario

                sc = load_scenario(path)
                b = sc.building
                click.echo(f"OK {ref}: scenario {sc.scenario.name!r}: model {sc.model.name!r} on "
                           f"{sc.building.id!r}, {len(sc.points)} point(s) x {sc.scenario.replications} replications")
            for warning in b.load_warnings:  # the building file's named warnings (twin/checks.py); exit 0
                click.echo(str(warning))
        except SpecError as exc:
            failed = True
            click.echo(str(exc), err=True)
            for warning in getattr(exc, "warnings", ()):
                click.echo(str(warning), err=True)
    if failed:
        sys.exit(2)


# --- building ---------------------------------------------------------------------------------

@cli.group()
def building() -> None:
    """Make and inspect building files."""


@building.command("new")
@click.option("--kind", type=click.Choice(["residential", "podium"]), default="residential", show_default=True,
              help="residential high-rise, or mixed-use office/retail podium with an atrium")
@click.option("--id", "building_id", default=None, help="building id (default: the kind's name)")
@click.option("--name", default=None, help="building name")
@click.option("--floors", type=click.IntRange(2, 60), default=None,
              help="storeys above ground, ground floor included [residential 30, podium 5]")
@click.option("--basement-levels", type=click.IntRange(1, 4), default=None, help="basement levels [2]")
@click.option("--units-per-floor", type=click.IntRange(1, 96), default=None,
              help="residential: apartments per floor, shared between the cores [8 per core]")
@click.option("--cores", type=click.IntRange(1, 12), default=None, help="residential: stair/lift cores [4]")
@click.option("--lifts-per-core", type=click.IntRange(1, 8), default=None,
              help="residential: lifts per core, the last a fire-service lift [4]")
@click.option("--stairs-per-core", type=click.IntRange(1, 2), default=None, help="residential: stairs per core [2]")
@click.option("--persons-per-unit", type=click.FloatRange(0.5, 10), default=None,
              help="residential: mean residents per apartment [3.2]")
@click.option("--retail-floors", type=click.IntRange(1, 10), default=None, help="podium: retail storeys [2]")
@click.option("--lifts", type=click.IntRange(1, 6), default=None,
              help="podium: passenger lifts, a fire-service lift is added [4]")
@click.option("--seed", type=int, default=0, show_default=True, help="seed of the occupant counts")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True, help="YAML file to write")
def building_new(kind: str, building_id: str | None, name: str | None, floors: int | None,
                 basement_levels: int | None, units_per_floor: int | None, cores: int | None,
                 lifts_per_core: int | None, stairs_per_core: int | None, persons_per_unit: float | None,
                 retail_floors: int | None, lifts: int | None, seed: int, out: Path) -> None:
    """Generate a realistic building from a few numbers and write it as YAML."""
    from twin import generate
    from twin.loader import load_building

    options: dict[str, Any] = {"building_id": building_id or ("tower" if kind == "residential" else "podium"),
                               "name": name, "floors": floors, "basement_levels": basement_levels, "seed": seed}
    if kind == "residential":
        options.update(units_per_floor=units_per_floor, cores=cores, lifts_per_core=lifts_per_core,
                       stairs_per_core=stairs_per_core, persons_per_unit_mean=persons_per_unit)
        make = generate.residential_tower
    else:
        options.update(retail_floors=retail_floors, passenger_lifts=lifts)
        make = generate.mixed_podium
    try:
        data = make(**{k: v for k, v in options.items() if v is not None})
    except ValueError as exc:
        raise UserError(f"twin building new: {exc}") from None
    command = "twin building new " + " ".join(sys.argv[3:]) if len(sys.argv) > 3 else "twin building new"
    generate.dump_building_yaml(data, out, f"Generated by: {command}")
    b = load_building(out)
    click.echo(f"wrote {out}: {b.id!r}, {len(b.floors)} floors, {len(b.spaces)} spaces, {b.total_occupants} occupants")


@building.command("show")
@click.argument("file")
def building_show(file: str) -> None:
    """Print a building's summary: floors, spaces, occupants, exits, equipment by system."""
    from rich.table import Table

    from twin.graph import build_graph
    from twin.loader import load_building
    from twin.summary import building_summary

    b = load_building(file)
    s = building_summary(b, build_graph(b))
    table = Table(title=f"{s['name']} ({s['id']})", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    rows = [
        ("use", s["use"]),
        ("floors", f"{s['floors']} ({s['lowest_floor']} … {s['highest_floor']}), {s['height_m']:.1f} m"),
        ("spaces", f"{s['spaces']}: " + ", ".join(f"{k} {v}" for k, v in s["spaces_by_kind"].items())),
        ("floor area", f"{s['floor_area_m2']:,.0f} m²"),
        ("occupants", f"{s['occupants']:,}"),
        ("doors / stairs", f"{s['doors']} / {s['stairs']}"),
        ("elevators", f"{s['elevator_cars']} cars in {s['elevator_groups']} groups, "
                      f"{s['fire_service_lifts']} fire-service"),
        ("exits", f"{len(s['exits'])}: {', '.join(s['exits'])}"),
        ("equipment", ", ".join(f"{k} {v}" for k, v in s["equipment_by_system"].items()) or "none"),
        ("graph", f"{s['graph_nodes']} nodes, {s['graph_edges']} edges"),
        ("reach an exit", f"{s['occupied_spaces_reaching_exit']} of {s['occupied_spaces']} occupied spaces; "
                          f"farthest {s['max_exit_distance_m']} m"),
    ]
    for k, v in rows:
        table.add_row(k, v)
    _console().print(table)


@building.command("graph")
@click.argument("file")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="JSON file to write (networkx node-link format)")
def building_graph(file: str, out: Path) -> None:
    """Export a building's floor graph as node-link JSON."""
    from twin.graph import build_graph, to_node_link
    from twin.loader import load_building

    g = build_graph(load_building(file))
    out.write_text(json.dumps(to_node_link(g), indent=1), encoding="utf-8")
    click.echo(f"wrote {out}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges")


# --- run --------------------------------------------------------------------------------------

def print_kpi_table(summary: dict, lang: str | None = None) -> None:
    """The KPI table of a run in ``lang`` (labels, units, interval and its kind, verdicts), then its
    failed or uncertain verdicts, warnings and notes (:mod:`viewer.tables`)."""
    from viewer.tables import print_run_summary

    print_run_summary(summary, lang, _console())


def _run(ref: str, replications: int | None, seed: int | None, overrides: tuple[str, ...], workers: int,
         out: Path | None, report: bool, scheduler: str | None = None, lang: str | None = None,
         data_dir: Path | None = None, record: bool = True, resume: bool = False) -> Path:
    from datetime import datetime, timezone

    from scenarios.changes import describe_changes
    from scenarios.runner import RunnerError, run_scenario
    from scenarios.spec import load_scenario

    loaded = load_scenario(ref, overrides)
    changes = _changes(ref, loaded, replications, seed)
    out = out or Path("results") / loaded.scenario.name
    started = datetime.now(timezone.utc)
    try:
        result = run_scenario(loaded, replications=replications, seed=seed, workers=workers,
                              progress=sys.stderr.isatty(), scheduler=scheduler, out=out, resume=resume,
                              changes=changes)
    except RunnerError as exc:
        raise UserError(f"twin run: {exc}") from None
    except KeyboardInterrupt:
        if (out / "partial").is_dir():
            click.echo(f"the sweep points finished so far are in {out}: continue with `twin run {ref} --resume {out}` "
                       f"(and the same options)", err=True)
        raise
    print_kpi_table(result.summary, lang)
    if changes:  # what this run changes from its library scenario, in the table's language
        click.echo(("改动：" if lang == "zh-CN" else "changed: ") + describe_changes(changes, lang))
    click.echo(f"results: {out}/summary.json, {out}/records/")
    if report:
        from viewer.report import write_report

        click.echo(f"report:  {write_report(out, lang=lang)}")
    if record:
        _record(out, data_dir, ref, started)
    return out


def _changes(ref: str, loaded: Any, replications: int | None, seed: int | None) -> list[dict]:
    """What the run changes from its library scenario (the library's file of the scenario's name;
    a scenario of the person's own is its own base): ``--set``, ``-n``, ``--seed``, an edited copy."""
    from scenarios.changes import scenario_changes
    from scenarios.spec import LIBRARY_DIR, resolve_scenario_path
    from twin.loader import read_yaml

    library = LIBRARY_DIR / f"{loaded.scenario.name}.yaml"
    based_on = loaded.scenario.based_on  # a saved variant: its library scenario
    if based_on and not library.is_file():
        beside = Path(ref).parent / f"{based_on}.yaml"
        library = beside if Path(ref).suffix in (".yaml", ".yml") and beside.is_file() else LIBRARY_DIR / f"{based_on}.yaml"
    try:
        base = read_yaml(library if library.is_file() else resolve_scenario_path(ref))
    except SpecError:
        base = None
    return scenario_changes(base if isinstance(base, dict) else None, loaded.raw, loaded.model.params,
                            replications=replications, seed=seed)


def _data_dir(given: Path | None) -> Path:
    """The data directory the API and the console use: ``--data-dir``, else ``TWIN_DATA_DIR``, else ``twin-data``."""
    from api.settings import data_dir_setting

    try:
        return data_dir_setting(given)
    except ValueError as exc:
        raise UserError(f"twin: {exc}") from None


def _record(out: Path, data_dir: Path | None, ref: str | None, started: Any = None) -> None:
    """Put a finished run into the data directory's run store, where the console lists it."""
    import getpass
    import sqlite3

    from api.runs import ResultsFolderError, record_results

    where = _data_dir(data_dir)
    try:
        rec, folder = record_results(out, where, created_by=f"{getpass.getuser()} (twin run)", ref=ref,
                                     started_at=started)
    except (OSError, sqlite3.Error, ResultsFolderError) as exc:
        click.echo(f"warning: the run was not added to the console's run list in {where}: {exc}", err=True)
        return
    click.echo(f"stored:  {folder} (run {rec.id} in the console's run list; data directory {where})")


@cli.command()
@click.argument("scenario")
@click.option("--replications", "-n", type=click.IntRange(1, 10_000), default=None, help="override the scenario's")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="override the scenario's seed")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
              help="override a field, e.g. --set params.alarm_delay_s=120 (repeatable)")
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=1, show_default=True,
              help="processes running replications in parallel")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="results folder (default results/SCENARIO)")
@click.option("--scheduler", default=None, envvar="TWIN_SCHEDULER", show_envvar=True, metavar="tcp://HOST:PORT",
              help="run the replications on this Dask scheduler's workers (instead of --workers)")
@click.option("--report/--no-report", default=True, show_default=True, help="write report.html")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), default="en", show_default=True,
              help="language of the KPI table and the report (labels, verdicts, warnings)")
@click.option("--store/--no-store", "record", default=True, show_default=True,
              help="also keep the results in the data directory's run store, where the web console lists them")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="data directory of the run store [TWIN_DATA_DIR or twin-data]")
@click.option("--resume", type=click.Path(file_okay=False, path_type=Path), default=None, metavar="DIR",
              help="continue the interrupted run in results folder DIR (the same scenario and options): only the "
                   "sweep points not yet written there are run")
def run(scenario: str, replications: int | None, seed: int | None, overrides: tuple[str, ...], workers: int,
        out: Path | None, scheduler: str | None, report: bool, lang: str, record: bool, data_dir: Path | None,
        resume: Path | None) -> None:
    """Run a scenario file (or library scenario name) and print its KPI table.

    Each sweep point is written to the results folder as soon as its replications finish; after a
    crash, Ctrl-C or a cancel, `--resume DIR` runs only the points that are missing, and the results
    equal an uninterrupted run's."""
    if resume is not None and out is not None and out.resolve() != resume.resolve():
        raise UserError(f"twin run: --out {out} and --resume {resume} name two folders; --resume DIR is the folder")
    _run(scenario, replications, seed, overrides, workers, resume or out, report, scheduler or None, lang, data_dir,
         record, resume=resume is not None)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("results/demo"),
              show_default=True)
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="then serve the live twin of the tower with the API and web console")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="stop serving after S seconds (default: until Ctrl-C)")
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="the console's data directory: run store, live history, tokens [TWIN_DATA_DIR or twin-data]")
@click.pass_context
def demo(ctx: click.Context, out: Path, workers: int, serve: bool, port: int, duration: float | None,
         data_dir: Path | None) -> None:
    """The main job on the embedded default: a full drill of the sample tower with its report, then
    the tower's live twin (embedded broker, simulated devices) with the API and the web console,
    whose run list shows the drill."""
    _run(DEMO_SCENARIO, None, None, (), workers, out, True, data_dir=data_dir)
    if serve:
        ctx.invoke(cli.get_command(ctx, "serve"), building="tower", port=port, duration=duration, data_dir=data_dir)


# --- optimise ---------------------------------------------------------------------------------

@cli.command()
@click.argument("scenario")
@click.option("--minimise", "--minimize", "minimise", default=None, metavar="KPI",
              help="what to minimise: a KPI, or a parameter (params.technicians); -KPI maximises it")
@click.option("--maximise", "--maximize", "maximise", default=None, metavar="KPI", help="what to maximise instead")
@click.option("--subject-to", "subject_to", multiple=True, metavar="KPI>=VALUE",
              help="a promise, kept only when the KPI's 95 % interval clears VALUE (repeatable; KPI<=VALUE too)")
@click.option("--over", multiple=True, metavar="params.PATH=LOW..HIGH",
              help="a parameter to search, integer when both bounds are integers (suffix :int or :real to say "
                   "so; repeatable)")
@click.option("--trials", type=click.IntRange(1, 200), default=None,
              help="plans to try at most (default: the scenario's optimise block, else 30; an integer grid that "
                   "small is tried whole)")
@click.option("--replications", "-n", type=click.IntRange(2, 10_000), default=None,
              help="replications per plan (default: the scenario's)")
@click.option("--seed", type=click.IntRange(0, 2**63 - 1), default=None, help="override the scenario's seed")
@click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE", help="override a scenario field (repeatable)")
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=1, show_default=True,
              help="processes running each plan's replications in parallel")
@click.option("--prune/--no-prune", default=None,
              help="stop a plan early (after 6 or 10 replications) once a promise's 95 % interval lies wholly on "
                   "the bad side, or (after 2, 6 or 10) once it is worse than the best feasible plan in replications "
                   "paired by their random numbers; --no-prune runs every plan in full (default: the scenario's "
                   "optimise block, else on)")
@click.option("--monotone", is_flag=True, default=None,
              help="assume no promise gets worse and the objective no better as any searched parameter grows "
                   "(more staff): plans that assumption settles are not run (default: the scenario's optimise block, "
                   "else off)")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="results folder (default results/SCENARIO-optimise)")
@click.option("--lang", type=click.Choice(["en", "zh-CN"]), default="en", show_default=True,
              help="language of the table and the frontier chart")
def optimise(scenario: str, minimise: str | None, maximise: str | None, subject_to: tuple[str, ...],
             over: tuple[str, ...], trials: int | None, replications: int | None, seed: int | None,
             overrides: tuple[str, ...], workers: int, prune: bool | None, monotone: bool | None, out: Path | None,
             lang: str) -> None:
    """Find the cheapest plan that keeps the promises: search parameters of SCENARIO (a file or
    library name) with common random numbers, minimising a KPI subject to KPI>=VALUE promises.

    Writes plans.csv, plans.parquet, optimise.json, frontier.png and the best plan's run into
    --out; prints every plan tried. Exit status 0 with a best plan, 1 when no plan tried keeps
    every promise, 2 for a mistake in the request (naming the value)."""
    from scenarios.optimise import optimise as search, request_from, write_results
    from scenarios.runner import RunnerError
    from scenarios.spec import load_scenario
    from viewer.frontier import write_frontier

    loaded = load_scenario(scenario, overrides)
    request = request_from(loaded, minimise=minimise, maximise=maximise, subject_to=subject_to, over=over,
                           trials=trials, replications=replications, prune=prune, monotone=monotone)
    out = out or Path("results") / f"{loaded.scenario.name}-optimise"
    try:
        result = search(loaded, request, seed=seed, workers=workers, progress=sys.stderr.isatty())
    except RunnerError as exc:
        raise UserError(f"twin optimise: {exc}") from None
    write_results(result, out)
    document = result.as_dict()
    write_frontier(document, out / "frontier.png", lang)
    _print_plans(document, lang)
    click.echo(f"results: {out}/optimise.json, {out}/plans.csv, {out}/plans.parquet, {out}/frontier.png")
    if result.best is None:
        sys.exit(1)


def _print_plans(document: dict, lang: str) -> None:
    """Every plan tried as a table in ``lang``: values, objective, promised KPIs (mean and 95 %
    interval), kept or not and why not; then the best plan."""
    from rich.table import Table

    from twin.text import pick
    from viewer.frontier import axis_label

    zh = lang == "zh-CN"
    labels = document.get("labels") or {}
    req = document["request"]
    table = Table(title=("优化方案" if zh else "Plans tried") + f" ({document['sampler']}, "
                  + (f"每方案 {document['replications']} 次重复" if zh else
                     f"{document['replications']} replications per plan") + ")")
    table.add_column("#", justify="right")
    for r in req["over"]:
        table.add_column(axis_label(labels.get("params", {}).get(r["path"]), r["path"], lang), justify="right")
    obj = req["objective"]
    if not obj["name"].startswith("params."):
        table.add_column(axis_label(labels.get("objective"), obj["name"], lang), justify="right")
    for c in req["subject_to"]:
        table.add_column(f"{axis_label(labels.get('kpis', {}).get(c['kpi']), c['kpi'], lang)} {c['op']} "
                         f"{c['value']:g}", justify="right")
    table.add_column("满足承诺" if zh else "keeps promises")
    table.add_column("原因" if zh else "why not")

    def num(v: float) -> str:
        return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}"

    def cell(k: dict | None) -> str:
        if not k or k.get("mean") is None:
            return "—"
        lo, hi = k.get("ci95_low"), k.get("ci95_high")
        return f"{num(k['mean'])} [{num(lo)}, {num(hi)}]" if lo is not None and hi is not None else num(k["mean"])

    why = ({"straddles": "均值达标但区间跨越目标", "misses": "未达标", "no_value": "无数值", "refused": "模型不接受",
            "pruned_misses": "提前剪枝：区间完全未达标", "pruned_worse": "提前剪枝：劣于最佳可行方案",
            "assumed_misses": "按单调假设未运行：无法满足", "assumed_worse": "按单调假设未运行：不会更优"} if zh else
           {"straddles": "mean clears, interval straddles", "misses": "misses", "no_value": "no value",
            "refused": "refused by the model", "pruned_misses": "pruned: interval wholly on the bad side",
            "pruned_worse": "pruned: worse than the best feasible plan",
            "assumed_misses": "not run (monotone): cannot keep it", "assumed_worse": "not run (monotone): no better"})
    best = (document.get("best") or {}).get("plan")
    for p in sorted(document["plans"], key=lambda p: [p["values"][r["path"]] for r in req["over"]]):
        row = [f"{p['plan']}{' *' if p['plan'] == best else ''}"]
        row += [num(p["values"][r["path"]]) if isinstance(p["values"][r["path"]], float)
                else str(p["values"][r["path"]]) for r in req["over"]]
        if not obj["name"].startswith("params."):
            row.append(cell(p["kpis"].get(obj["name"])))
        row += [cell(p["kpis"].get(c["kpi"])) for c in req["subject_to"]]
        row.append(("是" if zh else "yes") if p["feasible"] else ("否" if zh else "no"))
        row.append("; ".join(f"{f['kpi']}: {why[f['why']]}" if f["kpi"] else why[f["why"]]
                             for f in p.get("failed", []))
                   + ((f"（{p['replications']} 次重复后）" if zh else f" (after {p['replications']} replications)")
                      if p.get("pruned") and p.get("replications") else ""))
        table.add_row(*row)
    console = _console()
    console.print(table)
    console.print(pick(document["message"], lang), markup=False, highlight=False)


# --- the run store ----------------------------------------------------------------------------

@cli.group("runs")
def runs_group() -> None:
    """The run store the web console lists (DATA_DIR/runs/)."""


@runs_group.command("import")
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="data directory of the run store [TWIN_DATA_DIR or twin-data]")
def runs_import(folders: tuple[Path, ...], data_dir: Path | None) -> None:
    """Add results folders written by `twin run --no-store` (or by an older twin) to the run store."""
    from api.runs import ResultsFolderError, record_results

    where = _data_dir(data_dir)
    failed = False
    for folder in folders:
        try:
            rec, stored = record_results(folder, where, created_by="twin runs import", ref=None)
        except ResultsFolderError as exc:
            failed = True
            click.echo(str(exc), err=True)
            continue
        click.echo(f"imported {folder} as run {rec.id} ({rec.scenario}, {rec.model}): {stored}")
    if failed:
        sys.exit(2)


# --- listings ---------------------------------------------------------------------------------

@cli.command("models")
def list_models() -> None:
    """List the simulation models and their KPIs."""
    from models import available_models, get_model

    for name in available_models():
        spec = get_model(name)
        click.echo(f"{name}: {spec.title}\n  KPIs: {', '.join(k.name for k in spec.kpis)}")


@cli.command("scenarios")
def list_scenarios() -> None:
    """List the scenario library."""
    from scenarios.spec import library_scenarios
    from twin.loader import read_yaml

    for path in library_scenarios():
        data = read_yaml(path)
        from scenarios.spec import scenario_text
        from twin.text import pick

        click.echo(f"{path.stem}: [{data.get('model')}] {pick(scenario_text(data.get('description')))}")


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``twin`` console script."""
    try:
        code = cli.main(args=argv, prog_name="twin", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except SpecError as exc:
        _console(stderr=True).print(str(exc), markup=False, highlight=False, soft_wrap=True)
        sys.exit(2)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
