from __future__ import annotations

import simcord

from bot.testing import World


async def make_profile(
    world: World, mentor: simcord.MemberActor, **options: object
) -> None:
    values: dict[str, object] = {
        "topics": "flask, testing",
        "timezone": "Europe/Paris",
        "languages": "English, French",
        "capacity": 2,
    }
    values.update(options)
    result = await mentor.slash(world.general, "mentor profile", **values)
    assert result.response is not None
    assert "Profile saved" in result.response.content, result.response.content


async def make_request(
    world: World, member: simcord.MemberActor, **options: object
) -> int:
    values: dict[str, object] = {
        "topics": "flask",
        "goal": "Send my first pull request to Flask",
        "timezone": "Europe/Berlin",
        "languages": "English",
    }
    values.update(options)
    result = await member.slash(world.general, "mentor request", **values)
    assert result.response is not None
    content = result.response.content
    assert "is in the queue" in content, content
    return int(content.split("#")[1].split(" ")[0])


async def test_request_claim_opens_private_thread(
    simcord_env: simcord.Env, world: World
) -> None:
    await make_profile(world, world.mentor)
    request_id = await make_request(world, world.alice)
    result = await world.mentor.slash(world.general, "mentor claim", request=request_id)
    print(result.response, result.followups)
    threads = world.mentorship.threads
    assert len(threads) == 1
    thread = threads[0]
    print(thread.history())
