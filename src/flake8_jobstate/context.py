"""What a rule sees: the context of one analysed file.

It sits below ``flow``, the rules and the engine (it needs only the model, the configuration and the
resolver), so the layers read model <- resolver/project <- context <- flow <- rules <- engine <- front ends
with no import back up (``tests/test_layers.py`` checks it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import libcst as cst

from . import model
from .config import Config
from .project import ConstEvaluator
from .placement import Import, Placement
from .resolver import Resolver


@dataclass
class Context:
    """What a rule sees: the tree, the resolver's answers, the configuration and the file's path."""

    module: cst.Module
    resolver: Resolver
    config: Config
    path: str

    _consts: Optional[ConstEvaluator] = None

    @property
    def consts(self) -> ConstEvaluator:
        """The constants an expression holds (named constants, class attributes, sibling modules), one per file."""
        if self._consts is None:
            self._consts = ConstEvaluator(self.module, self.resolver, self.path, self.config)
        return self._consts

    def sites(self, node_type: type) -> list:
        return self.resolver.sites.get(node_type, [])

    def state_of(self, node: cst.CSTNode):  # noqa: ANN201 - resolver.Value
        return self.resolver.state_of(node)

    def resolve(self, node: cst.CSTNode):  # noqa: ANN201
        return self.resolver.resolve(node)

    def code(self, node: cst.CSTNode) -> str:
        return self.module.code_for_node(node)

    def member_expr(
        self, cls: model.EnumClass, member: str, at: cst.CSTNode
    ) -> tuple[Optional[str], tuple["Import", ...]]:
        """Code for ``cls.member`` at ``at`` and the imports it needs (see ``placement``); (None, ()) when no
        spelling keeps the module importable."""
        return Placement.of(self.module, self.resolver).member_expr(cls, member, at)
