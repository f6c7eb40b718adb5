"""The ``servicelens`` command: thin Typer commands that validate arguments and call plain functions."""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import List, Optional

import typer

from servicelens import paths
from servicelens.batch.chunks import CHUNK_ROWS, MAX_CHARS, ROW_SECONDS
from servicelens.cli.models import models_app
from servicelens.cli.options import LabeledDir, ModelOpt, OnetDir, PostingsDir, PostingsMoreDir, RatingsDir
from servicelens.errors import ServicelensError

# Plain (click) help: rich's panels cut long words ("CSV/TSV/XLSX/JSONL/Parque...") in a narrow terminal.
app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, rich_markup_mode=None,
                  help="How much of this job is customer service, and who are its customers?")
data_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None,
                       help="The data: the labelled corpus, the O*NET tables, the O*NET release.")
app.add_typer(data_app, name="data")
app.add_typer(models_app, name="models")


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


@data_app.command("corpus")
def data_corpus(labeled_dir: Optional[Path] = LabeledDir, postings_dir: Optional[Path] = PostingsDir,
                postings_more_dir: Optional[Path] = PostingsMoreDir,
                as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON")) -> None:
    """The labelled corpus: counts by source, split, band, sector and group, the agreement between
    labelling passes, and the labelled scores by the sources' own tags.

    Example:

      servicelens data corpus --postings-dir ../shared/data/postings-dev --postings-more-dir ../shared/data/postings-more
    """
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
    """Download the official O*NET 29.0 release and derive the rating files (needs internet).

    Example:

      servicelens data fetch --onet-dir data/raw/onet-29.0 --ratings-dir data/raw/onet-ratings-2020
    """
    from servicelens.datasets.fetch import ONET_URL, fetch_onet

    written = fetch_onet(paths.onet_dir(onet_dir), paths.ratings_dir(ratings_dir), url or ONET_URL)
    typer.echo(f"O*NET release in {paths.onet_dir(onet_dir)}; {len(written)} rating files in {paths.ratings_dir(ratings_dir)}")


def _corpus(labeled_dir, postings_dir, postings_more_dir, section_rules):
    """The corpus' splits as training data (the gold set's development half joins the first), and
    the inputs' hashes."""
    from servicelens.training.corpus_data import load_corpus

    return load_corpus(paths.labeled_dir(labeled_dir), paths.postings_dir(postings_dir),
                       paths.postings_more_dir(postings_more_dir), section_rules)


@app.command()
def train(labels: Optional[List[Path]] = typer.Option(None, "--labels", help="Your labels (CSV/TSV/XLSX/JSONL/Parquet); "
                                                        "repeat for several files. See data/labeled/labels-template.csv"),
          strict: bool = typer.Option(False, "--strict", help="Labels: treat warnings as errors"),
          check: bool = typer.Option(False, "--check", help="Labels: check the files and stop, training nothing"),
          label_weight: float = typer.Option(3.0, "--label-weight", help="Labels: how much one label counts beside "
                                                                          "one corpus posting"),
          force: bool = typer.Option(False, "--force", help="Labels: activate the new model even if the gate refuses it"),
          labeled_dir: Optional[Path] = LabeledDir, postings_dir: Optional[Path] = PostingsDir,
          postings_more_dir: Optional[Path] = PostingsMoreDir, onet_dir: Optional[Path] = OnetDir,
          ratings_dir: Optional[Path] = RatingsDir,
          out: Optional[Path] = typer.Option(None, "--models-dir", "--out", help="Your model registry, where the new model "
                                             f"goes [env {paths.ENV_MODELS_DIR}; default: your user data folder]"),
          name: str = typer.Option("servicelens", help="Model name"),
          version: Optional[str] = typer.Option(None, help="Model version (default: the next free one)"),
          seed: int = typer.Option(13, help="Random seed"),
          evaluate: bool = typer.Option(True, "--evaluate/--no-evaluate", help="Evaluate the new model too"),
          model: Optional[Path] = ModelOpt) -> None:
    """Train on the labelled corpus; with --labels, retrain the active model with your labels behind a gate.

    Examples:

      servicelens train --labels my-labels.csv --check   # check the file only

      servicelens train --labels my-labels.csv           # retrain; the gate decides whether it becomes active
    """
    from servicelens.model.registry import resolve_model
    from servicelens.training.train import onet_knowledge, section_rules

    registry = paths.models_dir(out)
    if labels:
        from servicelens.model.loaded import load_model
        from servicelens.training.retrain import RetrainOptions, format_comparison, retrain

        current = resolve_model(model, registry)
        current_model = load_model(current)
        found = _checked_labels(labels, list(current_model.group_rules.groups), strict)
        if check:
            return
        dev, heldout, inputs = _corpus(labeled_dir, postings_dir, postings_more_dir, current_model.section_rules)
        options = RetrainOptions(label_weight=label_weight, force=force, name=name, version=version, seed=seed)
        result = retrain(dev, heldout, onet_knowledge(paths.onet_dir(onet_dir), paths.ratings_dir(ratings_dir)), inputs,
                         found.labels, found.hashes, registry, current, options, log=lambda line: typer.echo(line, err=True))
        typer.echo("\n".join(format_comparison(result.comparison)))
        typer.echo(f"comparison written to {result.folder / 'comparison.json'}")
        if not result.activated:
            typer.echo(f"{result.folder.name} is kept but not active; 'servicelens models use {result.folder.name} --force' "
                       "activates it", err=True)
            raise typer.Exit(3)
        return
    if check or strict or force:
        raise typer.BadParameter("--check, --strict and --force work on --labels FILE")
    from servicelens.training.train import train as run_train

    dev, _, inputs = _corpus(labeled_dir, postings_dir, postings_more_dir, section_rules())
    typer.echo(f"training on {len(dev)} postings: the corpus' development split and the gold set's ...", err=True)
    folder = run_train(dev, onet_knowledge(paths.onet_dir(onet_dir), paths.ratings_dir(ratings_dir)), inputs, registry,
                       name=name, version=version, seed=seed)
    typer.echo(f"model written to {folder}; 'servicelens models use {folder.name}' makes it the active model")
    if evaluate:
        _evaluate(folder, labeled_dir, postings_dir, postings_more_dir, onet_dir, ratings_dir, True)


def _checked_labels(files: List[Path], groups: List[str], strict: bool):
    from servicelens.training.labels import read_labels
    from servicelens.errors import Errors, LabelError

    found = read_labels(files, groups)
    if not found.errors(strict):  # the errors are in the exception's message: printed once
        for issue in found.issues:
            typer.echo(str(issue), err=True)
    found.raise_for_errors(strict)
    if not found.labels:
        raise LabelError(Errors.E084.format(files=", ".join(map(str, files))))
    typer.echo(f"{len(found.labels)} labelled postings in {len(files)} file(s); "
               f"{len(found.issues)} warning(s)", err=True)
    return found


def _evaluate(folder: Path, labeled_dir, postings_dir, postings_more_dir, onet_dir, ratings_dir, loso: bool) -> None:
    from servicelens.evaluation.report import format_metrics
    from servicelens.evaluation.run import Sources, evaluate_model

    sources = Sources(paths.labeled_dir(labeled_dir), paths.postings_dir(postings_dir),
                      paths.postings_more_dir(postings_more_dir), paths.onet_dir(onet_dir), paths.ratings_dir(ratings_dir))
    metrics = evaluate_model(folder, sources, loso, log=lambda line: typer.echo(line, err=True))
    typer.echo("\n".join(format_metrics(metrics)))
    typer.echo(f"metrics written to {folder / 'metrics.json'}")


@app.command()
def evaluate(model: Optional[Path] = ModelOpt, labeled_dir: Optional[Path] = LabeledDir,
             postings_dir: Optional[Path] = PostingsDir, postings_more_dir: Optional[Path] = PostingsMoreDir,
             onet_dir: Optional[Path] = OnetDir, ratings_dir: Optional[Path] = RatingsDir,
             loso: bool = typer.Option(True, "--leave-one-source-out/--no-leave-one-source-out",
                                       help="Also refit the scorer once per source (a few minutes)")) -> None:
    """Measure a model on the corpus' held-out postings (score, parts, groups, by source, beside the
    baselines and servicelens-0.1.7), the gold set, the title match and the reading; writes
    metrics.json into the model folder.

    Example:

      servicelens evaluate --postings-dir ../shared/data/postings-dev --postings-more-dir ../shared/data/postings-more
    """
    from servicelens.model.registry import resolve_model

    _evaluate(resolve_model(model), labeled_dir, postings_dir, postings_more_dir, onet_dir, ratings_dir, loso)


@app.command()
def predict(files: List[str] = typer.Argument(..., help="Posting files (.txt .md .html .htm .json), or one table "
                                                         "(.csv .tsv .xlsx .parquet .jsonl, .csv.gz ...; - reads standard "
                                                         "input: JSON lines when it starts with '{', else CSV) with -o"),
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
            input_format: Optional[str] = typer.Option(None, "--format", help="Batch: the format of standard input "
                                                       "(csv, tsv or jsonl; default: JSON lines when it starts with '{', else CSV)"),
            chunk_rows: int = typer.Option(CHUNK_ROWS, "--chunk-rows", help="Batch: rows scored and written at a time"),
            max_chars: int = typer.Option(MAX_CHARS, "--max-chars", help="Batch: longer texts are cut, with a note in 'error'"),
            row_seconds: float = typer.Option(ROW_SECONDS, "--row-seconds", help="Batch: a row that takes longer gets an "
                                              "error and the run goes on (0: no limit)"),
            prefix: str = typer.Option("", help="Batch: prefix for the added column names (when the table has them already)"),
            resume: bool = typer.Option(False, "--resume", help="Batch: continue an interrupted run from its last finished chunk"),
            report: Optional[Path] = typer.Option(None, "--report", help="Batch: also write an HTML report of the scored table"),
            quiet: bool = typer.Option(False, "--quiet", "-q", help="Batch: no progress bar or summary"),
            engine: str = typer.Option("local", help="Batch: 'local' (worker processes here) or 'dask' (a Dask cluster)"),
            scheduler: Optional[str] = typer.Option(None, help="Batch, --engine dask: a distributed scheduler address "
                                                               "(default: a local cluster)"),
            model: Optional[Path] = ModelOpt) -> None:
    """Score posting files (one posting each), or batch-score a table with -o.

    The score says how much of the job is serving people, 0-100, in five bands from "no one is
    served directly" to "serving people is the job" (docs/scale.md); it is split into an external
    part (customers, patients, students, the public ...) and an internal part (colleagues, other
    teams). The output also names the customer groups and the O*NET occupation, kept apart.

    Examples:

      servicelens predict posting.txt --html evidence.html

      servicelens predict export.xlsx -o scored.csv --report report.html

      cat jobs.jsonl | servicelens predict - -o - > scored.csv
    """
    from servicelens.inputs.reader import STDIO, is_table

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

    if input_format is not None and input_format not in ("csv", "tsv", "jsonl"):
        raise typer.BadParameter(f"--format must be csv, tsv or jsonl, not {input_format!r}")
    if input_format is not None and files[0] != STDIO:
        raise typer.BadParameter("--format says what standard input holds; a file's name says its format")
    options = BatchOptions(title_col=title_col, text_cols=tuple(text_col or ()), id_col=id_col, encoding=encoding,
                           delimiter=delimiter, workers=workers, prefix=prefix, resume=resume, progress=not quiet,
                           chunk_rows=chunk_rows, max_chars=max_chars, row_seconds=row_seconds or None,
                           input_format=input_format)
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


@app.command("report")
def report_command(scored: Path = typer.Argument(..., help="A table written by 'servicelens predict ... -o'"),
                   out: Path = typer.Option(..., "-o", "--output", help="The HTML page to write"),
                   prefix: str = typer.Option("", help="The prefix given to 'predict --prefix'")) -> None:
    """One self-contained HTML page about a scored table: scores, bands, groups, titles, errors.

    Example:

      servicelens report scored.csv -o report.html
    """
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
