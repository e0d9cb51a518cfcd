"""DDR arithmetic on feature tensors (METHOD.md): text directions, AdaIN-like adaptation, cosine response.

Pure torch, no I/O, batched over features x types in one pass so that a whole batch of patches is
scored with a handful of tensor ops instead of the official per-patch, per-type Python loop.
"""

from __future__ import annotations

import torch

ADAPTATION_EPS = 1e-3


def text_directions(clean: torch.Tensor, degraded: torch.Tensor) -> torch.Tensor:
    """T_d = Psi(P-_d) - Psi(P+_d); both inputs (T, C) unnormalised text embeddings."""
    if clean.shape != degraded.shape:
        raise ValueError(f"clean {tuple(clean.shape)} and degraded {tuple(degraded.shape)} embeddings differ in shape")
    return degraded - clean


def adapt(directions: torch.Tensor, features: torch.Tensor, eps: float = ADAPTATION_EPS) -> torch.Tensor:
    """Re-style each direction to each feature's channel statistics.

    directions (T, C), features (N, C) -> (N, T, C). mu/sigma are over channels of one vector, sigma unbiased,
    eps added to the direction's sigma only (as the official code does).
    """
    d_mu = directions.mean(dim=-1, keepdim=True)
    d_sigma = directions.std(dim=-1, keepdim=True)
    normalised = (directions - d_mu) / (d_sigma + eps)  # (T, C)
    f_mu = features.mean(dim=-1, keepdim=True)  # (N, 1)
    f_sigma = features.std(dim=-1, keepdim=True)
    return normalised.unsqueeze(0) * f_sigma.unsqueeze(1) + f_mu.unsqueeze(1)


def response(
    features: torch.Tensor,
    directions: torch.Tensor,
    adaptive: bool = True,
    eps: float = ADAPTATION_EPS,
) -> torch.Tensor:
    """DDR_d = 1 - cos(F, F + T_hat_d) for every feature row and type: (N, C), (T, C) -> (N, T)."""
    if features.ndim != 2 or directions.ndim != 2 or features.shape[1] != directions.shape[1]:
        raise ValueError(
            f"features must be (N, C) and directions (T, C) with the same C; got {tuple(features.shape)} "
            f"and {tuple(directions.shape)}"
        )
    directions = directions.to(features.dtype)
    shift = adapt(directions, features, eps) if adaptive else directions.unsqueeze(0).expand(features.shape[0], -1, -1)
    moved = features.unsqueeze(1) + shift  # (N, T, C)
    return 1.0 - torch.nn.functional.cosine_similarity(features.unsqueeze(1), moved, dim=-1, eps=1e-12)


def feature_response(clean_features: torch.Tensor, degraded_features: torch.Tensor) -> torch.Tensor:
    """Pixel-domain DDR: 1 - cos(Phi(x), Phi(deg(x))) per row; (N, C), (N, C) -> (N,)."""
    return 1.0 - torch.nn.functional.cosine_similarity(clean_features, degraded_features, dim=-1, eps=1e-12)


def correlation_identity(features: torch.Tensor, directions: torch.Tensor) -> torch.Tensor:
    """Closed form 1 - sqrt((1 + rho) / 2), rho = Pearson(F, T_d) over channels: (N, T).

    Exact for adaptive DDR with eps = 0 and zero-mean features; a test oracle and a reading aid
    (DDR falls as the image embedding leans towards the degraded prompt).
    """
    f = features - features.mean(dim=-1, keepdim=True)
    d = directions - directions.mean(dim=-1, keepdim=True)
    rho = torch.nn.functional.normalize(f, dim=-1) @ torch.nn.functional.normalize(d, dim=-1).T
    return 1.0 - torch.sqrt((1.0 + rho) / 2.0)
