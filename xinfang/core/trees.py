"""Helpers for the small adjacency-list trees of reference data (regions, categories)."""

from __future__ import annotations

from typing import Protocol, TypeVar


class _Node(Protocol):
    @property
    def parent(self) -> _Node | None: ...


N = TypeVar("N", bound=_Node)


def ancestors(node: N) -> list[N]:
    """The node and its ancestors, nearest first. Reference trees are at most a few levels."""
    chain = [node]
    parent = node.parent
    while parent is not None:
        chain.append(parent)  # type: ignore[arg-type]
        parent = parent.parent
    return chain
