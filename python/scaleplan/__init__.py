"""scaleplan: scaling-law fits and compute-optimal plans, from the same C++ libraries as the command line.

    import pandas as pd, scaleplan
    runs = pd.read_csv("runs.csv")                 # columns N, D (or C) and loss; other names: n=, d=, c=, loss=
    fit = scaleplan.fit(runs)                      # Chinchilla Approach 3, as `scaleplan fit --format json`
    fit.E, fit.alpha, fit.objective                # parameters as attributes
    fit.predict(N, D)                              # vectorised over numpy arrays
    fit.allocate(1e23)                             # compute-optimal N and D
    fit.save("fit.json")                           # read by `scaleplan plan --fit fit.json`

Errors are exceptions: InputError (bad runs or file), UsageError (bad argument), OutputError (a file not written)
and FitError (no usable optimum), all subclasses of scaleplan.Error, with the command line's messages.
"""

from __future__ import annotations

import inspect as _inspect
import json as _json
import os as _os
import tempfile as _tempfile
import warnings as _warnings
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as _np

from . import _core
from ._core import Error, FitError, InputError, Law, OutputError, Runs, UsageError

__all__ = [
    "Error", "InputError", "UsageError", "OutputError", "FitError", "Law", "Runs", "Fit", "fit", "load_fit", "load_runs",
    "bundled_runs", "published_laws", "published_law", "validate", "check", "plan", "sweep", "dictionary",
    "plan_moe", "plan_routed", "plan_sparse",
]

_DEFAULTS = _core.FIT_DEFAULTS
_TOOL_DEFAULTS = _core.TOOL_DEFAULTS
_CHECK_DEFAULTS = _core.CHECK_DEFAULTS
_PLAN_DEFAULTS = _core.PLAN_DEFAULTS
_DICTIONARY_DEFAULTS = _core.DICTIONARY_DEFAULTS
_SPARSE_PLAN_DEFAULTS = _core.SPARSE_PLAN_DEFAULTS


def _as_list(value: Union[None, str, Iterable[str]]) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _column_names(n: Optional[str], d: Optional[str], c: Optional[str], loss: Optional[str]) -> Tuple[str, ...]:
    """The columns to read: a name given explicitly, or "" (detection from the command line's aliases, which include
    the default names N, D and loss) for the defaults and None, so that the defaults read a table exactly as the
    command line does without --n-col, --d-col, --c-col and --loss-col."""

    def pick(value: Optional[str], default: Optional[str]) -> str:
        return "" if value is None or value == default else value

    return pick(n, "N"), pick(d, "D"), pick(c, None), pick(loss, "loss")


def load_runs(runs: Any = None, *, n: Optional[str] = "N", d: Optional[str] = "D", c: Optional[str] = None,
              loss: Optional[str] = "loss", filter: Union[None, str, Iterable[str]] = None,
              group_by: Union[None, str, Iterable[str]] = None, exclude_lines: Optional[str] = None,
              skip_bad_rows: bool = False, source: Optional[str] = None) -> Runs:
    """Reads training runs as the command line does.

    runs: a pandas DataFrame, a dict of equal-length arrays (column name -> values), a CSV path (read by the same
      reader as `scaleplan fit RUNS.csv`), a Runs object (returned as is), or None for the bundled Chinchilla runs
      (Besiroglu et al. 2024's 240). float64 and int64 columns are read in place, without a copy, and checked as the
      cells df.to_csv would write for them (NaN as 'nan'); other numeric dtypes are converted once; text and object
      columns are read as text.
    n, d, c, loss: the columns holding N (parameters), D (tokens), C (training FLOPs) and the final loss (nats per
      token); the command line's --n-col, --d-col, --c-col, --loss-col (a header name, or "#3" for the third
      column). The defaults (and None) detect each column from the aliases README.md lists (N, params, Model Size,
      ...), as the command line does without those options. With C and no D, D = C / (6 N).
    filter: "COLUMN OP VALUE" expressions (=, !=, <, <=, >, >=), all of which must hold (--filter).
    group_by: a column or list of columns; one fit per group (--group-by).
    exclude_lines: "12,40-45": rows on these lines are left out (--exclude-lines). A DataFrame's row i is line i + 2,
      as in the file df.to_csv(path, index=False) writes, which is also how error messages number rows.
    skip_bad_rows: leave out rows whose loss is missing or not finite (--skip-bad-rows).
    source: the name messages and the fit's data.source give the table ("<DataFrame>", "<dict>" by default).
    """
    if isinstance(runs, Runs):
        return runs
    filters = _as_list(filter)
    groups = _as_list(group_by)
    lines = exclude_lines or ""
    if runs is None:
        if skip_bad_rows:
            raise UsageError("skip_bad_rows applies to your runs, not the bundled ones")
        table = _core.bundled_runs(filters, groups, lines)
    elif isinstance(runs, (str, _os.PathLike)):
        table = _core.runs_from_csv(_os.fspath(runs), *_column_names(n, d, c, loss), filters, groups, lines,
                                    skip_bad_rows)
    else:
        names, arrays, default_source = _columns_of(runs)
        table = _core.runs_from_columns(source or default_source, names, arrays, *_column_names(n, d, c, loss),
                                        filters, groups, lines, skip_bad_rows)
    for warning in table.warnings:
        _warnings.warn(f"{table.source}: {warning}", stacklevel=3)
    return table


def _columns_of(runs: Any) -> Tuple[List[str], List[_np.ndarray], str]:
    if hasattr(runs, "columns") and hasattr(runs, "__getitem__") and hasattr(runs, "to_numpy"):  # pandas DataFrame
        names = [str(name) for name in runs.columns]
        arrays = [_np.asarray(runs[name].to_numpy()) for name in runs.columns]
        return names, arrays, "<DataFrame>"
    if isinstance(runs, dict):
        names = [str(name) for name in runs]
        arrays = [_np.asarray(values) for values in runs.values()]
        return names, arrays, "<dict>"
    raise UsageError("runs must be a pandas DataFrame, a dict of arrays, a CSV path or None, not "
                     f"{type(runs).__name__}")


