"""The ``servicelens`` command: thin Typer commands that validate arguments and call plain functions."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from servicelens import paths
from servicelens.errors import ServicelensError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="How much of this job is customer service, and who are its customers?")
data_app = typer.Typer(no_args_is_help=True, help="Build the O*NET training tables or fetch the O*NET release.")
app.add_typer(data_app, name="data")

OnetDir = typer.Option(None, "--onet-dir", help=f"O*NET 29.0 text release [env {paths.ENV_ONET_DIR}; default data/raw/onet-29.0]")
RatingsDir = typer.Option(None, "--ratings-dir", help=f"O*NET rating CSVs [env {paths.ENV_RATINGS_DIR}; default data/raw/onet-ratings-2020]")
LabeledDir = typer.Option(None, "--labeled-dir", help=f"Generated training tables [env {paths.ENV_LABELED_DIR}; default data/labeled]")
PostingsDir = typer.Option(None, "--postings-dir", help=f"Dev postings [env {paths.ENV_POSTINGS_DIR}; default data/raw/postings-dev]")
PostingsMoreDir = typer.Option(None, "--postings-more-dir", help="More real postings from public job boards "
                               f"[env {paths.ENV_POSTINGS_MORE_DIR}; default data/raw/postings-more]")
ModelOpt = typer.Option(None, "--model", help=f"Model folder [env {paths.ENV_MODEL}; default: the active model]")
ModelsDir = typer.Option(None, "--models-dir", "--registry", help="Your model registry: where models you train go "
                         f"[env {paths.ENV_MODELS_DIR}; default: your user data folder]")


def _version(value: bool) -> None:
    if value:
        from servicelens import __version__
        from servicelens.model.registry import default_model
        from servicelens.model.store import model_version, read_meta

        typer.echo(f"servicelens {__version__} (default model {model_version(read_meta(default_model()))})")
        raise typer.Exit()


@app.callback()
def _main(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print the version and exit")) -> None:
    """How much of this job is customer service, and who are its customers?"""


@data_app.command("build")
def data_build(onet_dir: Optional[Path] = OnetDir, ratings_dir: Optional[Path] = RatingsDir,
               out: Optional[Path] = LabeledDir) -> None:
    """Build the occupation and sentence tables from O*NET into data/labeled/."""
    from servicelens.datasets.onet import build_training_data

    out_dir = paths.labeled_dir(out)
    manifest = build_training_data(paths.onet_dir(onet_dir), paths.ratings_dir(ratings_dir), out_dir)
    for name, info in manifest["tables"].items():
        typer.echo(f"{name}: {info['rows']} rows -> {out_dir / info['path']}")


@data_app.command("corpus")
def data_corpus(labeled_dir: Optional[Path] = LabeledDir, postings_dir: Optional[Path] = PostingsDir,
                postings_more_dir: Optional[Path] = PostingsMoreDir,
                as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON")) -> None:
    """The labelled corpus: counts by source, split, band, sector and group, the agreement between
    labelling passes, and the labelled scores by the sources' own tags."""
    import json

    from servicelens.datasets.corpus import CORPUS_FILE, read_corpus, read_sources
    from servicelens.evaluation.corpus_report import agreement, by_tag, format_corpus, summary
    from servicelens.evidence.groups import GroupRules

    path = paths.labeled_file(paths.labeled_dir(labeled_dir), CORPUS_FILE)
    if path is None:
        raise typer.BadParameter(f"no {CORPUS_FILE} in {paths.labeled_dir(labeled_dir)}", param_hint="--labeled-dir")
    labels = read_corpus(path, GroupRules().groups)
    report = {"summary": summary(labels), "agreement": agreement(labels)}
    try:
        report["by_tag"] = by_tag(labels, read_sources(paths.postings_dir(postings_dir),
                                                       paths.postings_more_dir(postings_more_dir)))
    except ServicelensError as exc:  # the tags need the sources; the rest does not
        typer.echo(f"servicelens: {exc}; the scores by the sources' own tags are left out", err=True)
    typer.echo(json.dumps(report, indent=1) if as_json else "\n".join(format_corpus(report)))


@data_app.command("fetch")
def data_fetch(onet_dir: Optional[Path] = OnetDir, ratings_dir: Optional[Path] = RatingsDir,
               url: str = typer.Option(None, help="Release zip URL (default: the official O*NET 29.0 text release)")) -> None:
    """Download the official O*NET 29.0 release and derive the rating files (needs internet)."""
    from servicelens.datasets.fetch import ONET_URL, fetch_onet

    written = fetch_onet(paths.onet_dir(onet_dir), paths.ratings_dir(ratings_dir), url or ONET_URL)
    typer.echo(f"O*NET release in {paths.onet_dir(onet_dir)}; {len(written)} rating files in {paths.ratings_dir(ratings_dir)}")


