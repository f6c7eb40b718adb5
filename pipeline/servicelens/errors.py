"""User-facing error messages, in one place (after spaCy's ``errors.py``)."""
from __future__ import annotations


class ServicelensError(Exception):
    """An error the user can act on; the CLI prints its message without a traceback."""


class InputError(ServicelensError):
    """A posting file or table that cannot be read."""


class DataError(ServicelensError):
    """Training data that is missing or malformed."""


class LabelError(ServicelensError):
    """A label file that cannot be trained on."""


class ModelError(ServicelensError):
    """A model folder that is missing, incomplete, tampered with or incompatible."""


class Errors:
    E001 = "{path}: file not found"
    E002 = "{path}: file is empty"
    E003 = "{path}: looks like a binary file, not a text posting"
    E004 = "{path}: cannot decode the text (tried UTF-8, UTF-16 and cp1252)"
    E005 = "{path}: unsupported file type '{suffix}' (expected one of {expected})"
    E006 = "{path}: invalid JSON: {detail}"
    E007 = "{path}: JSON posting needs a 'description' (or 'text') field; found {fields}"
    E008 = "{path}: the posting has no text after cleaning"
    E009 = "{path}: is a folder; give posting files (servicelens predict {path}/*.txt) or one table with -o"
    E055 = ("{path}: standard input holds {found}, not {format} (pass --format csv, tsv or jsonl to say what it "
            "is; XLSX and Parquet must be files)")
    E010 = ("{path}: missing O*NET file '{name}'. Point --onet-dir / $SERVICELENS_ONET_DIR at the "
            "O*NET 29.0 text release, or run 'servicelens data fetch' to download it")
    E011 = ("{path}: missing O*NET rating file '{name}'. Point --ratings-dir / $SERVICELENS_RATINGS_DIR "
            "at the per-element ratings folder")
    E012 = "{path}: column '{column}' not found (columns: {columns})"
    E013 = "{path}: not found (set --postings-dir or $SERVICELENS_POSTINGS_DIR to the folder of the dev postings)"
    E020 = ("{path}: no model found. Choose one with --model PATH (or $SERVICELENS_MODEL), or point --models-dir "
            "(or $SERVICELENS_MODELS_DIR) at a registry of your models; 'servicelens models list' shows what there is")
    E021 = "{path}: model folder has no meta.json"
    E022 = ("{path}: sha256 of the model file does not match meta.json (expected {expected}, got {actual}); "
            "the file was modified or corrupted, refusing to load it")
    E023 = ("{path}: model was made with {lib} {made}, this environment has {have}; "
            "retrain it or install a compatible version")
    E024 = ("{path}: unsupported model format {found} (this servicelens reads format {expected}); models of "
            "servicelens 0.1 stored pickles, which are never loaded: retrain it with 'servicelens train'")
    E025 = "{path}: model file '{name}' is missing"
    E026 = ("{path}: not a model's arrays ({detail}); servicelens loads only plain arrays, never pickles or "
            "code, so this folder cannot be loaded")
    E030 = "download failed for {url}: {detail}"
    E040 = "{path}: not a table this command reads (expected one of {expected})"
    E041 = "{path}: cannot read it as {format}: {detail}"
    E042 = "{path}: unknown encoding '{encoding}'"
    E043 = "{path}: line {line}: {detail}"
    E044 = "{path}: XLSX and Parquet cannot be read from standard input; save the table to a file first"
    E045 = ("{path}: no title or text column found (columns: {columns}). Name them with --title-col and "
            "--text-col")
    E046 = "{path}: column '{column}' given with {option} is not in the table (columns: {columns})"
    E047 = ("{path}: the output columns {names} are already in the table; pass --prefix (e.g. --prefix new_) "
            "to name the new columns differently")
    E048 = "{path}: XLSX holds at most {limit:,} rows; this table has {rows:,}. Write .csv or .parquet instead"
    E049 = ("{path}: cannot resume: {detail} changed since the interrupted run. Run again without --resume "
            "to start over")
    E050 = "{path}: nothing to resume (no interrupted run of this output); run without --resume"
    E051 = "--resume needs an input file and an output file, not standard input or output"
    E052 = "{path}: output format {format} cannot be written to standard output; use -o FILE"
    E053 = "--{option} must be at least {minimum}, got {value}"
    E054 = ("{path}: not a scored table (no {names} column); score it first with "
            "'servicelens predict TABLE -o SCORED'")
    E060 = 'Dask is not installed: pip install "servicelens[dask]" to score on a Dask cluster'
    E061 = "{path}: Dask reads .csv, .tsv, .jsonl (also .gz), .parquet files and Parquet folders, or globs of them"
    E062 = "{path}: a Dask run writes a Parquet dataset (OUT.parquet) or CSV files (OUT.csv, a folder of parts)"
    E063 = "{path}: its columns differ from the first file's ({columns}); give files of one table"
    E070 = "the label files have {n} problem(s); nothing was trained:\n{issues}"
    E071 = ("{path}: no label column: a label file needs cs_score, cs_band or customer_groups "
            "(columns: {columns})")
    E072 = "column '{column}' is not used{hint}"
    E073 = "{field} {value} is not {expected}"
    E074 = "cs_band {value} is not a band{hint}; the bands are {names}"
    E075 = "customer group {value} is not in the taxonomy{hint}"
    E076 = "the same posting as {where}, with the same labels; it is used once"
    E077 = "the same posting as {where}, with different labels"
    E078 = "cs_score {score:g} is in band '{actual}', not '{band}'"
    E079 = "empty text: the row has no title or posting text"
    E080 = "no label: cs_score, cs_band and customer_groups are all empty"
    E081 = "{path}: no model '{name}' in the registry (models: {names})"
    E082 = "{path}: nothing to roll back to: no model was active before {name}"
    E084 = "no usable labels in {files}"
    E085 = "{path}: a model with this name is already in the registry; give another --version"
    E086 = "a customer_groups label needs a title: group labels teach which groups a title implies"
    E087 = "{path}: not a model of the registry {root}; copy it there first"
    E090 = ("{path}: line {line}: the quoted value that starts on this line is never closed, so lines {line}-{end} "
            "would be read as one row (a quote is missing, or the file is cut short); fix the file and run again")
    E091 = ("{path}: line {line}: the quotes of this row do not pair up (a closing quote is missing, or a quote "
            "inside a value is not doubled as \"\"), so lines {line}-{end} run together as one row; fix the file "
            "and run again")
    E092 = "{path}: line {line}: cannot read the file past this line ({detail}); it is cut short or damaged"
    E093 = "{path}: sheet row {line}: cannot read the worksheet ({detail}); the file is damaged"
    E094 = "{path}: row {row}: cannot read the table from this row on ({detail}); the file is damaged"
    E096 = ("{path}: the group confidence model was fitted on other features than this version of servicelens "
            "computes; use the servicelens version that made it")
    E099 = "{path}: line {line}: {field} is {value!r}; expected one of {expected}"
    E100 = "{path}: line {line}: {field} is {value!r}; expected {expected}"
    E101 = ("{path}: not found: the postings of source '{source}' are read from there (set --postings-dir / "
            "$SERVICELENS_POSTINGS_DIR and --postings-more-dir / $SERVICELENS_POSTINGS_MORE_DIR)")
    E102 = "{path}: line {line}: posting {key} is not in its source ({detail}); are these the sources the labels were made on?"
    E104 = "{path}: no column '{column}' to read the tag from; the columns are {columns}"
    E103 = "{path}: not found; training and evaluation read the labelled corpus from there (pass --labeled-dir)"


class Warnings:
    """Per-row problems, written to the ``error`` column of a batch (never posting text)."""

    W001 = "empty text"
    W002 = "the row has {found} fields where the header has {width}; the extra fields are kept in the last column"
    W003 = "undecodable bytes, shown as U+FFFD (pass --encoding with the file's encoding)"
    W004 = "invalid JSON: {detail}"
    W005 = "a JSON {kind}, not an object"
    W006 = "keys outside the table's columns were not written: {keys}"
    W007 = "no text after cleaning"
    W008 = "text cut to the first {limit:,} characters"
    W009 = "no description: scored on the title alone"
    W010 = "could not score the row ({kind})"
    W011 = "gave up on the row after {seconds:g} s (--row-seconds)"
    W012 = "lone surrogate escapes in a JSON string (such as \\ud800), shown as U+FFFD"
    W020 = "a quote inside a quoted value is not doubled: check this row's values"
    W021 = "the file ends in the middle of this row: its last value may be cut short"
    W022 = "formula without a saved value in {cells}: read as empty (save the file in a spreadsheet program)"