def bundled_runs():
    """The bundled Chinchilla runs (Hoffmann et al. 2022 Figure 4 as Besiroglu et al. 2024 reconstruct them, their
    240-run selection) as a pandas DataFrame with columns N, D, C, loss and line (data/chinchilla_runs.csv's)."""
    import pandas as pd
    table = _core.bundled_runs([], [], "")
    return pd.DataFrame({"N": table.num_params, "D": table.num_tokens, "C": table.compute_flops,
                         "loss": table.loss_nats, "line": table.lines})


class Fit:
    """A fitted law. Attributes: the law's parameters (E, A, B, alpha, beta for chinchilla; N_c, D_c, alpha_N,
    alpha_D for kaplan; coeff_params, coeff_tokens for isoflop), objective, exponent_params (a in N_opt ~ C^a),
    exponent_tokens (b), usable, status, warnings, intervals ({name: (lower, upper)} with a bootstrap), search,
    residuals, data, allocations, and law (a scaleplan.Law, for chinchilla fits). to_dict() is
    `scaleplan fit --format json`."""

    def __init__(self, json_text: str, law: Optional[Law] = None, runs: Optional[Runs] = None):
        self._json_text = json_text
        self._dict = _json.loads(json_text)
        self.law = law
        self.runs = runs
        self.law_name: str = self._dict.get("law", "chinchilla")

    def __getattr__(self, name: str) -> Any:
        d = self.__dict__.get("_dict")
        if d is not None and name in d:
            return d[name]
        raise AttributeError(f"this {self.__dict__.get('law_name', '')} fit has no attribute '{name}'")

    @property
    def intervals(self) -> Dict[str, Tuple[float, float]]:
        return {k: (v[0], v[1]) for k, v in self._dict.get("intervals", {}).items()}

    @property
    def warnings(self) -> List[str]:
        return list(self._dict.get("warnings", []))

    @property
    def parameters(self) -> Dict[str, float]:
        names = {"chinchilla": ["E", "A", "B", "alpha", "beta"], "kaplan": ["N_c", "D_c", "alpha_N", "alpha_D"],
                 "isoflop": ["coeff_params", "exponent_params", "coeff_tokens", "exponent_tokens"]}
        return {k: self._dict[k] for k in names.get(self.law_name, []) if k in self._dict}

    def to_dict(self) -> Dict[str, Any]:
        """The fit as `scaleplan fit --format json` prints it (same keys, same numbers)."""
        return _json.loads(self._json_text)

    def to_json(self) -> str:
        """The fit's JSON text, byte for byte what `scaleplan fit --format json` prints (without the newline)."""
        return self._json_text

    def _require_law(self) -> Law:
        if self.law is None:
            raise UsageError(f"predict and allocate need a chinchilla fit, not law='{self.law_name}'")
        return self.law

    def predict(self, N, D):
        """The fitted loss E + A / N^alpha + B / D^beta, over numpy arrays (broadcast) or scalars."""
        law = self._require_law()
        n, d = _np.broadcast_arrays(_np.asarray(N, dtype=_np.float64), _np.asarray(D, dtype=_np.float64))
        out = law.predict(_np.ascontiguousarray(n), _np.ascontiguousarray(d))
        return float(out) if out.ndim == 0 else out

    def allocate(self, C):
        """The compute-optimal allocation of C FLOPs (C = 6 N D): a dict of compute_flops, num_params, num_tokens,
        tokens_per_param and loss; for an array of budgets, a pandas DataFrame with one row per budget."""
        law = self._require_law()
        if _np.ndim(C) == 0:
            return law.allocate(float(C))
        import pandas as pd
        return pd.DataFrame([law.allocate(float(c)) for c in _np.asarray(C, dtype=_np.float64).ravel()])

    def save(self, path: Union[str, _os.PathLike]) -> None:
        """Writes the fit in the command line's saved-fit format (`fit --out`), read by `scaleplan plan --fit`,
        plan(fit=...) and load_fit; atomically: a temporary file in the same folder, renamed over the target.
        OutputError names the target when it cannot be written (a missing folder, no permission, a full disk), as
        `fit --out` does; the target is then untouched and no temporary file is left."""
        if not self.usable:
            raise FitError(f"an unusable fit is not saved: {self.status}")
        path = _os.fspath(path)
        folder = _os.path.dirname(_os.path.abspath(path))
        temp = None
        try:
            fd, temp = _tempfile.mkstemp(dir=folder, prefix=".scaleplan-", suffix=".tmp")
            with _os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(self._json_text + "\n")
                f.flush()
                _os.fsync(f.fileno())
            # The usual permissions of a new file, as `fit --out` gives it (mkstemp creates it 0600).
            mask = _os.umask(0)
            _os.umask(mask)
            _os.chmod(temp, 0o666 & ~mask)
            _os.replace(temp, path)
        except OSError as error:
            self._remove_temp(temp)
            raise OutputError(f"cannot write '{path}' ({error.strerror or error})") from None
        except BaseException:
            self._remove_temp(temp)
            raise

    @staticmethod
    def _remove_temp(temp: Optional[str]) -> None:
        if temp is not None and _os.path.exists(temp):
            _os.unlink(temp)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v:.6g}" for k, v in self.parameters.items())
        return f"<scaleplan.Fit {self.law_name}: {params}, objective={self._dict.get('objective', float('nan')):.10g}" \
               f", usable={self._dict.get('usable')}>"


