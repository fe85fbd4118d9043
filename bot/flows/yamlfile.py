"""YAML as staff expect it: ``yes``, ``no``, ``on`` and ``off`` are words, not booleans.

PyYAML follows YAML 1.1, where ``answers: {yes: ..., no: ...}`` would turn into True/False keys,
``- user: yes`` into "True", ``time: 10:00`` into 600 and ``+4512345678`` into a number. Here only
``true`` and ``false`` are booleans, and only plain digits are numbers (as in YAML 1.2).

An alias inside the node it names (``a: &x [*x]``) is an error here: it makes data that never ends.
"""
from __future__ import annotations

import re

import yaml


class Loader(yaml.SafeLoader):
    def __init__(self, stream):
        super().__init__(stream)
        # The anchors of the nodes being composed, innermost last (None for a node without one).
        self._open_anchors: list[str | None] = []

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            if event.anchor in self._open_anchors:
                raise yaml.composer.ComposerError(
                    None, None, f"*{event.anchor} is inside &{event.anchor} itself, so it would never end", event.start_mark
                )
            return super().compose_node(parent, index)
        self._open_anchors.append(event.anchor)
        try:
            return super().compose_node(parent, index)
        finally:
            self._open_anchors.pop()


_REPLACED = {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float"}
Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
# 10:00 is a time of day, not 600 (YAML 1.1 base 60), and +4512345678 is a phone number, not an int.
Loader.add_implicit_resolver("tag:yaml.org,2002:int", re.compile(r"^-?(?:0|[1-9][0-9]*)$"), list("-0123456789"))
Loader.add_implicit_resolver("tag:yaml.org,2002:float", re.compile(r"^-?(?:0|[1-9][0-9]*)\.[0-9]+$"), list("-0123456789"))


def load(source: str):
    return yaml.load(source, Loader=Loader)


def compose(source: str) -> yaml.Node | None:
    return yaml.compose(source, Loader=Loader)
