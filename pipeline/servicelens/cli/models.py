"""``servicelens models``: list, activate, roll back and compare models."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from servicelens import paths
from servicelens.cli.options import ModelsDir


models_app = typer.Typer(no_args_is_help=True, rich_markup_mode=None, help="Models: list, activate, roll back, compare.")


@models_app.command("list")
def models_list(registry: Optional[Path] = ModelsDir) -> None:
    """The shipped models and yours: version, created, parent, data and label hashes, the scale, the
    figures on the corpus' held-out postings (Spearman of the score, groups micro F1), which is active.

    Example:

      servicelens models list --models-dir ~/servicelens-models
    """
    from servicelens.model.registry import active_model, describe, model_folders, shipped_models

    root = paths.models_dir(registry)
    active = active_model(root)
    rows = [describe(folder, active) for folder in shipped_models() + model_folders(root)]
    fig = lambda v, f: format(v, f) if isinstance(v, (int, float)) else "-"
    table = [["", "model", "where", "created", "parent", "data", "labels", "scale", "held-out rho", "groups F1", "status"]]
    table += [["*" if d["status"] == "active" else "", d["name"], d["where"], d["created"], d["parent"] or "-", d["data"],
               d["labels"] or "-", d["scale"], fig(d["heldout_rho"], ".3f"), fig(d["groups_f1"], ".2f"), d["status"]]
              for d in rows]
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip())
    typer.echo(f"your models: {root}", err=True)


@models_app.command("use")
def models_use(version: str = typer.Argument(..., help="A model: folder name or version, yours or shipped"),
               force: bool = typer.Option(False, "--force", help="Activate a model the retraining gate refused"),
               registry: Optional[Path] = ModelsDir) -> None:
    """Make a model the active one (after checking it loads); one the retraining gate refused needs --force.

    Example:

      servicelens models use servicelens-0.2.1
    """
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
    """Make the model that was active before the current one active again.

    Example:

      servicelens models rollback
    """
    from servicelens.model.registry import rollback

    typer.echo(f"active model: {rollback(paths.models_dir(registry)).name}")


@models_app.command("diff")
def models_diff(a: str = typer.Argument(..., help="First model (folder name, version or path)"),
                b: str = typer.Argument(..., help="Second model"),
                on: str = typer.Option(..., "--on", help="A table to score with both (.csv .tsv .xlsx .parquet .jsonl)"),
                top: int = typer.Option(10, help="How many of the rows that moved most to list"),
                evidence: bool = typer.Option(False, "--evidence", help="Also compare the reading: units read into "
                                              "another section, phrases whose points changed sign (slower)"),
                tag: Optional[str] = typer.Option(None, "--tag", help="COLUMN=VALUE: the AUC of each version for the "
                                                  "rows whose COLUMN holds VALUE (tags split at | ; ,)"),
                as_json: bool = typer.Option(False, "--json", help="Print the report as JSON"),
                registry: Optional[Path] = ModelsDir) -> None:
    """Score a table with two versions: rows that changed band, the mean shift, the rows that moved most.

    Example:

      servicelens models diff servicelens-0.2.0 servicelens-0.2.1 --on jobs.csv

      servicelens models diff servicelens-0.1.7 servicelens-0.2.0 --on postings.csv --evidence --tag "job_functions=Customer Service"
    """
    import json

    from servicelens.batch.drift import diff_models
    from servicelens.model.loaded import Model
    from servicelens.model.registry import find_model

    root = paths.models_dir(registry)
    if tag is not None and "=" not in tag:
        raise typer.BadParameter("give the tag as COLUMN=VALUE", param_hint="--tag")
    # Comparing loads a model and activates nothing: any model folder will do, in the registry or not.
    first, second = (Model(find_model(name, root, anywhere=True)) for name in (a, b))
    drift = diff_models(first, second, on, top=top, evidence=evidence,
                        tag=tuple(tag.split("=", 1)) if tag else None)
    typer.echo(json.dumps(drift.to_dict(), indent=1) if as_json else "\n".join(drift.lines()))