def fit(runs: Any = None, law: str = "chinchilla", *, n: Optional[str] = "N", d: Optional[str] = "D",
        c: Optional[str] = None, loss: Optional[str] = "loss", bootstrap: int = 0, seed: int = _DEFAULTS["seed"],
        ci: float = _DEFAULTS["ci"], grid: Optional[str] = None, starts: int = _DEFAULTS["starts"],
        exhaustive: bool = _DEFAULTS["exhaustive"], threads: int = _DEFAULTS["threads"],
        delta: float = _DEFAULTS["delta"], filter: Union[None, str, Iterable[str]] = None,
        group_by: Union[None, str, Iterable[str]] = None, exclude_lines: Optional[str] = None,
        skip_bad_rows: bool = False, compute: Union[None, float, Iterable[float]] = None,
        budget_tolerance: float = _DEFAULTS["budget_tolerance"], min_budget_runs: int = _DEFAULTS["min_budget_runs"],
        keep_extrapolated_minima: bool = False, progress: Optional[Callable[[str, int, int], None]] = None,
        source: Optional[str] = None):
    """Fits a scaling law to training runs: `scaleplan fit` in-process.

    runs: a pandas DataFrame, a dict of arrays, a CSV path or None (the bundled Chinchilla runs); see load_runs for
      n, d, c, loss, filter, group_by, exclude_lines, skip_bad_rows and source.
    law: "chinchilla" (Hoffmann et al. 2022 Approach 3: L = E + A/N^alpha + B/D^beta, Huber delta 1e-3 on log loss,
      L-BFGS from the best-screened points of a 4,500-point grid), "kaplan" (Kaplan et al. 2020's joint law) or
      "isoflop" (Approach 2: a parabola per budget, then N_opt ~ C^a).
    bootstrap: 0, or the number of resamples for percentile intervals (at least 10); seed and ci as --seed, --ci.
    grid: start-grid overrides, "alpha=0:2:0.25,e=-1:1:0.5" (--grid); starts, exhaustive, threads, delta: the
      multi-start search (--starts, --exhaustive, --threads (0 = all cores; results identical for any count),
      --delta). compute: budget(s) at which the result lists the allocation (--compute; default 5.76e23).
    budget_tolerance, min_budget_runs, keep_extrapolated_minima: isoflop's options of the same names.
    progress: called as progress(stage, done, total) while the fit ("fit") and bootstrap ("bootstrap") run.

    The GIL is released while the library fits, so other Python threads run meanwhile.
    Returns a Fit; with group_by, a dict {group values (a tuple): Fit}. Raises InputError for bad runs, UsageError for
    a bad argument and FitError (its .fit the unusable result) when the fit reaches no usable optimum.
    """
    table = load_runs(runs, n=n, d=d, c=c, loss=loss, filter=filter, group_by=group_by, exclude_lines=exclude_lines,
                      skip_bad_rows=skip_bad_rows, source=source)
    if compute is None:
        budgets = []  # the library's default budget, without extrapolation warnings (as without --compute)
    else:
        budgets = [float(x) for x in _np.atleast_1d(_np.asarray(compute, dtype=_np.float64))]
    args = (law, delta, grid or "", starts, exhaustive, threads, bootstrap, seed, ci, budgets, budget_tolerance,
            min_budget_runs, keep_extrapolated_minima, progress)
    if table.group_columns:
        fits = {}
        for part in table.split():
            fits[tuple(part.group_values[0])] = _fit_one(part, args)
        return fits
    return _fit_one(table, args)


def _fit_one(table: Runs, args: tuple) -> Fit:
    outcome = _core.fit(table, *args)
    result = Fit(outcome.json, outcome.law, table)
    if not outcome.usable:
        error = FitError(f"the {outcome.law_name} fit is not usable: {outcome.status}")
        error.fit = result
        raise error
    return result


def load_fit(path: Union[str, _os.PathLike]) -> Fit:
    """Reads a saved fit (`scaleplan fit --out`, Fit.save) with the reader `scaleplan plan --fit` uses: InputError
    names the file and key for a malformed file, an unusable law or a newer schema."""
    law, text = _core.read_saved_fit(_os.fspath(path))
    return Fit(text.rstrip("\n"), law)


def published_laws() -> Dict[str, Tuple[Law, str]]:
    """The published Chinchilla laws by name (hoffmann, hoffmann-unrounded, epoch): {name: (Law, description)}."""
    return dict(_core.PUBLISHED_LAWS)


def published_law(name: str) -> Law:
    """A published law by name (case-insensitive), as `plan --law NAME`."""
    for key, (law, _) in _core.PUBLISHED_LAWS.items():
        if key.lower() == name.lower():
            return law
    raise UsageError(f"no published law '{name}'; known: {', '.join(_core.PUBLISHED_LAWS)}")


