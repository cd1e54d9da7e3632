import pytest
from django.core.cache import cache

from anyang_hte.core.roles import Role
from tests.factories import EnterpriseFactory, UserFactory, jurisdiction, make_credit_code

WF, LZ = "410502", "410581"


@pytest.fixture(autouse=True)
def _fresh_limits():
    """Each test starts with no registrations counted against its address."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def wf_ent(db):
    return EnterpriseFactory(
        name="文峰测试科技有限公司",
        jurisdiction=jurisdiction(WF),
        contact_name="李工",
        contact_phone="0372-1",
    )


@pytest.fixture
def lz_ent(db):
    return EnterpriseFactory(name="林州保密科技有限公司", jurisdiction=jurisdiction(LZ))


@pytest.fixture
def firm_user(wf_ent):
    return UserFactory(username="firm_wf", role=Role.ENTERPRISE, jurisdiction=None, enterprise=wf_ent)


def registration_data(**overrides) -> dict:
    data = {
        "credit_code": make_credit_code(51001),
        "name": "新注册科技有限公司",
        "jurisdiction": jurisdiction(WF),
        "contact_name": "赵经理",
        "contact_phone": "13800000000",
        "email": "zhao@example.cn",
        "username": "newfirm",
        "password": "Anyang-Reg-2026",
    }
    data.update(overrides)
    return data
