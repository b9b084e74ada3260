"""The board's tests share Noord's Tuesday (``world.build``) as ``w``."""

import pytest
import time_machine

from tests.coordination.board.world import MORNING, build


@pytest.fixture
def w(personas):
    with time_machine.travel(MORNING, tick=False):
        yield build(personas)