def validate(runs: Any = None, *, law: str = "chinchilla", holdout_above: Optional[float] = None,
             leave_one_budget_out: bool = False, budget_tolerance: Optional[float] = None,
             min_budget_runs: Optional[int] = None, grid: Optional[str] = None, starts: int = _DEFAULTS["starts"],
             exhaustive: bool = _DEFAULTS["exhaustive"], threads: int = _DEFAULTS["threads"],
             delta: float = _DEFAULTS["delta"], keep_extrapolated_minima: bool = False, u_col: Optional[str] = None,
             sparsity_col: Optional[str] = None, n_is_dense: bool = False, tokens_per_step: Optional[float] = None,
             batch_col: Optional[str] = None, lr_col: Optional[str] = None, seq_len: Optional[int] = None,
             near_optimal: Optional[float] = None, progress: Optional[Callable[[str, int, int], None]] = None,
             **runs_options) -> Dict[str, Any]:
    """How well a law fitted on some runs predicts the runs it did not see: `scaleplan validate --law LAW`.

    Give one of holdout_above (fit on the runs with C <= this many FLOPs, predict those above) and
    leave_one_budget_out=True (each compute budget with at least min_budget_runs runs held out in turn; runs within
    budget_tolerance of each other's compute form one budget). Returns the dict `validate --format json` prints for
    the same runs and options (the same keys and numbers): for a law that predicts each run's loss, folds with the
    held-out log-space RMSE, bias and maximum error, the extrapolation factor and, for leave-one-budget-out, the
    pooled statistics; for isoflop and hyperparams, each held-out budget's N_opt and minimum loss, or optimal batch
    and learning rate.

    law: any law `validate --law` takes (scaleplan._core.VALIDATION_LAWS):
      "chinchilla" (the default), "kaplan" and "isoflop" read the Chinchilla runs table: runs and runs_options (n, d,
      c, loss, filter, group_by, exclude_lines, skip_bad_rows, source) as for fit().
      "data-constrained", "sparse", "moe", "dictionary", "routing" and "hyperparams" read their runs with the law's
      own reader, as check() does for goldens of these laws: runs is a CSV path, or None for the law's bundled runs
      (data-constrained: Muennighoff et al.'s; sparse: Frantar et al.'s T5 runs; routing: Clark et al.'s); the
      runs_options n, d, c, loss, filter, group_by, exclude_lines and skip_bad_rows apply as the command line's
      --n-col ... options do.
      "frantar2023-t5": the sparse law fitted to the bundled T5 runs and the published one, each predicting the
      notebook's held-out run; no runs and no mode. Raises FitError when that fit is not usable.
    budget_tolerance, min_budget_runs: None for the law's defaults (min_budget_runs 7; isoflop 5, hyperparams 4).
    keep_extrapolated_minima: isoflop's option. u_col (data-constrained), sparsity_col, n_is_dense, tokens_per_step
    (sparse), batch_col, lr_col, seq_len, near_optimal (hyperparams): the command line's options of the same names.
    grid, starts, exhaustive, threads, delta: the fits' multi-start search, as for fit(). progress: called as
    progress("validate", done, total) per fold while leave-one-budget-out runs.

    group_by (a column or list of columns, among runs_options; not for hyperparams and frantar2023-t5): one validation
    per group, each exactly as validate() of that group alone; returns the dict `validate --group-by COL --format
    json` prints: source, group_by, law, mode and groups, each group's {"group": {column: value}, "num_runs", ...its
    validation...}, or "usable": False and "status" (why) for a group that could not be validated.

    Raises UsageError for an unknown law, a table where the law needs a CSV path, a missing or misplaced option
    (neither or both of holdout_above and leave_one_budget_out, an option of another law) and InputError for runs
    that cannot be read or validated (with group_by: when no group could be), with the command line's messages."""
    if law not in _core.VALIDATION_LAWS:
        laws = list(_core.VALIDATION_LAWS)
        raise UsageError(f"validate: law must be {', '.join(laws[:-1])} or {laws[-1]}, not '{law}'")
    table, path = None, ""
    if _core.validation_reads_own_runs(law):
        if runs is not None and not isinstance(runs, (str, _os.PathLike)):
            raise UsageError(f"validate: law='{law}' reads its runs with the {law} law's own reader: give a CSV path "
                             f"or None (its bundled runs), not {type(runs).__name__}")
        unknown = sorted(set(runs_options) - {"n", "d", "c", "loss", "filter", "group_by", "exclude_lines",
                                              "skip_bad_rows"})
        if unknown:
            raise UsageError(f"validate: law='{law}' takes no {', '.join(unknown)} (its runs are read from a file)")
        path = "" if runs is None else _os.fspath(runs)
    else:
        table = load_runs(runs, **runs_options)
        runs_options = {}
    columns = _column_names(runs_options.get("n", "N"), runs_options.get("d", "D"), runs_options.get("c"),
                            runs_options.get("loss", "loss"))
    text, failure = _core.validate(
        law, table, path, holdout_above, leave_one_budget_out, budget_tolerance, min_budget_runs, delta, grid or "",
        starts, exhaustive, threads, keep_extrapolated_minima, *columns, _as_list(runs_options.get("filter")),
        _as_list(runs_options.get("group_by")), runs_options.get("exclude_lines") or "",
        bool(runs_options.get("skip_bad_rows", False)), u_col or "", sparsity_col or "", n_is_dense, tokens_per_step,
        batch_col or "", lr_col or "", float(seq_len or 0), near_optimal, progress)
    if text is None:
        raise FitError(failure)
    return _json.loads(text)