@app.command()
def train(labels: Optional[List[Path]] = typer.Option(None, "--labels", help="Your labels (CSV/TSV/XLSX/JSONL/Parquet); "
                                                        "repeat for several files. See data/labeled/labels-template.csv"),
          strict: bool = typer.Option(False, "--strict", help="Labels: treat warnings as errors"),
          check: bool = typer.Option(False, "--check", help="Labels: check the files and stop, training nothing"),
          label_weight: float = typer.Option(5.0, "--label-weight", help="Labels: how much one label counts beside "
                                                                          "one O*NET occupation"),
          force: bool = typer.Option(False, "--force", help="Labels: activate the new model even if the gate refuses it"),
          workers: Optional[int] = typer.Option(None, help="Labels: fits run at once (default: every core)"),
          labeled_dir: Optional[Path] = LabeledDir, postings_dir: Optional[Path] = PostingsDir,
          out: Optional[Path] = typer.Option(None, "--models-dir", "--out", help="Your model registry, where the new model "
                                             f"goes [env {paths.ENV_MODELS_DIR}; default: your user data folder]"),
          name: str = typer.Option("servicelens", help="Model name"),
          version: Optional[str] = typer.Option(None, help="Model version (default: the next free one)"),
          seed: int = typer.Option(13, help="Random seed"),
          evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate", help="Evaluate the new model too"),
          model: Optional[Path] = ModelOpt) -> None:
    """Train on the O*NET tables; with --labels, retrain the active model with your labels behind a gate."""
    from servicelens.datasets.onet import read_manifest, read_tables
    from servicelens.model.registry import active_model, resolve_model

    source = paths.labeled_dir(labeled_dir)
    registry = paths.models_dir(out)
    if labels:
        from servicelens.model.loaded import load_model
        from servicelens.training.retrain import RetrainOptions, retrain

        current = resolve_model(model) if model or os.environ.get(paths.ENV_MODEL) else active_model(registry)
        found = _checked_labels(labels, list(load_model(current).group_rules.groups), strict)
        if check:
            return
        options = RetrainOptions(label_weight=label_weight, force=force, name=name, version=version, seed=seed,
                                 n_jobs=workers)
        result = retrain(read_tables(source), read_manifest(source).get("inputs", {}), found.labels, found.hashes,
                         registry, current, source, options, log=lambda line: typer.echo(line, err=True))
        from servicelens.training.retrain import format_comparison

        typer.echo("\n".join(format_comparison(result.comparison)))
        typer.echo(f"comparison written to {result.folder / 'comparison.json'}")
        if not result.activated:
            typer.echo(f"{result.folder.name} is kept but not active; 'servicelens models use {result.folder.name}' "
                       "activates it", err=True)
            raise typer.Exit(3)
        return
    if check or strict or force:
        raise typer.BadParameter("--check, --strict and --force work on --labels FILE")
    from servicelens.training.train import train as run_train
    from servicelens.training.fit_groups import group_training

    group_labels, group_inputs = group_training(source)
    if not group_labels:
        typer.echo("no gold_groups.jsonl found: the model will weigh its customer groups by rule", err=True)
    folder = run_train(read_tables(source), read_manifest(source).get("inputs", {}), registry,
                       name=name, version=version, seed=seed, group_labels=group_labels, group_inputs=group_inputs)
    typer.echo(f"model written to {folder}; 'servicelens models use {folder.name}' makes it the active model")
    if evaluate:
        _evaluate(folder, source, postings_dir)


def _checked_labels(files: List[Path], groups: List[str], strict: bool):
    from servicelens.training.labels import read_labels
    from servicelens.errors import Errors, LabelError

    found = read_labels(files, groups)
    for issue in found.issues:
        typer.echo(str(issue), err=True)
    found.raise_for_errors(strict)
    if not found.labels:
        raise LabelError(Errors.E084.format(files=", ".join(map(str, files))))
    typer.echo(f"{len(found.labels)} labelled postings in {len(files)} file(s); "
               f"{len(found.issues)} warning(s)", err=True)
    return found


def _evaluate(folder: Path, labeled_dir: Path, postings_dir: Optional[Path]) -> None:
    from servicelens.evaluation.scores import format_metrics
    from servicelens.evaluation.run import evaluate_model

    metrics = evaluate_model(folder, labeled_dir, paths.postings_dir(postings_dir))
    typer.echo(format_metrics(metrics))
    typer.echo(f"metrics written to {folder / 'metrics.json'}")


