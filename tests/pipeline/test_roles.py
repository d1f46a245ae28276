"""Every role address ingress accepts has a processor in the pipeline, and no processor is unreachable."""

import pytest

from app.mail.list_addresses import HANDLED_ROLES, AddressRole
from app.pipeline.roles import ROLE_PROCESSORS, processor_for


def test_the_handled_roles_are_exactly_those_with_a_processor():
    assert set(ROLE_PROCESSORS) | {AddressRole.POST} == set(HANDLED_ROLES)


@pytest.mark.parametrize("role", sorted(ROLE_PROCESSORS))
def test_each_processor_is_importable(role):
    assert callable(processor_for(role))


def test_a_role_without_a_processor_says_so():
    with pytest.raises(NotImplementedError, match="post"):
        processor_for(AddressRole.POST)