def check(runs: Any = None, *, golden: Union[str, _os.PathLike], threads: int = _DEFAULTS["threads"],
          check_intervals: bool = False, rtol_params: float = _CHECK_DEFAULTS["rtol_params"],
          rtol_predictions: float = _CHECK_DEFAULTS["rtol_predictions"],
          rtol_intervals: float = _CHECK_DEFAULTS["rtol_intervals"], rtol: Optional[Dict[str, float]] = None,
          progress: Optional[Callable[[str, int, int], None]] = None, **runs_options) -> Dict[str, Any]:
    """Refits the runs with a golden file's options and compares every recorded quantity: `scaleplan check`.

    golden: a file written by `scaleplan fit --save-golden`. runs: as for fit(); None (the bundled runs) only when the
    golden was recorded from them. rtol_params, rtol_predictions, rtol_intervals: relative tolerances (--rtol-params,
    ...); rtol: {quantity or family: tolerance} overrides (--rtol NAME=X). Returns the dict `check --format json`
    prints; its "passed" is False when a quantity drifted (the command line's exit code 1). Raises FitError when the
    refit reaches no usable optimum.

    A golden of a law with a reader of its own (data-constrained, dictionary, sparse, moe, routing, hyperparams) is
    checked as the command line checks it: runs is a CSV path read by that law's reader with the options the golden
    recorded, or None for the law's bundled runs when the golden was recorded from them; such goldens hold no
    intervals and take no column or selection keywords."""
    golden = _os.fspath(golden)
    law, own_reader = _core.golden_law(golden)
    if own_reader:
        if runs is not None and not isinstance(runs, (str, _os.PathLike)):
            raise UsageError(f"a {law} golden is checked against a CSV path (read by the {law} law's own reader) or "
                             "None (its bundled runs)")
        if check_intervals:
            raise UsageError(f"check_intervals: {golden} has no intervals (a {law} golden never records them)")
        if runs_options:
            keywords = ", ".join(sorted(runs_options))
            raise UsageError(f"a {law} golden takes no column or selection keywords ({keywords})")
        if runs is None and not _core.golden_source(golden).startswith("<bundled"):
            raise UsageError(f"the golden was recorded from '{_core.golden_source(golden)}': name the runs to check")
        text, failure = _core.check_law_runs("" if runs is None else _os.fspath(runs), golden, threads, rtol_params,
                                             rtol_predictions, rtol_intervals, list((rtol or {}).items()))
        if text is None:
            raise FitError(failure)
        return _json.loads(text)
    if runs is None and _core.golden_source(golden) != _core.BUNDLED_CHINCHILLA_LABEL:
        raise UsageError(f"the golden was recorded from '{_core.golden_source(golden)}': name the runs to check")
    table = load_runs(runs, **runs_options)
    text, failure = _core.check(table, golden, threads, check_intervals, rtol_params, rtol_predictions,
                                rtol_intervals, list((rtol or {}).items()), progress)
    if text is None:
        raise FitError(failure)
    return _json.loads(text)


def _numbers(value) -> List[float]:
    if value is None:
        return []
    return [float(x) for x in _np.atleast_1d(_np.asarray(value, dtype=_np.float64))]


# The cluster stage's keyword arguments of plan() and sweep(): the command line's option names, dashes as underscores
# (the shape options are the library's list, _core.SHAPE_OPTIONS).
_SHAPE_OPTIONS = tuple(name.replace("-", "_") for name in _core.SHAPE_OPTIONS)
_CLUSTER_OPTIONS = ("arch", "precision", "global_batch_tokens", "layout", "hardware", "peak_flops", "memory_bytes",
                    "intra_node_bandwidth", "inter_node_bandwidth", "devices_per_node", *_SHAPE_OPTIONS, "ffn_kind",
                    "profile", "inference_mfu", "inference_price_per_hour", "hyperparams")


def _plans(compute=None, params=None, target_loss=None, tokens=None, fit=None, law=None, unique_tokens=None,
           inference_tokens=None, accelerator=None, count=_PLAN_DEFAULTS["count"], mfu=None,
           price_per_hour=_PLAN_DEFAULTS["price_per_hour"], max_days=_PLAN_DEFAULTS["max_days"], recompute=None,
           shape=False, bootstrap=0, seed=_PLAN_DEFAULTS["seed"], ci=None, progress=None,
           **cluster) -> List[Dict[str, Any]]:
    unknown = sorted(set(cluster) - set(_CLUSTER_OPTIONS))
    if unknown:
        raise UsageError(f"plan: unknown option(s) {', '.join(unknown)}")
    fit_text, fit_source = "", ""
    if isinstance(fit, Fit):
        fit_text, fit_source = fit.to_json(), "<Fit>"
    elif fit is not None:
        fit_source = _os.fspath(fit)
        fit_text = _core.read_file(fit_source)
    for key in ("hardware", "profile", "hyperparams"):
        if isinstance(cluster.get(key), _os.PathLike):
            cluster[key] = _os.fspath(cluster[key])
    rows = _core.plan(_numbers(compute), _numbers(params), _numbers(target_loss), float(tokens or 0), fit_text,
                      fit_source, law or "", float(unique_tokens or 0), float(inference_tokens or 0),
                      accelerator or "", count, mfu, float(price_per_hour), float(max_days), recompute or "",
                      bool(shape), int(bootstrap), int(seed), ci, cluster, progress)
    return [_json.loads(row) for row in rows]