@app.command()
def evaluate(model: Optional[Path] = ModelOpt, labeled_dir: Optional[Path] = LabeledDir,
             postings_dir: Optional[Path] = PostingsDir) -> None:
    """Held-out O*NET figures, baselines and dev-posting checks; writes metrics.json into the model folder."""
    from servicelens.model.registry import resolve_model

    _evaluate(resolve_model(model), paths.labeled_dir(labeled_dir), postings_dir)


@app.command()
def predict(files: List[str] = typer.Argument(..., help="Posting files (.txt .md .html .htm .json), or one table "
                                                         "(.csv .tsv .xlsx .parquet .jsonl, .csv.gz ...; - reads CSV from stdin) with -o"),
            output: Optional[str] = typer.Option(None, "-o", "--output", help="Batch: write the scored table here "
                                                 "(format from the extension; - writes CSV to stdout)"),
            as_json: bool = typer.Option(False, "--json", help="Posting files: one JSON object per posting, with every signal"),
            html: Optional[Path] = typer.Option(None, "--html", help="Posting files: also write an HTML page with the evidence highlighted"),
            title_col: Optional[str] = typer.Option(None, "--title-col", help="Batch: the title column (default: detected)"),
            text_col: Optional[List[str]] = typer.Option(None, "--text-col", help="Batch: a text column; repeat to join several (default: detected)"),
            id_col: Optional[str] = typer.Option(None, "--id-col", help="Batch: the id column named in messages (default: detected)"),
            encoding: Optional[str] = typer.Option(None, help="Batch: the text encoding of a CSV/TSV/JSONL input (default: detected)"),
            delimiter: Optional[str] = typer.Option(None, help="Batch: the CSV delimiter (default: sniffed)"),
            workers: Optional[int] = typer.Option(None, help="Batch: worker processes (default: every core)"),
            chunk_rows: Optional[int] = typer.Option(None, "--chunk-rows", help="Batch: rows scored and written at a time [default 1000]"),
            max_chars: Optional[int] = typer.Option(None, "--max-chars", help="Batch: longer texts are cut, with a note in 'error' [default 100000]"),
            row_seconds: Optional[float] = typer.Option(None, "--row-seconds", help="Batch: a row that takes longer gets an error "
                                                        "and the run goes on [default 10; 0: no limit]"),
            prefix: str = typer.Option("", help="Batch: prefix for the added column names (when the table has them already)"),
            resume: bool = typer.Option(False, "--resume", help="Batch: continue an interrupted run from its last finished chunk"),
            report: Optional[Path] = typer.Option(None, "--report", help="Batch: also write an HTML report of the scored table"),
            quiet: bool = typer.Option(False, "--quiet", "-q", help="Batch: no progress bar or summary"),
            engine: str = typer.Option("local", help="Batch: 'local' (worker processes here) or 'dask' (a Dask cluster)"),
            scheduler: Optional[str] = typer.Option(None, help="Batch, --engine dask: a distributed scheduler address "
                                                               "(default: a local cluster)"),
            model: Optional[Path] = ModelOpt) -> None:
    """Score posting files (one posting each), or batch-score a table with -o."""
    from servicelens.inputs.tables import STDIO, is_table

    if engine not in ("local", "dask"):
        raise typer.BadParameter(f"--engine must be 'local' or 'dask', not {engine!r}")
    if output is None and engine == "local" and not any(f == STDIO or is_table(f) for f in files):
        from servicelens.cli.predict_files import predict_files

        failures = predict_files([Path(f) for f in files], model, as_json, out=sys.stdout, err=sys.stderr, html_path=html)
        if failures:
            raise typer.Exit(1)
        return
    if len(files) != 1 or output is None:
        raise typer.BadParameter("batch scoring takes one table and -o OUTPUT (e.g. servicelens predict jobs.csv -o scored.csv)")
    if report is not None and output == "-":
        raise typer.BadParameter("--report needs -o FILE: a report is made from the written table")
    from servicelens.batch.local import BatchOptions, predict_table

    given = {k: v for k, v in {"chunk_rows": chunk_rows, "max_chars": max_chars}.items() if v is not None}
    if row_seconds is not None:
        given["row_seconds"] = row_seconds or None  # 0: no limit
    options = BatchOptions(title_col=title_col, text_cols=tuple(text_col or ()), id_col=id_col, encoding=encoding,
                           delimiter=delimiter, workers=workers, prefix=prefix, resume=resume, progress=not quiet,
                           **given)
    if engine == "dask":
        if resume or output == STDIO or files[0] == STDIO:
            raise typer.BadParameter("--engine dask reads and writes files or URLs; it has no --resume or stdin/stdout")
        from servicelens.batch.dask_engine import predict_dask

        summary = predict_dask(files[0], output, model, options, scheduler=scheduler, err=sys.stderr)
        if not quiet:
            for line in summary.lines():
                typer.echo(line, err=True)
        return
    try:
        summary = predict_table(files[0], output, model, options, err=sys.stderr)
    except KeyboardInterrupt:
        typer.echo("servicelens: interrupted; finished chunks are kept: run the same command with --resume "
                   "to continue", err=True)
        raise typer.Exit(130)
    if not quiet:
        for line in summary.lines():
            typer.echo(line, err=True)
    if report is not None:
        _report(Path(output), report, quiet)


