"""YAML as staff expect it: ``yes``, ``no``, ``on`` and ``off`` are words, not booleans.

PyYAML follows YAML 1.1, where ``answers: {yes: ..., no: ...}`` would turn into True/False keys,
``- user: yes`` into "True", ``time: 10:00`` into 600 and ``+4512345678`` into a number. Here only
``true`` and ``false`` are booleans, and only plain digits are numbers (as in YAML 1.2).
"""
from __future__ import annotations

import re

import yaml


class Loader(yaml.SafeLoader):
    pass


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
