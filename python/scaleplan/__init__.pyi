"""Type stubs of the scaleplan package (the documentation is in scaleplan/__init__.py: help(scaleplan.fit))."""

import os
from typing import Any, Callable, Dict, Iterable, List, Optional, Tuple, Union

import numpy as np
import numpy.typing as npt

_Runs = Any  # a pandas DataFrame, a dict of arrays, a CSV path, a Runs object, or None (the bundled runs)
_Columns = Union[None, str, Iterable[str]]
_Progress = Optional[Callable[[str, int, int], None]]
_ArrayLike = Union[float, npt.ArrayLike]

class Error(Exception): ...
class InputError(Error): ...
class UsageError(Error): ...
class OutputError(Error): ...

class FitError(Error):
    fit: "Fit"

class Law:
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    exponent_params: float
    exponent_tokens: float
    def __init__(self, E: float, A: float, B: float, alpha: float, beta: float) -> None: ...
    def predict(self, N: npt.NDArray[np.float64], D: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]: ...
    def allocate(self, C: float) -> Dict[str, float]: ...
    def least_compute_for_loss(self, loss: float) -> Optional[Dict[str, float]]: ...

class Runs:
    source: str
    notes: List[str]
    warnings: List[str]
    group_columns: List[str]
    group_values: List[List[str]]
    params_column: str
    tokens_column: str
    compute_column: str
    loss_column: str
    num_params: npt.NDArray[np.float64]
    num_tokens: npt.NDArray[np.float64]
    compute_flops: npt.NDArray[np.float64]
    loss_nats: npt.NDArray[np.float64]
    lines: npt.NDArray[np.int32]
    groups: npt.NDArray[np.int32]
    def split(self) -> List["Runs"]: ...
    def group_label(self) -> str: ...
    def __len__(self) -> int: ...

class Fit:
    law: Optional[Law]
    runs: Optional[Runs]
    law_name: str
    # chinchilla
    E: float
    A: float
    B: float
    alpha: float
    beta: float
    # kaplan
    N_c: float
    D_c: float
    alpha_N: float
    alpha_D: float
    # isoflop
    coeff_params: float
    coeff_tokens: float
    # every law
    objective: float
    exponent_params: float
    exponent_tokens: float
    usable: bool
    status: str
    search: Dict[str, Any]
    residuals: Dict[str, Any]
    data: Dict[str, Any]
    allocations: List[Dict[str, Any]]
    bootstrap: Dict[str, Any]
    @property
    def intervals(self) -> Dict[str, Tuple[float, float]]: ...
    @property
    def warnings(self) -> List[str]: ...
    @property
    def parameters(self) -> Dict[str, float]: ...
    def __init__(self, json_text: str, law: Optional[Law] = ..., runs: Optional[Runs] = ...) -> None: ...
    def to_dict(self) -> Dict[str, Any]: ...
    def to_json(self) -> str: ...
    def predict(self, N: _ArrayLike, D: _ArrayLike) -> Union[float, npt.NDArray[np.float64]]: ...
    def allocate(self, C: _ArrayLike) -> Any: ...
    def save(self, path: Union[str, os.PathLike]) -> None: ...

def load_runs(runs: _Runs = ..., *, n: Optional[str] = ..., d: Optional[str] = ..., c: Optional[str] = ...,
              loss: Optional[str] = ..., filter: _Columns = ..., group_by: _Columns = ...,
              exclude_lines: Optional[str] = ..., skip_bad_rows: bool = ..., source: Optional[str] = ...) -> Runs: ...
def bundled_runs() -> Any: ...
def fit(runs: _Runs = ..., law: str = ..., *, n: Optional[str] = ..., d: Optional[str] = ..., c: Optional[str] = ...,
        loss: Optional[str] = ..., bootstrap: int = ..., seed: int = ..., ci: float = ..., grid: Optional[str] = ...,
        starts: int = ..., exhaustive: bool = ..., threads: int = ..., delta: float = ..., filter: _Columns = ...,
        group_by: _Columns = ..., exclude_lines: Optional[str] = ..., skip_bad_rows: bool = ...,
        compute: Union[None, float, Iterable[float]] = ..., budget_tolerance: float = ..., min_budget_runs: int = ...,
        keep_extrapolated_minima: bool = ..., progress: _Progress = ...,
        source: Optional[str] = ...) -> Union[Fit, Dict[Tuple[str, ...], Fit]]: ...
