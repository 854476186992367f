"""GroupWatch against a real broker: a consumer whose coordinator stops working is given up on
after the patience, a settled member and a member that merely rejoins are left alone."""

import asyncio
import contextlib
import types

import aiokafka
import pytest
from aiokafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from aiokafka.coordinator.protocol import ConsumerProtocolMemberAssignment

from processors.worker.stall import GIVE_UP_STATUS, GroupWatch, group_describer

pytestmark = pytest.mark.integration

TOPIC = "newsline.articles.raw"


def as_app(consumer: aiokafka.AIOKafkaConsumer) -> object:
    """What GroupWatch reads of a faust app: its consumer thread's aiokafka consumer and loop."""
    thread = types.SimpleNamespace(_consumer=consumer, thread_loop=asyncio.get_running_loop())
    return types.SimpleNamespace(consumer=types.SimpleNamespace(_thread=thread,
                                                                assignment=consumer.assignment))


async def joined(bootstrap: str, group: str, **config: object) -> aiokafka.AIOKafkaConsumer:
    consumer = aiokafka.AIOKafkaConsumer(TOPIC, bootstrap_servers=bootstrap, group_id=group,
                                         session_timeout_ms=6000, heartbeat_interval_ms=1000,
                                         **config)
    await consumer.start()
    for _ in range(200):
        if consumer.assignment() or (config and consumer._subscription.subscription and
                                     consumer._subscription.subscription.assignment):
            return consumer
        await asyncio.sleep(0.1)
    raise AssertionError("the consumer did not join")


async def watch_for(watch: GroupWatch, app: object, seconds: float) -> str | None:
    end = asyncio.get_running_loop().time() + seconds
    while asyncio.get_running_loop().time() < end:
        verdict = await watch.check(app)
        if verdict:
            return verdict
        await asyncio.sleep(0.5)
    return None


def test_a_consumer_left_out_of_its_group_is_given_up_on(broker):
    async def scenario() -> tuple[list[int], str | None, list[int]]:
        bootstrap = broker.bootstrap_servers
        stuck = await joined(bootstrap, "watch-stuck")
        exits: list[int] = []
        watch = GroupWatch(group_describer(bootstrap, "watch-stuck", {TOPIC}), {TOPIC}, patience_s=3.0,
                           exit=exits.append)
        app = as_app(stuck)
        assert await watch.check(app) is None and watch.armed  # a settled member
        # The coordinator stops, as aiokafka's did after a broker freeze in the campaign: no
        # heartbeat, no rejoin. The broker expires the member after its session (6 s).
        coordinator = stuck._coordinator
        coordinator._coordination_task.cancel()
        if coordinator._heartbeat_task is not None:
            coordinator._heartbeat_task.cancel()
        coordinator.reset_generation()
        verdict = await watch_for(watch, app, 30)
        # A healthy member of another group, beside it, is never given up on.
        healthy = await joined(bootstrap, "watch-healthy")
        calm: list[int] = []
        calm_watch = GroupWatch(group_describer(bootstrap, "watch-healthy", {TOPIC}), {TOPIC},
                                patience_s=1.0,
                                exit=calm.append)
        await watch_for(calm_watch, as_app(healthy), 5)
        await healthy.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(stuck.stop(), 10)
        return exits, verdict, calm

    exits, verdict, calm = asyncio.run(scenario())
    assert exits == [GIVE_UP_STATUS], verdict
    # The group is Stable with the old member id until the broker expires it, then Empty.
    assert verdict and "'member_id': ''" in verdict, verdict
    assert "group Empty" in verdict or "group Stable" in verdict, verdict
    assert calm == []


class SlowToRevoke(aiokafka.ConsumerRebalanceListener):
    """A member that takes its time before rejoining (an article in hand): the group waits."""

    async def on_partitions_revoked(self, revoked):
        if revoked:
            await asyncio.sleep(8)

    async def on_partitions_assigned(self, assigned):
        pass


def test_a_long_rebalance_is_not_a_verdict(broker):
    """A third member joins while the second is slow to give its partitions back: for about 8 s
    the first is not a settled member and the group is rebalancing, not settled without it, so
    the watch waits (it would give up after 0.5 s otherwise)."""
    async def scenario() -> tuple[list[int], float]:
        bootstrap = broker.bootstrap_servers
        group = "watch-rebalance"
        first = await joined(bootstrap, group)
        slow = aiokafka.AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                         session_timeout_ms=6000, heartbeat_interval_ms=1000)
        slow.subscribe([TOPIC], listener=SlowToRevoke())
        await slow.start()
        exits: list[int] = []
        watch = GroupWatch(group_describer(bootstrap, group, {TOPIC}), {TOPIC}, patience_s=0.5,
                           exit=exits.append)
        app = as_app(first)
        await watch_for(watch, app, 8)  # both settle
        third_joins = asyncio.ensure_future(joined(bootstrap, group))
        unsettled = 0.0
        loop = asyncio.get_running_loop()
        end = loop.time() + 15
        while loop.time() < end and not exits:
            await watch.check(app)
            m = first._coordinator
            unsettled += 0.25 if m._rejoin_needed_fut.done() or not m.member_id else 0.0
            await asyncio.sleep(0.25)
        for c in (await third_joins, slow, first):
            await c.stop()
        return exits, unsettled

    exits, unsettled = asyncio.run(scenario())
    assert exits == [], unsettled
    assert unsettled >= 2, unsettled  # the case happened: the first waited on the group


class AssignsNothing(RoundRobinPartitionAssignor):
    """A leader that hands out no partition, as faust's did when its metadata lacked the topics
    (a worker started while the broker was frozen, campaign loop run 5)."""

    name = "newsline-test-nothing"

    @classmethod
    def assign(cls, cluster, members):
        return {member: ConsumerProtocolMemberAssignment(cls.version, [], b"")
                for member in members}


def test_a_member_holding_nothing_while_partitions_go_unheld_is_given_up_on(broker):
    async def scenario() -> tuple[list[int], str | None]:
        bootstrap = broker.bootstrap_servers
        idle = await joined(bootstrap, "watch-nothing",
                            partition_assignment_strategy=(AssignsNothing,))
        assert not idle.assignment()
        exits: list[int] = []
        watch = GroupWatch(group_describer(bootstrap, "watch-nothing", {TOPIC}), {TOPIC},
                           patience_s=2.0, exit=exits.append)
        verdict = await watch_for(watch, as_app(idle), 20)
        await idle.stop()
        return exits, verdict

    exits, verdict = asyncio.run(scenario())
    assert exits == [GIVE_UP_STATUS], verdict
    assert verdict and "holding no partition" in verdict and f"{TOPIC}:3" in verdict, verdict
