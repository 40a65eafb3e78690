"""What a mutation call asked for, as a hash: a clientMutationId stands for one input.

The hash is over the field's arguments as GraphQL coerced them (defaults filled in, the
same whether they came inline or as variables), without the clientMutationId itself, in
a canonical JSON form. A retry with the same input gets the first call's answer; the same
key with another input is refused, as Stripe refuses a reused idempotency key.
"""

import dataclasses
import enum
import hashlib
from typing import Any, cast

import orjson
from graphql import Undefined, VariableNode, value_from_ast
from strawberry.types.maybe import Some

from reusegraph.schema.context import Info

_KEY_FIELDS = ("client_mutation_id", "clientMutationId")


def input_hash(info: Info) -> str:
    raw = info._raw_info
    definition = raw.parent_type.fields[raw.field_name]
    variables: dict[str, Any] = dict(cast(Any, raw.variable_values) or {})
    arguments: dict[str, Any] = {
        name: argument.default_value
        for name, argument in definition.args.items()
        if argument.default_value is not Undefined
    }
    for node in raw.field_nodes[0].arguments or ():
        argument = definition.args[node.name.value]
        if isinstance(node.value, VariableNode):
            if node.value.name.value in variables:
                arguments[node.name.value] = variables[node.value.name.value]
            continue
        value = value_from_ast(node.value, argument.type, variables)
        if value is not Undefined:
            arguments[node.name.value] = value
    canonical = {name: _canonical(value, top=True) for name, value in arguments.items()}
    encoded = orjson.dumps(canonical, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(encoded).hexdigest()


def _canonical(value: Any, *, top: bool = False) -> Any:
    if isinstance(value, Some):
        return {"set": _canonical(value.value)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not (top and f.name in _KEY_FIELDS)
        }
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in value.items() if not (top and k in _KEY_FIELDS)}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    if isinstance(value, enum.Enum):
        return _canonical(value.value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)