def load_fit(path: Union[str, os.PathLike]) -> Fit: ...
def published_laws() -> Dict[str, Tuple[Law, str]]: ...
def published_law(name: str) -> Law: ...
def validate(runs: _Runs = ..., *, law: str = ..., holdout_above: Optional[float] = ...,
             leave_one_budget_out: bool = ..., budget_tolerance: Optional[float] = ...,
             min_budget_runs: Optional[int] = ..., grid: Optional[str] = ..., starts: int = ..., exhaustive: bool = ...,
             threads: int = ..., delta: float = ..., keep_extrapolated_minima: bool = ..., u_col: Optional[str] = ...,
             sparsity_col: Optional[str] = ..., n_is_dense: bool = ..., tokens_per_step: Optional[float] = ...,
             batch_col: Optional[str] = ..., lr_col: Optional[str] = ..., seq_len: Optional[int] = ...,
             near_optimal: Optional[float] = ..., progress: _Progress = ...,
             **runs_options: Any) -> Dict[str, Any]: ...
def check(runs: _Runs = ..., *, golden: Union[str, os.PathLike], threads: int = ..., check_intervals: bool = ...,
          rtol_params: float = ..., rtol_predictions: float = ..., rtol_intervals: float = ...,
          rtol: Optional[Dict[str, float]] = ..., progress: _Progress = ..., **runs_options: Any) -> Dict[str, Any]: ...
def plan(compute: Union[None, float, Iterable[float]] = ..., *, params: Union[None, float, Iterable[float]] = ...,
         target_loss: Union[None, float, Iterable[float]] = ..., tokens: Optional[float] = ...,
         fit: Union[None, Fit, str, os.PathLike] = ..., law: Optional[str] = ..., unique_tokens: Optional[float] = ...,
         inference_tokens: Optional[float] = ..., accelerator: Optional[str] = ..., count: int = ...,
         mfu: Optional[float] = ..., price_per_hour: float = ..., max_days: float = ..., recompute: Optional[str] = ...,
         shape: bool = ..., bootstrap: int = ..., seed: int = ..., ci: Optional[float] = ..., arch: Optional[str] = ...,
         precision: Optional[str] = ..., global_batch_tokens: Optional[float] = ..., layout: Optional[str] = ...,
         hardware: Union[None, str, os.PathLike] = ..., peak_flops: Optional[float] = ...,
         memory_bytes: Optional[float] = ..., intra_node_bandwidth: Optional[float] = ...,
         inter_node_bandwidth: Optional[float] = ..., devices_per_node: Optional[int] = ...,
         layers: Optional[int] = ..., d_model: Optional[int] = ..., heads: Optional[int] = ...,
         kv_heads: Optional[int] = ..., head_dim: Optional[int] = ..., ffn: Optional[int] = ...,
         vocab: Optional[int] = ..., seq_len: Optional[int] = ..., experts: Optional[int] = ...,
         active_experts: Optional[int] = ..., shared_experts: Optional[int] = ..., expert_ffn: Optional[int] = ...,
         dense_layers: Optional[int] = ..., q_lora_rank: Optional[int] = ..., kv_lora_rank: Optional[int] = ...,
         qk_nope_head_dim: Optional[int] = ..., qk_rope_head_dim: Optional[int] = ..., v_head_dim: Optional[int] = ...,
         ffn_kind: Optional[str] = ..., profile: Union[None, str, os.PathLike] = ..., inference_mfu: float = ...,
         inference_price_per_hour: float = ..., hyperparams: Union[None, str, os.PathLike] = ...,
         progress: _Progress = ...) -> Union[Dict[str, Any], List[Dict[str, Any]]]: ...
def sweep(compute: Iterable[float], **plan_options: Any) -> Any: ...
def dictionary(d_model: float, *, compute: Optional[float] = ..., gpu_hours: Optional[float] = ...,
               target_loss: Optional[float] = ..., latents: Optional[float] = ..., k: Optional[float] = ...,
               k_range: Optional[Tuple[float, float]] = ..., budget: str = ..., subject_params: Optional[float] = ...,
               subject_layers_fraction: float = ..., accelerator: str = ..., count: int = ..., mfu: float = ...,
               price: Optional[float] = ..., batch_tokens: float = ...) -> Dict[str, Any]: ...
def plan_moe(compute: float, *, fit: Union[None, str, os.PathLike] = ..., granularity: Optional[float] = ...,
             expansion_rate: float = ...) -> Dict[str, Any]: ...
def plan_routed(params: Union[float, Iterable[float]], experts: Union[float, Iterable[float]] = ..., *,
                fit: Union[None, str, os.PathLike] = ...,
                routers: Union[None, str, Iterable[str]] = ...) -> Dict[str, Any]: ...
def plan_sparse(compute: float, *, sparsity: Optional[float] = ..., optimal_sparsity: bool = ...,
                max_sparsity: float = ..., sparse_method: str = ..., update_interval: float = ...,
                update_end: float = ..., prune_begin: float = ..., prune_end: float = ..., sparse_speedup: float = ...,
                fit: Union[None, str, os.PathLike] = ...) -> Dict[str, Any]: ...
