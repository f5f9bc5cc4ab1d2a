"""Feature groups written the way Captum and shap users write them: a list of groups (each
a list of element indices or feature names), or a dict from group name to its members,
besides Lumen's own form, one group id per input element (Captum's flattened
``feature_mask``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Union

from .errors import InvalidInputError, Status

#: A member of a group: an element index or a feature name.
Member = Union[int, str]

#: Groups in any of the accepted forms.
Groups = Union[Sequence[int], Sequence[Sequence[Member]], Mapping[str, Sequence[Member]]]


def _invalid(argument: str, message: str) -> InvalidInputError:
    return InvalidInputError(Status.INVALID_ARGUMENT, f"{argument}: {message}")


def _is_group_list(groups: Any) -> bool:
    first = next(iter(groups), None)
    return first is not None and not isinstance(first, (str, bytes)) and isinstance(first, Sequence)


def _index(member: Any, input_len: int, feature_names: Sequence[str] | None, argument: str) -> int:
    if isinstance(member, str):
        if feature_names is None or member not in feature_names:
            known = "the model has no feature names" if feature_names is None else f"known: {list(feature_names)}"
            raise _invalid(argument, f"feature {member!r} is not one of the model's features ({known})")
        return list(feature_names).index(member)
    if isinstance(member, bool) or not isinstance(member, int) and not hasattr(member, "__index__"):
        raise _invalid(argument, f"member {member!r} is neither an element index nor a feature name")
    index = int(member)
    if not 0 <= index < input_len:
        raise _invalid(argument, f"element {index} is out of range, expected 0 <= index < {input_len}")
    return index


def element_ids(
    groups: Groups | None,
    group_names: Sequence[str] | None,
    input_len: int,
    feature_names: Sequence[str] | None,
    argument: str,
    names_argument: str,
) -> tuple[Sequence[int] | None, Sequence[str] | None]:
    """One group id per element and the group names, from ``groups`` in any accepted
    form. A dict names its groups (then ``group_names`` must be None). Every element must
    belong to exactly one group, as in Captum's ``feature_mask``: overlaps and elements in
    no group are errors naming them."""
    if groups is None:
        return None, group_names
    if isinstance(groups, (str, bytes)):
        raise _invalid(argument, f"is {groups!r}, expected group ids, a list of groups or a dict of named groups")
    if isinstance(groups, Mapping):
        if group_names is not None:
            raise _invalid(names_argument, f"give names either as the keys of {argument} or here, not both")
        group_names = [str(name) for name in groups]
        members: list[Sequence[Member]] = list(groups.values())
    elif _is_group_list(groups):
        members = list(groups)  # type: ignore[arg-type]
    else:
        return groups, group_names  # type: ignore[return-value]
    owner: list[int | None] = [None] * input_len
    for g, group in enumerate(members):
        if isinstance(group, (str, bytes)) or not isinstance(group, Sequence) or len(group) == 0:
            raise _invalid(argument, f"group {g} is {group!r}, expected a non-empty list of elements or names")
        for member in group:
            i = _index(member, input_len, feature_names, argument)
            if owner[i] is not None:
                raise _invalid(argument, f"element {i} is in groups {owner[i]} and {g}; each element in one group")
            owner[i] = g
    missing = [i for i, g in enumerate(owner) if g is None]
    if missing:
        raise _invalid(
            argument, f"elements {missing} are in no group; every element needs one (add them as their own groups)"
        )
    return [int(g) for g in owner if g is not None], group_names