models_app = typer.Typer(no_args_is_help=True, help="Models: list, activate, roll back, compare.")
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(registry: Optional[Path] = ModelsDir) -> None:
    """The shipped models and yours: version, created, parent, data and label hashes, key figures, which is active."""
    from servicelens.model.registry import active_model, describe, model_folders, shipped_models

    root = paths.models_dir(registry)
    active = active_model(root)
    rows = [describe(folder, active) for folder in shipped_models() + model_folders(root)]
    fig = lambda v, f: format(v, f) if isinstance(v, (int, float)) else "-"
    table = [["", "model", "where", "created", "parent", "data", "labels", "O*NET rho", "dev AUC", "groups F1", "status"]]
    table += [["*" if d["status"] == "active" else "", d["name"], d["where"], d["created"], d["parent"] or "-", d["data"],
               d["labels"] or "-", fig(d["onet_rho"], ".3f"), fig(d["dev_auc"], ".3f"), fig(d["groups_f1"], ".2f"),
               d["status"]] for d in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    typer.echo(f"your models: {root}", err=True)


@models_app.command("use")
def models_use(version: str = typer.Argument(..., help="A model: folder name or version, yours or shipped"),
               force: bool = typer.Option(False, "--force", help="Activate a model the retraining gate refused"),
               registry: Optional[Path] = ModelsDir) -> None:
    """Make a model the active one (after checking it loads)."""
    from servicelens.model.loaded import Model
    from servicelens.model.registry import activate, describe, find_model

    root = paths.models_dir(registry)
    folder = find_model(version, root)
    Model(folder)  # verifies its hashes and libraries before anyone depends on it
    if describe(folder, None)["refused"] and not force:
        typer.echo(f"servicelens: {folder.name} was refused by the retraining gate (see its comparison.json); "
                   "pass --force to activate it anyway", err=True)
        raise typer.Exit(3)
    activate(folder, "chosen with 'servicelens models use'" + (" --force" if force else ""), root)
    typer.echo(f"active model: {folder.name}")


@models_app.command("rollback")
def models_rollback(registry: Optional[Path] = ModelsDir) -> None:
    """Make the model that was active before the current one active again."""
    from servicelens.model.registry import rollback

    typer.echo(f"active model: {rollback(paths.models_dir(registry)).name}")


@models_app.command("diff")
def models_diff(a: str = typer.Argument(..., help="First model (folder name, version or path)"),
                b: str = typer.Argument(..., help="Second model"),
                on: str = typer.Option(..., "--on", help="A table to score with both (.csv .tsv .xlsx .parquet .jsonl)"),
                top: int = typer.Option(10, help="How many of the rows that moved most to list"),
                as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
                registry: Optional[Path] = ModelsDir) -> None:
    """Score a table with two versions: rows that changed band, the mean shift, the rows that moved most."""
    import json

    from servicelens.batch.drift import diff_models
    from servicelens.model.loaded import Model
    from servicelens.model.registry import find_model

    root = paths.models_dir(registry)
    drift = diff_models(Model(find_model(a, root)), Model(find_model(b, root)), on, top=top)
    typer.echo(json.dumps(drift.to_dict(), indent=1) if as_json else "\n".join(drift.lines()))


@app.command("report")
def report_command(scored: Path = typer.Argument(..., help="A table written by 'servicelens predict ... -o'"),
                   out: Path = typer.Option(..., "-o", "--output", help="The HTML page to write"),
                   prefix: str = typer.Option("", help="The prefix given to 'predict --prefix'")) -> None:
    """One self-contained HTML page about a scored table: scores, bands, groups, titles, errors."""
    _report(scored, out, False, prefix)


def _report(scored: Path, out: Path, quiet: bool, prefix: str = "") -> None:
    from servicelens.outputs.report import write_report

    write_report(scored, out, prefix=prefix)
    if not quiet:
        typer.echo(f"report written to {out}", err=True)


def main() -> None:
    try:
        app()
    except ServicelensError as exc:
        typer.echo(f"servicelens: error: {exc}", err=True)
        sys.exit(1)
    except Exception as exc:  # a bug of ours: one line for the user, the traceback when debugging
        if os.environ.get("SERVICELENS_DEBUG"):
            raise
        typer.echo(f"servicelens: error: internal error ({type(exc).__name__}); please report it, and run again "
                   "with SERVICELENS_DEBUG=1 for the details", err=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