def plan(compute: Union[None, float, Iterable[float]] = None, *, params: Union[None, float, Iterable[float]] = None,
         target_loss: Union[None, float, Iterable[float]] = None, tokens: Optional[float] = None,
         fit: Union[None, "Fit", str, _os.PathLike] = None, law: Optional[str] = None,
         unique_tokens: Optional[float] = None, inference_tokens: Optional[float] = None,
         accelerator: Optional[str] = None, count: int = _PLAN_DEFAULTS["count"], mfu: Optional[float] = None,
         price_per_hour: float = _PLAN_DEFAULTS["price_per_hour"], max_days: float = _PLAN_DEFAULTS["max_days"],
         recompute: Optional[str] = None, shape: bool = False, bootstrap: int = 0, seed: int = _PLAN_DEFAULTS["seed"],
         ci: Optional[float] = None, arch: Optional[str] = None, precision: Optional[str] = None,
         global_batch_tokens: Optional[float] = None, layout: Optional[str] = None,
         hardware: Union[None, str, _os.PathLike] = None, peak_flops: Optional[float] = None,
         memory_bytes: Optional[float] = None, intra_node_bandwidth: Optional[float] = None,
         inter_node_bandwidth: Optional[float] = None, devices_per_node: Optional[int] = None,
         layers: Optional[int] = None, d_model: Optional[int] = None, heads: Optional[int] = None,
         kv_heads: Optional[int] = None, head_dim: Optional[int] = None, ffn: Optional[int] = None,
         vocab: Optional[int] = None, seq_len: Optional[int] = None, experts: Optional[int] = None,
         active_experts: Optional[int] = None, shared_experts: Optional[int] = None, expert_ffn: Optional[int] = None,
         dense_layers: Optional[int] = None, q_lora_rank: Optional[int] = None, kv_lora_rank: Optional[int] = None,
         qk_nope_head_dim: Optional[int] = None, qk_rope_head_dim: Optional[int] = None,
         v_head_dim: Optional[int] = None, ffn_kind: Optional[str] = None,
         profile: Union[None, str, _os.PathLike] = None,
         inference_mfu: float = _PLAN_DEFAULTS["inference_mfu"],
         inference_price_per_hour: float = _PLAN_DEFAULTS["inference_price_per_hour"],
         hyperparams: Union[None, str, _os.PathLike] = None,
         progress: Optional[Callable[[str, int, int], None]] = None):
    """A training plan: `scaleplan plan --format json` in-process (core/plan.h MakePlan, the same pipeline).

    Every keyword is the command line's option of the same name, dashes written as underscores (--d-model is
    d_model); None (the default for most) is an option not given, and the other defaults are the command line's.

    What to plan (as the command line): compute (FLOPs; default 5.76e23) for the compute-optimal N and D; params for
    the compute-optimal tokens of that size (with compute: that size on that budget; with tokens: that many tokens);
    target_loss for the least compute that reaches it. Each may be a list. An architecture (arch, or a model from
    layers, d_model and heads) sets N itself: give tokens (or compute), not params.
    The law: fit (a Fit, or a saved-fit path), law (a published law: hoffmann, hoffmann-unrounded, epoch), or neither
    for the Approach-3 fit of the bundled runs; bootstrap (with seed, ci) resamples the bundled runs for intervals.
    A moe fit or law="krajewski2024" is planned by plan_moe(compute), and a routing fit or law="clark2022" by
    plan_routed(params, experts), as the command line's plan hands them over; those take no other keyword. A
    sparse-weight fit or law="frantar2023-t5" plans at a sparsity, which plan() has no keyword for: it is refused,
    naming plan_sparse(compute, sparsity=S, fit=...).
    unique_tokens: at most this many unique tokens (Muennighoff et al.); inference_tokens: lifetime inference tokens
    (Sardana et al.), served at inference_mfu (0 = mfu) and inference_price_per_hour (0 = the training price).
    hyperparams: the batch and learning-rate law, "deepseek" (DeepSeek LLM 2024; the default), "steplaw" (Li et al.
    2025) or a hyper-parameter fit's file ('fit --law hyperparams --out').

    The cluster: accelerator (a catalogue name such as "H100-SXM"), hardware (a catalogue file in
    data/hardware.json's schema, which then names the devices), profile (a measured profile, 'scaleplan probe --out':
    its peak replaces the catalogue's when it measured that device), count, price_per_hour, max_days, recompute
    ("auto", "none", "selective", "full"), shape (also propose practical shapes for N). With mfu the time is taken at
    that MFU; without it, on a device with interconnect figures, the layout search picks tensor, pipeline, context,
    data and expert parallelism: precision ("bf16", the default, or "fp8"), global_batch_tokens (default: the
    hyper-parameter law's batch), layout (fixed fields, the rest searched: "tp=8,pp=16,dp=128"), and the device's
    figures replaced by peak_flops (FLOP/s), memory_bytes, intra_node_bandwidth and inter_node_bandwidth (bytes/s per
    device, one direction) and devices_per_node.
    The model the search lays out: arch (a published architecture: gpt3-175b, chinchilla-70b, llama3-8b, llama3-70b,
    llama3-405b, mixtral-8x7b, deepseek-v3, megatron-1t) with any of the shape options replacing its sizes, or a
    model from scratch from layers, d_model and heads (SwiGLU with d_ff = 8/3 d_model in multiples of 256, a
    32,000-token vocabulary and 4,096-token sequences, unless ffn, ffn_kind ("glu" or "mlp"), vocab or seq_len say
    otherwise); without either, a practical shape proposed for N, to which seq_len and the other sizes apply. The
    shape options: layers, d_model, heads, kv_heads, head_dim, ffn, vocab, seq_len, experts, active_experts,
    shared_experts, expert_ffn, dense_layers and the MLA ranks q_lora_rank, kv_lora_rank, qk_nope_head_dim,
    qk_rope_head_dim, v_head_dim (whole numbers).

    Returns the plan's dict (the JSON row the command prints) for one question, else a list of them. Raises
    UsageError for a bad or conflicting argument (an unknown arch or accelerator, a layout that does not divide the
    model) and InputError for an unreadable hardware, profile or hyperparams file, with the command line's
    messages."""
    options = dict(locals())
    handed_over = _plan_of_sparse_law(options)
    if handed_over is not None:
        return handed_over
    rows = _plans(**options)
    return rows[0] if len(rows) == 1 else rows


# The sparse planners plan() hands over to, as the command line's `plan` does for a moe or routing fit (--fit) or
# published law (--law): the planner, the keywords it takes from plan(), and the published law's name.
_SPARSE_PLANNERS = {"moe": ("plan_moe", ("compute",), "krajewski2024"),
                    "routing": ("plan_routed", ("params", "experts"), "clark2022"),
                    "sparse": ("plan_sparse", ("compute",), "frantar2023-t5")}


def _is_default(value: Any, default: Any) -> bool:
    return value is default or (type(value) is type(default) and isinstance(value, (int, float, str, bool))
                                and value == default)


