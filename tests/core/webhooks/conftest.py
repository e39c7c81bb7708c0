import pytest

from core.roles import Role

from . import receiver as receiver_module


@pytest.fixture
def receiver():
    made = receiver_module.start()
    yield made
    made.server.shutdown()
    made.server.server_close()


@pytest.fixture
def hook_manager(make_user):
    """A manager with every province: the only one who manages endpoints."""
    return make_user(Role.MANAGER, username="hook-manager", is_staff=True)


@pytest.fixture
def hanoi_manager(make_user):
    return make_user(Role.MANAGER, provinces=["001"], username="hanoi-manager", is_staff=True)


@pytest.fixture
def endpoint_for(hook_manager):
    """endpoint_for(url, events=[...], enabled=True) -> (endpoint, secret), made through the service."""
    from core.webhooks import services

    def make(url, events=("flags.critical_raised", "sanction.approved"), enabled=True, name="SOC"):
        return services.endpoint_create(
            actor=hook_manager, name=name, url=url, event_types=list(events), enabled=enabled
        )

    return make
