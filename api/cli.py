"""The ``twin`` command: the front door for people at a terminal.

``twin validate`` checks building and scenario files; ``twin building new|show|graph`` makes and
inspects buildings; ``twin run`` runs a scenario's replications (here, or on a Dask cluster with
``--scheduler``) and writes its results folder and report; ``twin demo`` runs the main job on the
embedded default. A mistake in a user's file prints ``file: field path: message`` lines and exits
with status 2, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from twin.errors import SpecError
from twin.graph import build_graph, to_node_link
from twin.loader import load_building, read_yaml, sample_names
from twin.summary import building_summary

__all__ = ["cli", "main"]

DEMO_SCENARIO = "tower-full-drill"
out_console = Console()
err_console = Console(stderr=True)


class UserError(click.ClickException):
    """A user's mistake: printed without a traceback, exit status 2."""

    exit_code = 2

    def show(self, file: Any = None) -> None:
        click.echo(self.format_message(), err=True)


def _spec_error(exc: SpecError) -> UserError:
    return UserError(str(exc))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="building-twin", prog_name="twin")
def cli() -> None:
    """Building Twin: a building's live equipment and its what-if simulations."""


# --- validate ---------------------------------------------------------------------------------

@cli.command()
@click.argument("files", nargs=-1, required=True)
def validate(files: tuple[str, ...]) -> None:
    """Check building and scenario files (or sample / library names); exit 2 if any is invalid."""
    from scenarios.spec import load_scenario, resolve_scenario_path

    failed = False
    for ref in files:
        try:
            path = Path(ref)
            if not path.exists() and ref in sample_names():
                kind = "building"
            elif not path.exists():
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
                sc = load_scenario(path)
                click.echo(f"OK {ref}: scenario {sc.scenario.name!r}: model {sc.model.name!r} on "
                           f"{sc.building.id!r}, {len(sc.points)} point(s) x {sc.scenario.replications} replications")
        except SpecError as exc:
            failed = True
            click.echo(str(exc), err=True)
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
    out_console.print(table)


@building.command("graph")
@click.argument("file")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="JSON file to write (networkx node-link format)")
def building_graph(file: str, out: Path) -> None:
    """Export a building's floor graph as node-link JSON."""
    g = build_graph(load_building(file))
    out.write_text(json.dumps(to_node_link(g), indent=1), encoding="utf-8")
    click.echo(f"wrote {out}: {g.number_of_nodes()} nodes, {g.number_of_edges()} edges")


# --- run --------------------------------------------------------------------------------------

def _fmt(value: float | None) -> str:
    if value is None:
        return "–"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    return f"{value:.3g}"


def print_kpi_table(summary: dict) -> None:
    """The KPI table of a run: mean, 95 % CI, p50, p95 per KPI (per sweep point)."""
    for point in summary["points"]:
        title = f"{summary['scenario']['name']} — {summary['model_title']}"
        if point["set"]:
            title += "  [" + ", ".join(f"{k}={v}" for k, v in point["set"].items()) + "]"
        table = Table(title=title)
        for col in ("KPI", "unit", "mean", "95 % CI", "p50", "p95", "n"):
            table.add_column(col, justify="left" if col in ("KPI", "unit") else "right")
        for name, k in point["kpis"].items():
            ci = f"{_fmt(k['ci95_low'])} – {_fmt(k['ci95_high'])}" if k["ci95_low"] is not None else "–"
            table.add_row(name, k["unit"], _fmt(k["mean"]), ci, _fmt(k["p50"]), _fmt(k["p95"]), str(k["n"]))
        out_console.print(table)


def _run(ref: str, replications: int | None, seed: int | None, overrides: tuple[str, ...], workers: int,
         out: Path | None, report: bool, scheduler: str | None = None) -> Path:
    from scenarios.runner import RunnerError, run_scenario
    from scenarios.spec import load_scenario

    loaded = load_scenario(ref, overrides)
    out = out or Path("results") / loaded.scenario.name
    try:
        result = run_scenario(loaded, replications=replications, seed=seed, workers=workers, out=out,
                              progress=sys.stderr.isatty(), scheduler=scheduler)
    except RunnerError as exc:
        raise UserError(f"twin run: {exc}") from None
    print_kpi_table(result.summary)
    click.echo(f"results: {out}/summary.json, {out}/records/")
    if report:
        from viewer.report import write_report

        click.echo(f"report:  {write_report(out)}")
    return out


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
def run(scenario: str, replications: int | None, seed: int | None, overrides: tuple[str, ...], workers: int,
        out: Path | None, scheduler: str | None, report: bool) -> None:
    """Run a scenario file (or library scenario name) and print its KPI table."""
    _run(scenario, replications, seed, overrides, workers, out, report, scheduler or None)


@cli.command()
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("results/demo"),
              show_default=True)
@click.option("--workers", "-w", type=click.IntRange(1, 64), default=2, show_default=True)
@click.option("--serve/--no-serve", default=True, show_default=True,
              help="then serve the live twin of the tower with the API and web console")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True)
@click.option("--duration", type=click.FloatRange(min=0, min_open=True), default=None, metavar="S",
              help="stop serving after S seconds (default: until Ctrl-C)")
@click.pass_context
def demo(ctx: click.Context, out: Path, workers: int, serve: bool, port: int, duration: float | None) -> None:
    """The main job on the embedded default: a full drill of the sample tower with its report, then
    the tower's live twin (embedded broker, simulated devices) with the API and the web console."""
    _run(DEMO_SCENARIO, None, None, (), workers, out, True)
    if serve:
        ctx.invoke(cli.commands["serve"], building="tower", port=port, duration=duration)


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

    for path in library_scenarios():
        data = read_yaml(path)
        click.echo(f"{path.stem}: [{data.get('model')}] {data.get('description', '')}")


def _register_front_doors() -> None:
    """Commands of the other front doors: the 3D viewer's and, when present, the live twin's."""
    from api.live_cli import devices, serve
    from api.token_cli import token
    from api.viewer_cli import register as register_viewer

    cli.add_command(serve)
    cli.add_command(devices)
    cli.add_command(token)
    register_viewer(cli)


_register_front_doors()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``twin`` console script."""
    try:
        code = cli.main(args=argv, prog_name="twin", standalone_mode=False)
        if isinstance(code, int) and code:
            sys.exit(code)
    except SpecError as exc:
        err_console.print(str(exc), markup=False, highlight=False, soft_wrap=True)
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