def _plan_of_sparse_law(options: Dict[str, Any]) -> Optional[Dict[str, Any]]:
    """plan()'s hand-over to plan_moe or plan_routed for a moe or routing fit, or for law='krajewski2024' or
    'clark2022'; a sparse-weight fit or law='frantar2023-t5' is refused, naming plan_sparse (it plans at a sparsity,
    which plan() has no keyword for); None for any other law."""
    fit, law_name = options["fit"], options["law"]
    path = None if fit is None or isinstance(fit, Fit) else _os.fspath(fit)
    kind = _core.saved_fit_law(path) if path is not None else None
    if kind not in _SPARSE_PLANNERS:
        kind = next((k for k, (_, _, name) in _SPARSE_PLANNERS.items() if law_name == name), None)
        if kind is None:
            return None
    planner, taken, published = _SPARSE_PLANNERS[kind]
    what = f"a {kind} fit" if path is not None else f"law='{published}'"
    if path is not None and law_name is not None:
        raise UsageError(f"plan: give either fit or law, not both ({path} is a {kind} fit)")
    if kind == "sparse":
        source = f", fit='{path}'" if path is not None else ""
        raise UsageError(f"plan: {what} plans at a sparsity, which plan() has no keyword for: "
                         f"scaleplan.plan_sparse(compute, sparsity=S{source}) plans it (or optimal_sparsity=True "
                         f"for the sparsity with the lowest loss)")
    defaults = {name: parameter.default for name, parameter in _inspect.signature(plan).parameters.items()}
    others = sorted(name for name, value in options.items()
                    if name not in (*taken, "fit", "law") and not _is_default(value, defaults[name]))
    if others:
        raise UsageError(f"plan: {what} is planned by scaleplan.{planner}({', '.join(taken)}"
                         f"{', fit=...' if path is not None else ''}), which takes no {', '.join(others)}")
    if kind == "moe":
        if options["compute"] is None or not isinstance(options["compute"], (int, float)):
            raise UsageError(f"plan: {what} needs one compute budget (FLOPs), as plan_moe(compute)")
        return plan_moe(options["compute"], fit=path)
    if options["params"] is None:
        raise UsageError(f"plan: {what} needs params, the dense (per-token) sizes N, as plan_routed(params, experts)")
    experts = options["experts"]
    return (plan_routed(options["params"], fit=path) if experts is None else
            plan_routed(options["params"], experts, fit=path))


def _saved_fit_path(fit: Union[None, str, _os.PathLike], function: str) -> str:
    if fit is None:
        return ""
    if not isinstance(fit, (str, _os.PathLike)):
        raise UsageError(f"{function}: fit is the path of a saved fit, not {type(fit).__name__}")
    return _os.fspath(fit)


def plan_moe(compute: float, *, fit: Union[None, str, _os.PathLike] = None, granularity: Optional[float] = None,
             expansion_rate: float = _SPARSE_PLAN_DEFAULTS["expansion_rate"]) -> Dict[str, Any]:
    """The compute-optimal fine-grained MoE at a budget (Krajewski et al. 2024): `scaleplan plan --law krajewski2024
    --compute C --format json`, or with fit `plan --fit MOE.json ...`, without an accelerator (core/sparse_laws.h
    PlanFineGrainedMoe, the same function).

    compute: the training FLOPs of the cost model. fit: a moe fit saved by `scaleplan fit --law moe --out FIT.json`
    (None: Krajewski et al.'s eq. 9 coefficients). granularity: a fixed G in [1, 256] (None: the optimal G).
    expansion_rate: E, the experts' total size over a dense FFN's. Returns the command's dict: law (krajewski2024 or
    the fit's path), compute_flops, num_params (total, non-embedding), num_active_params, num_tokens, granularity,
    loss, training_flops, expansion_rate, num_experts, d_model, num_blocks. Raises UsageError for a bad number or a
    fit of another law and InputError for a file that is not a usable moe fit."""
    fit_path = _saved_fit_path(fit, "plan_moe")
    return _json.loads(_core.plan_moe(float(compute), fit_path, granularity, float(expansion_rate)))


def plan_routed(params: Union[float, Iterable[float]], experts: Union[float, Iterable[float]] = (1, 8, 64, 512), *,
                fit: Union[None, str, _os.PathLike] = None,
                routers: Union[None, str, Iterable[str]] = None) -> Dict[str, Any]:
    """Routed models of dense (per-token) size N with E experts (Clark et al. 2022): `scaleplan plan --law clark2022
    --params N[,N] --experts E[,E] --format json`, or with fit `plan --fit ROUTING.json ...` (core/sparse_laws.h
    PlanRoutedModel and RoutingCutoffParams, the same functions).

    params: N, one or a list; experts: E >= 1, one or a list (the command's default 1, 8, 64, 512). fit: a routing fit
    saved by `scaleplan fit --law routing --out FIT.json` (None: Clark et al.'s Table 3, S-Base, RL-R and Hash).
    routers: the routers to plan, one or a list (None: every router of the law; --router). Returns the command's
    dict: law ("routing"), source (clark2022 or the fit's path), cutoffs ({router: N_cutoff, None when routing helps
    at every size}) and plans (per router, N and E: loss, dense_loss, saturated_experts, effective_params and
    effective_multiplier). Raises UsageError for a bad number, an unknown router or a fit of another law and
    InputError for a file that is not a usable routing fit."""
    fit_path = _saved_fit_path(fit, "plan_routed")
    return _json.loads(_core.plan_routed(_numbers(params), _numbers(experts), fit_path, _as_list(routers)))


