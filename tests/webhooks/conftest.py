import pytest

from .receiver import Receiver


@pytest.fixture
def receiver(settings):
    settings.OUTBOUND_ALLOW_LOOPBACK = True  # the receiver is the test's own, on 127.0.0.1
    r = Receiver()
    yield r
    r.close()