def plan_sparse(compute: float, *, sparsity: Optional[float] = None, optimal_sparsity: bool = False,
                max_sparsity: float = _SPARSE_PLAN_DEFAULTS["max_sparsity"],
                sparse_method: str = _SPARSE_PLAN_DEFAULTS["sparse_method"],
                update_interval: float = _SPARSE_PLAN_DEFAULTS["update_interval"],
                update_end: float = _SPARSE_PLAN_DEFAULTS["update_end"],
                prune_begin: float = _SPARSE_PLAN_DEFAULTS["prune_begin"],
                prune_end: float = _SPARSE_PLAN_DEFAULTS["prune_end"],
                sparse_speedup: float = _SPARSE_PLAN_DEFAULTS["sparse_speedup"],
                fit: Union[None, str, _os.PathLike] = None) -> Dict[str, Any]:
    """The compute-optimal weight-sparse model at a budget (Frantar et al. 2023): `scaleplan plan --law frantar2023-t5
    --compute C (--sparsity S | --optimal-sparsity) --format json`, or with fit `plan --fit SPARSE.json ...`, without
    an accelerator (the command's --accelerator, --count, --max-days, --price-per-hour and --mfu time the plan on
    hardware; core/sparse_laws.h PlanSparseAtSparsity and PlanOptimalSparsity, the same functions).

    Every keyword is the command's option of the same name, dashes written as underscores, with its default.
    compute: the training FLOPs the method executes (ideal sparse kernels). Give one of sparsity (the fraction of zero
    weights, in [0, 1)) and optimal_sparsity=True (the sparsity in [0, max_sparsity] with the lowest loss).
    sparse_method: static, set, rigl, snfs or gmp, how the mask is trained, which sets the FLOPs (Evci et al. 2020);
    update_interval (rigl, set: steps between mask updates), update_end (rigl: the fraction of training with mask
    updates), prune_begin and prune_end (gmp: the fractions of training at which pruning begins and ends).
    sparse_speedup: the speed-up sparse steps achieve on the hardware (1 for unstructured sparsity on tensor cores);
    it scales dense_equivalent_flops, not the FLOPs counted. fit: a sparse fit saved by `scaleplan fit --law sparse
    --out FIT.json` (None: the notebook's T5 law, D = steps x 65,536 tokens).
    Returns the command's dict: sparsity, sparse_method, num_nonzero_params, num_params (zeros included), num_tokens,
    loss, training_flops, flops_fraction_of_dense, dense_equivalent_flops, law (frantar2023-t5 or the fit's path),
    compute_flops, optimal_sparsity, sparse_speedup, dense_loss, dense (the dense plan at the same budget) and warnings
    (extrapolation beyond the fitted runs). Raises UsageError for a bad number or method, both or neither of sparsity
    and optimal_sparsity, or a fit of another law, and InputError for a file that is not a usable sparse fit."""
    fit_path = _saved_fit_path(fit, "plan_sparse")
    return _json.loads(_core.plan_sparse(float(compute), fit_path, None if sparsity is None else float(sparsity),
                                         bool(optimal_sparsity), float(max_sparsity), sparse_method,
                                         float(update_interval), float(update_end), float(prune_begin),
                                         float(prune_end), float(sparse_speedup)))


def sweep(compute: Iterable[float], **plan_options):
    """Plans over a list of budgets as a pandas DataFrame, one row per plan (nested keys flattened with dots:
    "law.E", "hardware.days", ...). plan_options as for plan() (target_loss excepted)."""
    import pandas as pd
    budgets = _numbers(compute)
    if not budgets:
        raise UsageError("sweep needs at least one compute budget")
    if "compute" in plan_options or "target_loss" in plan_options:
        raise UsageError("sweep: give the budgets as its first argument; target_loss is plan()'s")
    for kind, (planner, _, published) in _SPARSE_PLANNERS.items():
        if plan_options.get("law") == published:
            raise UsageError(f"sweep: law='{published}' is planned by scaleplan.{planner}, one question at a time")
    rows = _plans(budgets, **plan_options)
    return pd.json_normalize(rows)


def dictionary(d_model: float, *, compute: Optional[float] = None, gpu_hours: Optional[float] = None,
               target_loss: Optional[float] = None, latents: Optional[float] = None, k: Optional[float] = None,
               k_range: Optional[Tuple[float, float]] = None, budget: str = _DICTIONARY_DEFAULTS["budget"],
               subject_params: Optional[float] = None,
               subject_layers_fraction: float = _DICTIONARY_DEFAULTS["subject_layers_fraction"],
               accelerator: str = _DICTIONARY_DEFAULTS["accelerator"], count: int = _DICTIONARY_DEFAULTS["count"],
               mfu: float = _DICTIONARY_DEFAULTS["mfu"], price: Optional[float] = None,
               batch_tokens: float = _DICTIONARY_DEFAULTS["batch_tokens"]) -> Dict[str, Any]:
    """A sparse-dictionary (TopK sparse autoencoder) plan: `scaleplan dictionary --format json` with the prior's laws
    (Gao et al. 2024 coefficients) on a catalogue device.

    d_model: the activation width. One goal: compute (FLOPs), gpu_hours, target_loss (normalised MSE), or latents (a
    fixed n, alone or with a budget); k fixes the active latents per token, else k is chosen in k_range (LO, HI).
    budget: "total" (the budget also pays for harvesting the activations, when subject_params is given) or
    "training". accelerator, count (0 = the fewest that hold it), mfu, price (USD per device-hour; None = the
    catalogue's), batch_tokens as the command line's options of the same names. Returns the plan's dict: n, k, tokens,
    FLOPs, memory, devices, days, cost, the dense kernels' costs under "dense", notes and warnings ("reachable" is
    False when no dictionary meets the goal)."""
    text = _core.dictionary(float(d_model), float(compute or 0), float(gpu_hours or 0), float(target_loss or 0),
                            float(latents or 0), float(k or 0), tuple(k_range) if k_range is not None else None,
                            budget, float(subject_params or 0), subject_layers_fraction, accelerator, count, mfu,
                            price, batch_tokens)
    return _json.loads(text)
